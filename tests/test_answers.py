"""Typed answers (bot.answers): what practitioners type instead of pressing a button."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers import interpret_answer, parse_answer
from bot.triage import AnswerError
from bot.triage_flow import default_questions

READS: list[tuple[str, str, Any]] = [
    # (key, what the practitioner typed, the value read)
    ("immediate_danger", "yes", "yes"),
    ("immediate_danger", "Yeah", "yes"),
    ("immediate_danger", "yes, she is in danger", "yes"),
    ("immediate_danger", "he's not safe", "yes"),
    ("immediate_danger", "no", "no"),
    ("immediate_danger", "nope", "no"),
    ("immediate_danger", "not right now", "no"),
    ("immediate_danger", "no she's safe", "no"),
    ("immediate_danger", "No, she’s safe.", "no"),
    ("immediate_danger", "she's not in immediate danger", "no"),
    ("age_band", "unborn", "unborn"),
    ("age_band", "she's pregnant", "unborn"),
    ("age_band", "unborn baby", "unborn"),
    ("age_band", "she's 15", "12_17"),
    ("age_band", "yes she's 15", "12_17"),
    ("age_band", "15", "12_17"),
    ("age_band", "3 months", "under_1"),
    ("age_band", "6 weeks old", "under_1"),
    ("age_band", "11 months", "under_1"),
    ("age_band", "12 months", "1_4"),
    ("age_band", "18 months", "1_4"),
    ("age_band", "toddler", "1_4"),
    ("age_band", "7 year old", "5_11"),
    ("age_band", "7yo", "5_11"),
    ("age_band", "7 y/o", "5_11"),
    ("age_band", "teenager", "12_17"),
    ("age_band", "he is 2", "1_4"),
    ("age_band", "aged four", "1_4"),
    ("age_band", "0", "under_1"),
    ("age_band", "4", "1_4"),
    ("age_band", "5", "5_11"),
    ("age_band", "11", "5_11"),
    ("age_band", "12", "12_17"),
    ("age_band", "17", "12_17"),
    ("age_band", "newborn", "under_1"),
    ("age_band", "he is under 1 year old", "under_1"),
    ("age_band", "1-4", "1_4"),
    ("age_band", "12–17 years", "12_17"),
    ("disabled", "yes", "yes"),
    ("disabled", "no", "no"),
    ("disabled", "not sure", "unknown"),
    ("disabled", "don't know", "unknown"),
    ("disabled", "dont know", "unknown"),
    ("disabled", "not disabled", "no"),
    ("needs.nutrition", "met", "met"),
    ("needs.nutrition", "Mostly", "mostly_met"),
    ("needs.health", "mostly met", "mostly_met"),
    ("needs.health", "mostly not", "mostly_unmet"),
    ("needs.supervision", "not really", "mostly_unmet"),
    ("needs.emotional", "never", "unmet"),
    ("needs.education", "not sure", "unknown"),
    ("needs.physical_care", "don't know", "unknown"),
    ("needs.prenatal", "not met most of the time", "mostly_unmet"),
    ("needs.health", "I think it's mostly met", "mostly_met"),
    ("needs.health", "not really met", "mostly_unmet"),
    ("needs.health", "not at all", "unmet"),
    ("duration", "once", "single_episode"),
    ("duration", "just the once", "single_episode"),
    ("duration", "a few weeks", "recent"),
    ("duration", "3 weeks", "recent"),
    ("duration", "months", "persistent"),
    ("duration", "years", "persistent"),
    ("duration", "ongoing", "persistent"),
    ("duration", "for about 6 months", "persistent"),
    ("change", "nothing tried yet", "no_support_yet"),
    ("change", "getting better", "improving"),
    ("change", "improved then slipped back", "not_sustained"),
    ("change", "it got better but then slipped back", "not_sustained"),
    ("change", "won't engage", "not_engaging"),
    ("change", "wont engage", "not_engaging"),
    ("impact", "none", "none"),
    ("impact", "a bit", "some"),
    ("impact", "some", "some"),
    ("impact", "serious", "significant"),
    ("impact", "significant", "significant"),
    ("factors", "dad drinks", ["substance_misuse"]),
    ("factors", "mum's depressed", ["parental_mental_health"]),
    ("factors", "DV", ["domestic_abuse"]),
    ("factors", "housing", ["poverty_or_housing"]),
    ("factors", "none", []),
    ("factors", "done", []),
    ("factors", "That's all", []),
    ("factors", "dad drinks and mum's depressed", ["substance_misuse", "parental_mental_health"]),
    ("factors", "DV, and they're in rent arrears", ["domestic_abuse", "poverty_or_housing"]),
    # Canonical values and button payloads
    ("age_band", "1_4", "1_4"),
    ("needs.health", "mostly_unmet", "mostly_unmet"),
    ("needs.health", "mostly unmet", "mostly_unmet"),
    ("change", "not_sustained", "not_sustained"),
    ("factors", "domestic_abuse", ["domestic_abuse"]),
    ("factors", "domestic_abuse, substance_misuse", ["domestic_abuse", "substance_misuse"]),
    ("age_band", '/inform{"triage_age_band": "1_4"}', "1_4"),
    ("needs.health", '/inform{"triage_need_health": "unmet"}', "unmet"),
    ("impact", '/triage_answer{"value": "some"}', "some"),
    ("factors", '/inform{"triage_factors": ["substance_misuse", "domestic_abuse"]}', ["domestic_abuse", "substance_misuse"]),  # noqa: E501
    ("factors", '/inform{"triage_factors": "known_history"}', ["known_history"]),
    ("factors", '/inform{"triage_factors": []}', []),
    ("factors", '/choose{"triage_answer": "none"}', []),
    ("factors", '/choose{"triage_answer": "criminality"}', ["criminality"]),
    ("age_band", '/choose{"triage_answer": "1_4"}', "1_4"),
    ("immediate_danger", '/choose{"triage_answer": "yes"}', "yes"),
]


@pytest.mark.parametrize(("key", "text", "value"), READS, ids=[f"{k}:{t}" for k, t, _ in READS])
def test_reads(key: str, text: str, value: Any) -> None:
    assert parse_answer(key, text) == value


NOT_READ: list[tuple[str, str, str]] = [
    # (key, typed, why it is not read) — the bot asks again rather than guess
    ("immediate_danger", "", "empty"),
    ("immediate_danger", "   ", "empty"),
    ("immediate_danger", "not sure", "doubt"),
    ("immediate_danger", "maybe", "doubt"),
    ("immediate_danger", "no, but he's in danger at home", "ambiguous"),
    ("immediate_danger", "yes she's safe", "ambiguous"),
    ("immediate_danger", "what do you mean?", "unrecognised"),
    ("age_band", "18", "adult"),
    ("age_band", "she's 19", "adult"),
    ("age_band", "twenty", "adult"),
    ("age_band", "she's 15 and pregnant", "ambiguous"),
    ("age_band", "twins aged 3 and 7", "ambiguous"),
    ("age_band", "she has 2 siblings", "unrecognised"),
    ("age_band", "he is not 2", "doubt"),
    ("age_band", "old enough", "unrecognised"),
    ("needs.health", "no", "doubt"),
    ("needs.health", "yes", "unrecognised"),
    ("needs.health", "not met", "doubt"),
    ("needs.health", "maybe met", "doubt"),
    ("needs.health", "met or mostly met", "ambiguous"),
    ("needs.health", "not good", "doubt"),
    ("duration", "weeks or months", "ambiguous"),
    ("duration", "not ongoing", "doubt"),
    ("change", "not getting better", "doubt"),
    ("change", "no better", "doubt"),
    ("impact", "not serious", "doubt"),
    ("impact", "some or significant", "ambiguous"),
    ("factors", "no DV", "ambiguous"),
    ("factors", "not DV", "doubt"),
    ("factors", "none, just housing", "ambiguous"),
    ("factors", "the weather", "unrecognised"),
    ("factors", '/inform{"triage_factors": ["gambling"]}', "unrecognised"),
    ("factors", '/inform{"triage_factors": ["none", "criminality"]}', "unrecognised"),
    ("factors", "none of these but dv", "ambiguous"),
    ("age_band", '/inform{"triage_age_band": "adult"}', "unrecognised"),
    ("age_band", "/inform{not json}", "unrecognised"),
    ("age_band", '/inform{"a": "1_4", "b": "5_11"}', "unrecognised"),
]


@pytest.mark.parametrize(("key", "text", "reason"), NOT_READ, ids=[f"{k}:{t}" for k, t, _ in NOT_READ])
def test_does_not_guess(key: str, text: str, reason: str) -> None:
    result = interpret_answer(key, text)
    assert result.value is None
    assert result.reason == reason
    assert result.message == default_questions().unsure[reason]


def test_adult_message_says_why() -> None:
    assert "under 18" in (interpret_answer("age_band", "he's 18").message or "")


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(AnswerError, match="colour"):
        parse_answer("colour", "red")


def test_every_button_title_and_phrase_reads_back_to_its_option() -> None:
    """The vocabulary in questions.yml is consistent: no phrase is read as another option."""
    checked = 0
    for question in default_questions().questions:
        for option in question.options:
            for text in (option.title, option.value, *(" ".join(p) for p in option.phrases)):
                expected = [option.value] if question.multiple else option.value
                assert parse_answer(question.key, text) == expected, (question.key, text)
                checked += 1
        if question.finish is not None:
            for text in (question.finish.title, question.finish.value, *(" ".join(p) for p in question.finish.phrases)):
                assert parse_answer(question.key, text) == [], text
    assert checked > 300


KEYS = [q.key for q in default_questions().questions]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KEYS), st.text(max_size=80))
def test_any_text_reads_as_an_allowed_value_or_nothing(key: str, text: str) -> None:
    question = default_questions().get(key)
    allowed = {o.value for o in question.options}
    value = parse_answer(key, text)
    if question.multiple:
        assert value is None or (isinstance(value, list) and set(value) <= allowed)
    else:
        assert value is None or value in allowed
