"""Input hygiene: turn whatever a channel hands us into clean, bounded text.

Runs before redaction and NLU. It never raises on the message itself: None,
bytes, numbers, control characters, lone surrogates and megabytes of text all
come out as a plain string the rest of the assistant can handle.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Unicode line and paragraph separators become ordinary line breaks.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class Cleaned:
    text: str
    truncated: bool  # the input was longer than max_chars and was cut
    empty: bool  # nothing left after cleaning


def clean(text: object, max_chars: int = 2000) -> Cleaned:
    """Normalise (NFKC: full-width and other compatibility forms become plain
    letters, so "Ｗａｋｅｆｉｅｌｄ" is Wakefield), drop control characters except newline and tab, collapse
    whitespace (a run with a line break becomes one line break, any other run
    one space), strip, and cut at a word boundary to at most `max_chars`.

    `max_chars` below 1 is a programming error and raises ValueError.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    value = _as_text(text).translate(_LINE_BREAKS)
    # Controls go first, so that NFKC sees the characters that will be kept.
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    value = unicodedata.normalize("NFKC", value)
    value = _WHITESPACE_RUN.sub(lambda m: "\n" if "\n" in m.group(0) else " ", value).strip()
    truncated = len(value) > max_chars
    if truncated:
        value = _cut(value, max_chars)
    return Cleaned(text=value, truncated=truncated, empty=not value)


def _as_text(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", errors="replace")
    try:
        return str(text)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the channel
        return ""


def _cut(text: str, max_chars: int) -> str:
    """At most max_chars, ending at a word boundary when there is one."""
    head = text[:max_chars]
    if not text[max_chars].isspace():
        boundary = max(head.rfind(" "), head.rfind("\n"))
        if boundary > 0:
            head = head[:boundary]
    return head.rstrip()
