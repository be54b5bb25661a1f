"""The threshold quiz (bot.quiz) and its scenarios in knowledge/quiz/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.quiz import QuizError, QuizRound, Scenario, default_scenarios_dir, load_scenarios
from bot.triage import assess, default_rubric

SCENARIOS = load_scenarios(default_scenarios_dir())
BY_ID = {s.id: s for s in SCENARIOS}


# --- The scenarios as data ------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_expected_level_is_what_the_rubric_gives(scenario: Scenario) -> None:
    raw = yaml.safe_load((default_scenarios_dir() / f"{scenario.id}.yml").read_text(encoding="utf-8"))
    fresh = assess(raw["answers"])
    assert scenario.expected_level == fresh.level
    assert scenario.assessment.fired == fresh.fired
    assert scenario.assessment.emergency == fresh.emergency


def test_enough_varied_scenarios() -> None:
    assert len(SCENARIOS) >= 24
    assert {s.expected_level for s in SCENARIOS} == {1, 2, 3, 4}
    assert any(s.assessment.emergency for s in SCENARIOS)
    for level in (1, 2, 3, 4):
        assert sum(1 for s in SCENARIOS if s.expected_level == level and not s.assessment.emergency) >= 3, level
    ages = {s.answers.get("age_band") for s in SCENARIOS}
    assert ages >= {"unborn", "under_1", "1_4", "5_11", "12_17"}
    assert sum(1 for s in SCENARIOS if s.answers.get("disabled") == "yes") >= 2
    assert sum(1 for s in SCENARIOS if s.answers.get("age_band") == "12_17") >= 3


def test_all_seven_types_of_neglect_appear() -> None:
    """Coventry toolkit's seven classifications, each the subject of an unmet need somewhere."""
    unmet_domains = {
        domain
        for s in SCENARIOS
        for domain, value in s.answers.get("needs", {}).items()
        if value in ("mostly_unmet", "unmet")
    }
    assert unmet_domains == set(default_rubric().answers["needs"].domains)
    assert len(unmet_domains) == 7


def test_the_two_seed_case_studies_are_included() -> None:
    caravan, baby = BY_ID["kr_caravan_family"], BY_ID["coventry_four_month_baby"]
    assert "caravan" in caravan.vignette and "Kingston & Richmond" in caravan.source_citation
    assert "4-month-old" in baby.vignette and "Coventry" in baby.source_citation


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_is_short_sourced_and_anonymised(scenario: Scenario) -> None:
    sentences = re.findall(r"[.!?](?:\s|$)", scenario.vignette)
    assert 2 <= len(sentences) <= 4, scenario.vignette
    assert scenario.teaching_point and scenario.source_citation and scenario.topic and scenario.title
    # No names, dates of birth or phone numbers: a capital letter may only start a sentence.
    for sentence in re.split(r"(?<=[.!?])\s+", scenario.vignette):
        assert not [w for w in sentence.split()[1:] if w[:1].isupper()], sentence
    assert not re.search(r"\d{1,2}/\d{1,2}|\d{4} ?\d{3} ?\d{3,4}", scenario.vignette)


def _write(tmp_path: Path, name: str, content: dict[str, Any]) -> Path:
    (tmp_path / f"{name}.yml").write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return tmp_path


def _good(name: str = "case") -> dict[str, Any]:
    raw = yaml.safe_load((default_scenarios_dir() / "falling_attendance.yml").read_text(encoding="utf-8"))
    raw["id"] = name
    return raw


BAD_SCENARIOS = [
    ("an expected level typed by hand", lambda r: r.update(expected_level=2), "expected_level: unknown field"),
    ("missing teaching point", lambda r: r.pop("teaching_point"), "teaching_point: missing"),
    ("bad answers", lambda r: r["answers"].update(impact="huge"), "impact: unknown value 'huge'"),
    ("unquoted age band", lambda r: r["answers"].update(age_band=511), "age_band"),
    ("unknown source", lambda r: r.update(sources=[{"doc": "blog", "section": "x"}]), "sources[0]"),
    ("no sources", lambda r: r.update(sources=[]), "sources: missing"),
    ("id not the file name", lambda r: r.update(id="other"), "must match the file name"),
    ("review date not a date", lambda r: r.update(review_date="soon"), "review_date"),
    ("empty vignette", lambda r: r.update(vignette=" "), "vignette"),
]


@pytest.mark.parametrize(("what", "mutate", "message"), BAD_SCENARIOS, ids=[c[0] for c in BAD_SCENARIOS])
def test_bad_scenarios_are_refused(tmp_path: Path, what: str, mutate: Any, message: str) -> None:
    raw = _good()
    mutate(raw)
    with pytest.raises(QuizError) as caught:
        load_scenarios(_write(tmp_path, "case", raw))
    assert message in str(caught.value)


def test_good_scenario_copy_loads(tmp_path: Path) -> None:
    loaded = load_scenarios(_write(tmp_path, "case", _good()))
    assert [s.id for s in loaded] == ["case"] and loaded[0].expected_level == 2


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(QuizError, match="no scenario files"):
        load_scenarios(tmp_path)


# --- A round ------------------------------------------------------------------------------------------


def test_round_is_varied_and_reproducible() -> None:
    first = QuizRound.start(SCENARIOS, size=5, seed=7)
    again = QuizRound.start(list(reversed(SCENARIOS)), size=5, seed=7)
    assert [s.id for s in first.scenarios] == [s.id for s in again.scenarios]
    kinds = {(s.expected_level, s.assessment.emergency) for s in first.scenarios}
    assert kinds == {(1, False), (2, False), (3, False), (4, False), (4, True)}
    assert len({s.id for s in first.scenarios}) == 5


@pytest.mark.parametrize("seed", range(5))
def test_rounds_of_other_sizes_cover_levels(seed: int) -> None:
    small = QuizRound.start(SCENARIOS, size=3, seed=seed)
    assert len({(s.expected_level, s.assessment.emergency) for s in small.scenarios}) == 3
    whole = QuizRound.start(SCENARIOS, size=len(SCENARIOS), seed=seed)
    assert sorted(s.id for s in whole.scenarios) == sorted(BY_ID)


@pytest.mark.parametrize("size", [0, -1, 28, 2.5, True, "5"])
def test_bad_round_size(size: Any) -> None:
    with pytest.raises(QuizError, match="size"):
        QuizRound.start(SCENARIOS, size=size)


def test_round_played_right() -> None:
    quiz = QuizRound.start(SCENARIOS, size=5, seed=1)
    for _ in range(5):
        scenario = quiz.current()
        assert scenario is not None
        feedback = quiz.answer(scenario.expected_level)
        assert feedback.correct and feedback.picked_level == feedback.expected_level == scenario.expected_level
        assert feedback.scenario_id == scenario.id
        assert feedback.teaching_point == scenario.teaching_point and feedback.teaching_citation
        assert feedback.next_step and feedback.next_step_citation
        assert feedback.expected_level_name == default_rubric().levels[scenario.expected_level].name
        assert [r.rule_id for r in feedback.reasons] == [r.rule_id for r in scenario.assessment.reasons]
        assert all(r.source_citation for r in feedback.reasons)
    assert quiz.finished and quiz.current() is None
    assert quiz.score() == (5, 5, 5)
    assert quiz.to_revisit() == []


def test_round_played_wrong() -> None:
    quiz = QuizRound.start(SCENARIOS, size=5, seed=2)
    wrong = []
    for _ in range(5):
        scenario = quiz.current()
        assert scenario is not None
        pick = 1 if scenario.expected_level != 1 else 4
        feedback = quiz.answer(pick)
        assert not feedback.correct and feedback.picked_level == pick
        assert feedback.expected_level == scenario.expected_level
        wrong.append((scenario.id, scenario.topic, scenario.expected_level, pick))
    assert quiz.score() == (0, 5, 5)
    assert [(r.scenario_id, r.topic, r.expected_level, r.picked_level) for r in quiz.to_revisit()] == wrong
    with pytest.raises(QuizError, match="finished"):
        quiz.answer(1)


def test_emergency_feedback_says_999() -> None:
    emergency = next(s for s in SCENARIOS if s.assessment.emergency)
    feedback = QuizRound((emergency,)).answer(4)
    assert feedback.correct and feedback.emergency
    assert "999" in feedback.next_step and feedback.reasons[0].rule_id == "E"


def test_level_1_feedback_has_no_reasons_but_a_next_step() -> None:
    calm = next(s for s in SCENARIOS if s.expected_level == 1)
    feedback = QuizRound((calm,)).answer(2)
    assert not feedback.correct and feedback.reasons == [] and feedback.next_step


@pytest.mark.parametrize("level", [0, 5, -1, "3", 3.0, None, True])
def test_bad_level_is_refused_and_not_recorded(level: Any) -> None:
    quiz = QuizRound.start(SCENARIOS, size=2, seed=3)
    with pytest.raises(QuizError, match="level must be one of"):
        quiz.answer(level)
    assert quiz.picks == [] and quiz.score() == (0, 0, 2)


def test_serialisation_round_trip() -> None:
    quiz = QuizRound.start(SCENARIOS, size=4, seed=4)
    first = quiz.current()
    assert first is not None
    quiz.answer(first.expected_level)
    saved = json.loads(json.dumps(quiz.to_dict()))
    restored = QuizRound.from_dict(saved, SCENARIOS)
    assert restored == quiz
    assert restored.current() == quiz.current()
    second = restored.current()
    assert second is not None
    restored.answer(second.expected_level)
    assert restored.score() == (2, 2, 4)
    assert quiz.score() == (1, 1, 4)  # the original is untouched


BAD_SAVED: list[Any] = [
    None,
    [],
    {"scenario_ids": ["falling_attendance"]},
    {"scenario_ids": [], "picks": []},
    {"scenario_ids": ["no_such_case"], "picks": []},
    {"scenario_ids": ["falling_attendance"], "picks": [2, 3]},
    {"scenario_ids": ["falling_attendance"], "picks": [7]},
    {"scenario_ids": "falling_attendance", "picks": []},
    {"scenario_ids": ["falling_attendance"], "picks": [], "extra": 1},
]


@pytest.mark.parametrize("data", BAD_SAVED)
def test_bad_saved_round_is_refused(data: Any) -> None:
    with pytest.raises(QuizError):
        QuizRound.from_dict(data, SCENARIOS)


NAMES = {1: "Universal", 2: "Early help (additional needs)", 3: "Targeted / complex needs (child in need)",
         4: "Specialist / statutory (child protection, significant harm)"}


@pytest.mark.parametrize("text, level", [
    ("I'd say level 3", 3), ("3", 3), ("lvl 2", 2), ("level four", 4), ("early help", 2),
    ("child protection i think", 4), ("universal services", 1), ("a child in need, level 3", 3),
    ("level 2 or 3", None), ("not sure", None), ("next one", None), ("", None), ("level 5", None),
])
def test_a_typed_quiz_answer_is_read_as_a_level(text: str, level) -> None:
    from bot.quiz import level_in

    assert level_in(text, NAMES) == level
