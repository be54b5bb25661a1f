"""Validate action-server replies with a schema validator built once.

Rasa 3.6 checks every reply of the action server against its response schema
with `jsonschema.validate(result, schema)`, which re-checks the schema itself
and builds a new validator on every call: about 21 ms of a custom-action turn
on this machine, against 0.7 ms with a validator built once (measured in
docs/benchmarks.md). Same schema, same validator class, same errors; only
the repeated set-up goes.

Rasa has no setting for this, so the component installs the validator on
`RemoteAction` when the model loads. It is listed in config.yml so that it is
visible and can be removed there; it does nothing to messages.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@lru_cache(maxsize=1)
def response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for RemoteAction._validate_action_result."""
    try:
        response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about "
            f"the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class PrebuiltActionResultValidator(GraphComponent):
    """Installs `validate_action_result` on RemoteAction (see module doc)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PrebuiltActionResultValidator:
        RemoteAction._validate_action_result = validate_action_result
        response_validator()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
