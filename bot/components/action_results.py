"""Validate action-server replies with a schema validator built once.

Rasa 3.6 checks every reply of the action server against its response schema
with `jsonschema.validate(result, schema)`, which re-checks the schema itself
and builds a new validator on every call: about 21 ms of a custom-action turn
on this machine, against 0.7 ms with a validator built once (measured in
docs/benchmarks.md). Same schema, same validator class, same errors; only
the repeated set-up goes.

Rasa has no setting for this, so this start-up hook installs the validator
on `RemoteAction` when the model loads. It is listed in config.yml so that it
is visible and can be removed there; it does nothing to messages. It replaces
a private method, so it is guarded by version: on any Rasa but 3.6, or when
the method it replaces is not there, it installs nothing and says so once,
and Rasa's own (slower) validation runs.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import logging

import rasa
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
# The Rasa versions whose RemoteAction._validate_action_result this replaces, word for word.
WRITTEN_FOR = "3.6."


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


def install() -> bool:
    """Install the prebuilt validator when this Rasa is the one it was written for."""
    if not rasa.__version__.startswith(WRITTEN_FOR) or not callable(
            getattr(RemoteAction, "_validate_action_result", None)):
        logger.warning("action-result validator not installed: written for Rasa %sx, this is %s",
                       WRITTEN_FOR, rasa.__version__)
        return False
    response_validator()
    RemoteAction._validate_action_result = validate_action_result
    return True


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
        install()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
