"""Input hygiene (bot/sanitise.py)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sanitise import Cleaned, clean, strip_invisible


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Cleaned("", truncated=False, empty=True)),
        ("", Cleaned("", truncated=False, empty=True)),
        ("   \n\t  ", Cleaned("", truncated=False, empty=True)),
        ("\x00\x07\x1b", Cleaned("", truncated=False, empty=True)),
        ("  is this neglect?  ", Cleaned("is this neglect?", truncated=False, empty=False)),
        ("too    many\t\tspaces", Cleaned("too many spaces", truncated=False, empty=False)),
        ("line one\r\n\r\n\n  line two", Cleaned("line one\nline two", truncated=False, empty=False)),
        ("para\u2029next\u2028last", Cleaned("para\nnext\nlast", truncated=False, empty=False)),
        ("no\x00body\x1b[31m home", Cleaned("nobody[31m home", truncated=False, empty=False)),
        ("non\u00a0breaking\u3000spaces", Cleaned("non breaking spaces", truncated=False, empty=False)),
        ("cafe\u0301", Cleaned("caf\u00e9", truncated=False, empty=False)),  # NFC
        ("lone \ud800 surrogate", Cleaned("lone surrogate", truncated=False, empty=False)),
        (b"bytes \xff in", Cleaned("bytes \ufffd in", truncated=False, empty=False)),
        (42, Cleaned("42", truncated=False, empty=False)),
        (Unprintable(), Cleaned("", truncated=False, empty=True)),
        # The right-to-left mark before the Arabic word is a format character:
        # it goes, like every invisible character that could hide a name.
        ("🙂 👶🏽 \u200fمرحبا", Cleaned("🙂 👶🏽 مرحبا", truncated=False, empty=False)),
    ],
)
def test_clean(value: object, expected: Cleaned) -> None:
    assert clean(value) == expected


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("one two three", 13, "one two three"),  # exactly the limit: not cut
        ("one two three", 12, "one two"),  # cut inside "three": back to the space
        ("one two three", 8, "one two"),  # cut right after a word
        ("one two three", 7, "one two"),
        ("abcdefghij", 4, "abcd"),  # one long word: hard cut
        ("one\ntwo three", 5, "one"),
    ],
)
def test_long_input_is_cut_at_a_word_boundary(text: str, max_chars: int, expected: str) -> None:
    result = clean(text, max_chars=max_chars)
    assert result.text == expected
    assert result.truncated is (len(text) > max_chars)


def test_default_limit_is_2000_characters() -> None:
    result = clean("word " * 1000)
    assert result.truncated
    assert len(result.text) <= 2000
    assert result.text.endswith("word")


@pytest.mark.parametrize("max_chars", [0, -5])
def test_a_limit_below_one_is_a_programming_error(max_chars: int) -> None:
    with pytest.raises(ValueError, match="max_chars"):
        clean("text", max_chars=max_chars)


ANYTHING = st.one_of(
    st.none(),
    st.text(),
    st.binary(),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.text(max_size=5), max_size=3),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=200),  # surrogates too
)


@settings(max_examples=300, deadline=None)
@given(ANYTHING, st.integers(min_value=1, max_value=500))
def test_clean_never_raises_and_its_output_is_tidy(value: object, max_chars: int) -> None:
    result = clean(value, max_chars=max_chars)
    text = result.text
    assert isinstance(text, str)
    assert len(text) <= max_chars
    assert text == text.strip()
    assert result.empty is (text == "")
    assert "  " not in text and "\n\n" not in text and "\t" not in text
    assert all(ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs") for ch in text)
    assert text == unicodedata.normalize("NFC", text) or result.truncated


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_clean_is_idempotent(value: str) -> None:
    once = clean(value)
    assert clean(once.text).text == once.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ma\u200brnie is hungry", "Marnie is hungry"),  # zero-width space
        ("Mar\u00adnie", "Marnie"),  # soft hyphen
        ("Ma\u200crnie Ma\u200drnie", "Marnie Marnie"),  # zero-width (non-)joiner between Latin letters
        ("Mar\u2060nie", "Marnie"),  # word joiner
        ("\ufeffMarnie\ufeff", "Marnie"),  # byte-order marks
        ("\u200eMarnie\u200f \u202aQuill\u202c \u2066Tom\u2069 \u061cX", "Marnie Quill Tom X"),  # bidi marks
        ("Ma\ufe0frnie Ma\u034frnie Ma\u3164rnie", "Marnie Marnie Marnie"),  # variation selector, CGJ, filler
        ("M\u200ba\u200br\u200bn\u200bi\u200be", "Marnie"),
        ("0770\u200b0 900\u00ad318", "07700 900318"),
        # emoji sequences and joining scripts keep what builds them
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),
        ("❤\ufe0f", "❤\ufe0f"),
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian: the ZWNJ is part of the spelling
    ],
)
def test_invisible_characters_are_removed(value: str, expected: str) -> None:
    assert clean(value).text == expected


def test_no_format_character_survives_outside_emoji_and_joining_scripts() -> None:
    every_cf = "".join(chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf")
    assert clean(f"a{every_cf}b").text == "ab"
    assert strip_invisible("plain ascii") == "plain ascii"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Cf", "Mn", "So", "Zs")), max_size=60))
def test_format_characters_never_sit_between_latin_letters(value: str) -> None:
    text = clean(value).text
    assert clean(text).text == text
    for before, ch, after in zip(text, text[1:], text[2:]):
        if unicodedata.category(ch) == "Cf":
            assert not (before.isascii() and before.isalpha() and after.isascii() and after.isalpha()), repr(text)
