"""A dialogue policy that puts the emergency reply before everything, forms included.

Rasa's RulePolicy gives an active form priority over every rule: a message
during the "am I worried?" questions first goes to the form, which asks the
action server to validate it, and only when the form rejects it do the rules
run. With the action server down or hung, an emergency typed mid-triage would
wait for it, or be lost. This policy predicts the emergency response the
moment an `emergency` message arrives (during a form: the variant that keeps
the form waiting), then listens; the response is filled in the Rasa server
(bot/nlg.py), so 999 and the local route need no action server at any point.

It outranks RulePolicy by its priority and, like RulePolicy's own form
predictions, makes a prediction that no other kind of prediction overrides.
Otherwise it predicts nothing and the other policies decide.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class EmergencyFirstPolicy(Policy):
    """`emergency` -> the emergency response (the in-form variant during a form) -> listen."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,  # above RulePolicy's 6
            "intent": "emergency",
            "response": "utter_emergency",
            "response_in_form": "utter_emergency_in_triage",
        }

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        responses = (self.config["response"], self.config["response_in_form"])
        latest = tracker.latest_action_name
        if latest == ACTION_LISTEN_NAME and tracker.latest_message is not None \
                and tracker.latest_message.intent.get("name") == self.config["intent"]:
            action = responses[1] if tracker.active_loop_name else responses[0]
        elif latest in responses:
            action = ACTION_LISTEN_NAME
        else:
            return self._prediction(self._default_predictions(domain))
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
