"""A Rasa NLU component: an intent about one narrow subject needs a word of that subject.

Some intents are learnt from messages that all name their subject, and the
classifier then also gives them to messages that do not:

- `out_of_scope_adult` ("I only cover children") was learnt from older people,
  carers and adult social care, and was given to "i need to speak to social care
  about a kid in didcot" and "is there a link between being neglected and being
  groomed by gangs";
- `ask_escalation` (the professional-disagreement navigator) was learnt from
  decisions challenged and referrals declined, and was given to "can I pass
  concerns to another agency" and "what's the bar for a referral";
- `out_of_scope_medical` ("I can't give medical advice") was learnt from illnesses,
  symptoms and medicines, and was given to "lots of little things, none serious on
  their own. how do i think about that?";
- `ask_guide` (a one-minute guide) was learnt from guides, briefings and documents
  asked for, and was given to "report neglect to police non urgent";
- `out_of_scope_allegation` (the LADO) was learnt from teachers, coaches, staff and
  volunteers, and was given to "partner of the mother living at the address";
- `bot_capabilities` (what the assistant can do) was learnt from questions put to it
  ("what can you do", "how does this work"), and was given to "what is a HV supposed to do";
- `goodbye` was learnt from farewells ("good night", "I'm off now"), none of them a
  question or a request to get in touch, and was given to "night time social care number".

And the general `out_of_scope` ("outside what I can help with") is never right for
a message that names a route or a term of the guidance ("whats 101 for").

A message read as one of them that names no such subject (EVIDENCE: every phrasing
of the training and held-out data for these intents names one, tests/test_intent_evidence.py)
takes the next intent of the ranking instead, or `nlu_fallback` when that is below the
fallback threshold, so the components after this one (the description, the explicit
question, the confident topic) read it as any other message. Runs after
FallbackClassifier; EmergencyOverride still has the last word.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.answers import looks_like_a_question
from bot.components.emergency import EMERGENCY_INTENT, EmergencyOverride
from bot.components.ranking import on_text
from bot.escalation import names_a_disagreement
from bot.knowledge.snapshot import snapshot
from bot.out_of_scope import names_a_medical_matter, names_a_worker, names_an_adult
from bot.render import asks_to_contact

FALLBACK = "nlu_fallback"
# What a guide is asked for by: its kind, or "the ... report" (not "report it to ...").
_DOCUMENT = re.compile(
    r"\b(?:guides?|guidance|briefings?|omg|documents?|docs?|papers?|strategy|portal|toolkits?|links?|checklists?"
    r"|pages?|leaflets?|pdf|policy|research|reviews?)\b"
    r"|\breports?\b(?!\s+(?:to|it|this|that|these|neglect|abuse|a|an|the|my|him|her|them|concerns?|something"
    r"|someone|if|when|what|who)\b)",
    re.IGNORECASE,
)
# What a question about the assistant itself speaks of: "you", "this", the bot, its options.
_THE_ASSISTANT = re.compile(
    r"\b(?:you|your|you'?re|u|this|it|here|bot|chatbot|assistant|app|tool|thing|chat|options?|menu|commands?"
    r"|help|instructions?|start(?:ed)?|features?|person|ai|lost|purpose|overview|ask|things)\b",
    re.IGNORECASE,
)
# The entities (from the spaCy ruler, knowledge/lexicon.yml) that name something the assistant covers.
OURS = frozenset({"route", "term"})


def names_a_document(text: str) -> bool:
    """Whether `text` names a guide, a briefing or a document."""
    return bool(_DOCUMENT.search(text))


def speaks_of_the_assistant(text: str) -> bool:
    """Whether `text` can be a question about the assistant: it speaks to it or of it."""
    return bool(_THE_ASSISTANT.search(text))


def takes_leave(text: str) -> bool:
    """Whether `text` can be a farewell: it asks nothing, and asks for no one to ring."""
    return not (looks_like_a_question(text) or asks_to_contact(text))


def _names_nothing_of_ours(message: Message) -> bool:
    return not any(e.get("entity") in OURS for e in message.get(ENTITIES) or [])


# Each narrow intent, and what a message given it must show.
EVIDENCE: dict[str, Callable[[Message], bool]] = {
    "out_of_scope_adult": on_text(names_an_adult),
    "ask_escalation": on_text(names_a_disagreement),
    "out_of_scope_medical": on_text(names_a_medical_matter),
    "out_of_scope_allegation": on_text(names_a_worker),
    "ask_guide": on_text(names_a_document),
    "goodbye": on_text(takes_leave),
    "bot_capabilities": on_text(speaks_of_the_assistant),
    "out_of_scope": _names_nothing_of_ours,
}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentEvidence(GraphComponent):
    """Replaces a narrow intent by the next likely one when the message names nothing of its subject."""

    def __init__(self, threshold: float, alarm: Callable[[Message], bool] | None = None) -> None:
        self._threshold = threshold
        # A doubtful `emergency` (bot/components/emergency.py) gives way here too, so that the
        # components after this one read the intent it gives way to; EmergencyOverride, last,
        # still answers every danger signal with 999.
        self._evidence = {**EVIDENCE, **({EMERGENCY_INTENT: alarm} if alarm is not None else {})}

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The FallbackClassifier's threshold (config.yml): below it, the next intent is a doubt.
        return {"threshold": 0.3}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> IntentEvidence:
        return cls(float(config["threshold"]), EmergencyOverride(snapshot().emergency).is_an_alarm)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if text and not text.startswith("/"):
                self._weigh(message)
        return messages

    def _weigh(self, message: Message) -> None:
        """Steps down the ranking past every intent the message shows nothing of."""
        intent = str((message.get(INTENT) or {}).get("name"))
        shows_its_subject = self._evidence.get(intent)
        if shows_its_subject is None or shows_its_subject(message):
            return
        passed = {intent}
        ranking = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name") not in (intent, FALLBACK)]
        chosen: dict[str, Any] = {"name": FALLBACK, "confidence": self._threshold}  # as FallbackClassifier sets it
        for entry in ranking:
            confidence = float(entry.get("confidence") or 0.0)
            if confidence < self._threshold:
                break
            name = str(entry["name"])
            candidate: dict[str, Any] = {"name": name, "confidence": confidence}
            check = self._evidence.get(name)
            probe = Message({**message.data, INTENT: candidate})
            if check is None or check(probe):
                chosen = candidate
                break
            passed.add(name)
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen, *[e for e in ranking if e.get("name") not in (*passed, chosen["name"])]],
                    add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
