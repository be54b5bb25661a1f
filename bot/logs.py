"""Keep practitioners' words out of the logs of both servers.

Rasa, the Rasa SDK and the libraries under them log what they like: a
traceback of a failed action call carries the whole conversation, a parsing
warning quotes the message. Handlers come and go (Rasa installs coloredlogs
after reading any logging configuration), so the scrubbing is done where every
record is made, with `logging.setLogRecordFactory`:

* tracebacks are never kept: a record's `exc_info` is replaced by the name of
  the exception's class, so a failure is still visible but carries no data;
* the message of any record is cut to `MAX_CHARS` and passed through the
  redactor, so what is left can hold no name, number or address.

`install()` is idempotent; the Rasa server calls it when a channel is created
(bot/channels/guard.py), the action server when the actions are imported.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

MAX_CHARS = 240
_installed = False
# Set while a message is being redacted: the redactor's own log lines (made
# while it is being built) are not redacted again, which would recurse.
_busy = threading.local()
_CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning|Timeout|Exit)\b")


def scrub(message: str, redact: Callable[[str], Any] | None = None) -> str:
    """A log message made safe: at most MAX_CHARS, then redacted."""
    if len(message) > MAX_CHARS:
        message = message[:MAX_CHARS] + " [cut]"
    if getattr(_busy, "active", False):
        return message
    if redact is None:
        from bot.redaction import redact as redact_default

        redact = redact_default
    _busy.active = True
    try:
        # Exception class names ("DatabaseError") are code, and shaped like names.
        kept = _CLASS_NAME.findall(message)
        safe = str(redact(_CLASS_NAME.sub("\x00", message)).text)
        for name in kept:
            safe = safe.replace("\x00", name, 1)
        return safe
    except Exception:  # noqa: BLE001 - a log line must never break the caller
        return "[log message withheld]"
    finally:
        _busy.active = False


def install() -> None:
    """Make every log record of this process safe (see the module docstring)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def safe_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if getattr(record, "scrubbed", False):  # made by another installed copy
            return record
        record.scrubbed = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call
            message = str(record.msg)
        failure = ""
        if record.exc_info:
            error = record.exc_info[1]
            failure = f" ({type(error).__name__})" if error is not None else ""
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
        record.msg = scrub(message) + failure  # a class name is code, not anyone's words
        record.args = None
        return record

    logging.setLogRecordFactory(safe_record)
    _installed = True
