"""What one typed message does to the triage (bot/triage_turn.py), without a tracker."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
import yaml

from bot.description import default_reader
from bot.triage_flow import default_questions
from bot.triage_turn import Turn, apply_pending, describe, understand
from tests.reader.test_description import TABLE

AREAS = {"kingston": "kingston_richmond", "oxfordshire": "oxfordshire", "coventry": "coventry"}


def _area(text: str) -> str | None:
    return next((v for k, v in AREAS.items() if k in text.lower()), None)


def _role(text: str) -> str | None:
    return "teacher" if "i'm a teacher" in text.lower() else None


def turn(text: str, asked: str | None, answers: dict[str, Any] | None = None,
         pending: dict[str, Any] | None = None) -> Turn:
    return understand(text, asked=asked, answers=answers or {}, pending=pending or {}, reader=default_reader(),
                      questions=default_questions(), find_area=_area, find_role=_role)


def test_a_plain_answer_to_the_question_asked_is_taken() -> None:
    assert turn("never", "needs.nutrition") == Turn("plain", {"needs.nutrition": "unmet"})
    assert turn("she's 8 months", "age_band").answers == {"age_band": "under_1"}


def test_a_sentence_answering_the_question_asked_is_taken_where_the_wording_cannot_mislead() -> None:
    assert turn("no, he's not in any danger", "immediate_danger").answers == {"immediate_danger": "no"}
    assert turn("she's 20 weeks pregnant", "age_band").answers == {"age_band": "unborn"}


def test_a_need_in_the_practitioners_words_waits_for_confirmation() -> None:
    result = turn("she's often hungry, mum forgets feeds", "needs.nutrition")
    assert result.kind == "description"
    assert result.answers == {}
    assert result.pending == {"needs.nutrition": {"value": "mostly_unmet", "words": "she's often hungry"}}


def test_a_message_answering_other_questions_fills_them_all_for_confirmation() -> None:
    result = turn("food's fine but her clothes are always filthy", "needs.health")
    assert result.kind == "description"
    assert result.pending is not None
    assert apply_pending(result.pending) == {"needs.nutrition": "met", "needs.physical_care": "unmet"}


def test_the_area_and_role_in_a_description_count_at_once() -> None:
    result = turn("I'm a teacher in Oxfordshire, he's 7 and always hungry", None)
    assert result.answers == {"area": "oxfordshire", "role": "teacher"}
    assert result.pending is not None and set(result.pending) == {"age_band", "needs.nutrition"}


def test_confirming_and_changing_readings() -> None:
    pending = {"needs.nutrition": {"value": "mostly_unmet", "words": "often hungry"}}
    assert turn("That's right", "needs.health", pending=pending) == Turn(
        "confirm", {"needs.nutrition": "mostly_unmet"}, pending={})
    assert turn("change something", "needs.health", pending=pending).kind == "change"
    # "yes" with nothing waiting is an answer, not a confirmation
    assert turn("yes", "disabled").answers == {"disabled": "yes"}


def test_a_correction_replaces_an_earlier_answer() -> None:
    result = turn("sorry, actually she's 2, not 8 months", "needs.health", answers={"age_band": "under_1"})
    assert result.kind == "correction"
    assert result.answers == {"age_band": "1_4"}
    assert result.corrected == ("age_band",)
    result = turn("sorry, I meant Kingston", "needs.health", answers={"area": "coventry"})
    assert (result.kind, result.answers) == ("correction", {"area": "kingston_richmond"})


def test_a_correction_of_a_waiting_reading() -> None:
    pending = {"needs.nutrition": {"value": "mostly_unmet", "words": "often hungry"}}
    result = turn("actually food is fine", "needs.health", pending=pending)
    assert result.kind == "correction"
    assert result.answers == {"needs.nutrition": "met"}
    assert result.pending == {}


def test_carry_on_after_an_emergency() -> None:
    assert turn("she's safe now, let's carry on", "needs.health").kind == "resume"


def test_nothing_read() -> None:
    assert turn("hmm", "needs.health") == Turn("none")


def test_readings_are_shown_with_option_titles_and_the_words() -> None:
    shown = describe({"needs.nutrition": {"value": "mostly_unmet", "words": "often hungry"},
                      "factors": {"value": ["substance_misuse"], "words": "mum drinks"}},
                     default_reader(), default_questions())
    assert "Food and nutrition: Mostly not met" in shown and "often hungry" in shown
    assert "Alcohol or drug misuse" in shown and "substance_misuse" not in shown


def _simulate(messages: list[str], rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
    """Play typed messages through `understand` the way the form applies turns.

    Returns the answers recorded and, for each, where it came from: "typed"
    (a plain answer to the question asked, or a correction: the practitioner's
    own answer) or "shown" (a reading from a description, recorded only after
    it was shown back and confirmed, or let stand by carrying on)."""
    answers: dict[str, Any] = {}
    source: dict[str, str] = {}
    pending: dict[str, Any] = {}
    on_screen: dict[str, Any] = {}  # the readings last shown to the practitioner
    for text in messages + ["that's right"]:
        asked = rng.choice([None, "needs.health", "duration", "age_band"])
        result = turn(text, asked, answers=answers, pending=pending)
        if result.kind in ("plain", "confirm") and pending:
            assert pending == on_screen, "readings recorded that were not the ones shown"
            answers.update(apply_pending(pending))
            source.update(dict.fromkeys(pending, "shown"))
            pending = {}
        if result.kind in ("plain", "correction", "description", "none"):
            answers.update(result.answers)
            source.update(dict.fromkeys(result.answers, "typed"))
        if result.pending is not None:
            pending = dict(result.pending)
            on_screen = dict(pending)
    return answers, source


def test_property_readings_never_reach_assess_unless_shown_first() -> None:
    """For random runs of messages (the reader table's own phrases, in random
    order and combination, each typed at a random question), every answer read
    from a description reaches the answers only after being shown back
    unchanged, and a description turn itself never records a triage answer."""
    rng = random.Random(20261201)
    rows = [row["text"] for row in yaml.safe_load(TABLE.read_text(encoding="utf-8"))]
    described = 0
    for _ in range(400):
        messages = rng.sample(rows, rng.randint(1, 4))
        for text in messages:
            asked = rng.choice([None, "needs.health", "age_band"])
            result = turn(text, asked)
            if result.kind == "description":
                described += 1
                # Only the area, the role, and a plain answer to the question asked
                # that opens the message ("not at all, the house is ...") count at once.
                assert set(result.answers) <= {"area", "role", asked}, (text, result.answers)
                if asked in result.answers:
                    opening = re.split(r"[,.;:!?\n]", text, maxsplit=1)[0]
                    assert turn(opening, asked).answers.get(asked) == result.answers[asked], text
        answers, source = _simulate(messages, rng)
        assert set(answers) == set(source)
    assert described > 200  # the property was exercised


@pytest.mark.parametrize("text", ["", "   ", "/choose{}", "🙂", "x" * 5000])
def test_odd_input_never_raises(text: str) -> None:
    assert isinstance(turn(text, "needs.health"), Turn)
