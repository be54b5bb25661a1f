"""No message text and no traceback in either server's logs (bot/logs.py)."""
from __future__ import annotations

import logging

import pytest

import bot.logs


@pytest.fixture()
def safe_logging() -> None:
    previous = logging.getLogRecordFactory()
    bot.logs._installed = False
    bot.logs.install()
    yield
    logging.setLogRecordFactory(previous)
    bot.logs._installed = False


def test_tracebacks_become_the_exception_name(safe_logging: None, caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError("the tracker: my pupil Tom Baker, DOB 12/05/2014, 07700 900318")
    except ValueError:
        logging.getLogger("rasa.core.actions.action").exception("Failed to run custom action")
    record = caplog.records[-1]
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == "Failed to run custom action (ValueError)"
    assert "Tom" not in caplog.text and "900318" not in caplog.text


def test_messages_are_redacted_and_cut(safe_logging: None, caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("rasa.core.processor").warning("Received user message '%s'", "Tom Baker rang on 07700 900318")
    logging.getLogger("rasa_sdk.executor").warning("x" * 1000)
    first, second = caplog.records[-2:]
    assert "07700" not in first.getMessage() and "[phone]" in first.getMessage()
    assert len(second.getMessage()) <= bot.logs.MAX_CHARS + 10


def test_install_is_idempotent(safe_logging: None) -> None:
    factory = logging.getLogRecordFactory()
    bot.logs.install()
    assert logging.getLogRecordFactory() is factory
