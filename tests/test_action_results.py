"""The action-result validator is installed only on the Rasa it was written for."""
from __future__ import annotations

import pytest
import rasa
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.components import action_results


@pytest.fixture
def original(monkeypatch: pytest.MonkeyPatch) -> object:
    method = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", method)  # restored after the test
    return method


def test_it_installs_on_rasa_3_6_and_validates_as_rasa_does(original: object) -> None:
    assert rasa.__version__.startswith(action_results.WRITTEN_FOR)
    assert action_results.install() is True
    assert RemoteAction._validate_action_result is action_results.validate_action_result
    remote = object.__new__(RemoteAction)
    assert remote._validate_action_result({"events": [], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        remote._validate_action_result({"events": "not a list"})


def test_on_another_rasa_it_installs_nothing(original: object, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    assert action_results.install() is False
    assert RemoteAction._validate_action_result is original
    assert "not installed" in caplog.text
