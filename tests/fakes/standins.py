"""Stand-ins for bot.sanitise.clean and bot.redaction.redact in channel tests:
enough to see that a channel cleans and redacts before Rasa sees a message."""
from __future__ import annotations

from dataclasses import dataclass

SECRET = "Tom"  # what the stand-in redactor removes; must never reach Rasa or the logs


@dataclass(frozen=True)
class Cleaned:
    text: str
    truncated: bool = False
    empty: bool = False


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: tuple


def clean(text: str, max_chars: int = 50) -> Cleaned:
    stripped = text.strip()
    return Cleaned(text=stripped[:max_chars], truncated=len(stripped) > max_chars, empty=not stripped)


def redact(text: str) -> Redaction:
    return Redaction(text.replace(SECRET, "[name]"), ("name",) if SECRET in text else ())
