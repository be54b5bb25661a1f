"""Input hygiene: turn whatever a channel hands us into clean, bounded text.

Runs before redaction and NLU. It never raises on the message itself: None,
bytes, numbers, control characters, lone surrogates and megabytes of text all
come out as a plain string the rest of the assistant can handle.

Invisible characters go too (zero-width spaces and joiners, the soft hyphen,
bidirectional marks and overrides, word joiners, byte-order marks, variation
selectors after a letter, Hangul fillers): typed inside a word they would hide
it from redaction ("Ma\u200brnie" is "Marnie" on screen). The joiners,
variation selectors and tags that build an emoji ("👨‍👩‍👧", "❤️", the flag of
England) are kept, and so is a zero-width (non-)joiner between two letters of a
script that needs it (Arabic, Persian, Indic scripts), never between Latin ones.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Unicode line and paragraph separators become ordinary line breaks.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_WHITESPACE_RUN = re.compile(r"\s+")

# Default-ignorable characters that are not in category Cf (format), which are
# all dropped: the combining grapheme joiner, variation selectors, Mongolian
# free variation selectors and the Hangul fillers (invisible "letters").
_IGNORABLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0]
    + list(range(0xFE00, 0xFE10))
    + list(range(0xE0100, 0xE01F0))
)
# Kept right after an emoji (or one another): they build emoji sequences.
_EMOJI_JOINERS = frozenset([0x200D, 0xFE0E, 0xFE0F, *range(0xE0020, 0xE0080)])
# Kept between two letters of a script that uses them (not Latin, Greek, Cyrillic).
_SCRIPT_JOINERS = frozenset([0x200C, 0x200D])
_FIRST_JOINING_SCRIPT = 0x0590  # Hebrew, Arabic, Syriac, Indic scripts... onwards


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
    # Controls and invisible characters go first, so that NFKC sees the
    # characters that will be kept; NFKC can change what an invisible character
    # follows ("™" becomes "TM"), so both steps repeat until nothing changes.
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    for _ in range(3):
        normalised = unicodedata.normalize("NFKC", strip_invisible(value))
        if normalised == value:
            break
        value = normalised
    value = _WHITESPACE_RUN.sub(lambda m: "\n" if "\n" in m.group(0) else " ", value).strip()
    truncated = len(value) > max_chars
    if truncated:
        value = _cut(value, max_chars)
    return Cleaned(text=value, truncated=truncated, empty=not value)


def strip_invisible(text: str) -> str:
    """Drop format (Cf) and other default-ignorable characters, keeping only
    those that build an emoji or join the letters of a non-Latin script."""
    if text.isascii():
        return text
    kept: list[str] = []
    for index, ch in enumerate(text):
        code = ord(ch)
        if code not in _IGNORABLE and unicodedata.category(ch) != "Cf":
            kept.append(ch)
        elif code in _EMOJI_JOINERS and kept and _builds_emoji(kept[-1]):
            kept.append(ch)
        elif code in _SCRIPT_JOINERS and kept and index + 1 < len(text) and _joins_script(kept[-1], text[index + 1]):
            kept.append(ch)
    return "".join(kept)


def _builds_emoji(previous: str) -> bool:
    return ord(previous) in _EMOJI_JOINERS or unicodedata.category(previous) in ("So", "Sk")


def _joins_script(before: str, after: str) -> bool:
    return all(ch.isalpha() and ord(ch) >= _FIRST_JOINING_SCRIPT for ch in (before, after))


def _as_text(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes | bytearray):
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
