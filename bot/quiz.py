"""The threshold quiz for new staff: case scenarios, a round of them, and feedback.

Scenarios are reviewed content in knowledge/quiz/*.yml (one file each). None carries an
expected level: it is always computed by `bot.triage.assess`, so the quiz can never
teach a level the rubric would not give. A `QuizRound` is plain data that round-trips
through `to_dict` / `from_dict`, so the Rasa glue can keep it in a slot.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from bot.knowledge.files import DocRef
from bot.knowledge.models import cite
from bot.paths import KNOWLEDGE_DIR
from bot.schema import Day, Id, Line, StrictModel, non_empty, problems, read_yaml
from bot.triage import LEVELS, Assessment, Reason, Rubric, assess, default_rubric

__all__ = [
    "Feedback",
    "QuizError",
    "QuizRound",
    "Revisit",
    "Scenario",
    "Score",
    "default_scenarios_dir",
    "load_scenarios",
]


class QuizError(ValueError):
    """A scenario file is wrong, or a round was used or restored incorrectly."""


@dataclass(frozen=True)
class Scenario:
    """One anonymised case; `assessment` is what the rubric makes of its answers."""

    id: str
    title: str
    topic: str
    vignette: str
    answers: Mapping[str, Any]
    teaching_point: str
    source_citation: str
    review_date: dt.date
    assessment: Assessment

    @property
    def expected_level(self) -> int:
        return self.assessment.level




class _ScenarioFile(StrictModel):
    """One file of knowledge/quiz/. It has no expected level: `assess` decides it."""

    id: Id
    title: Line
    topic: Line
    vignette: Line
    answers: dict[str, Any]
    teaching_point: Line
    sources: list[DocRef]
    review_date: Day

    _given = non_empty("sources")


def _scenario(path: Path, rubric: Rubric) -> Scenario:
    try:
        raw = _ScenarioFile.parse_obj(read_yaml(path, QuizError))
    except ValidationError as error:
        raise QuizError(f"{path}: " + "; ".join(problems(error))) from None
    if raw.id != path.stem:
        raise QuizError(f"{path}: id {raw.id!r} must match the file name {path.stem!r}")
    sources = rubric.sources(raw.sources, f"{path}: sources", QuizError)
    try:
        assessment = assess(raw.answers, rubric)
    except ValueError as exc:
        raise QuizError(f"{path}: answers: {exc}") from exc
    return Scenario(
        id=raw.id,
        title=raw.title,
        topic=raw.topic,
        vignette=raw.vignette,
        answers=assessment.answers,
        teaching_point=raw.teaching_point,
        source_citation=cite(sources),
        review_date=raw.review_date,
        assessment=assessment,
    )


def load_scenarios(directory: Path, rubric: Rubric | None = None) -> list[Scenario]:
    """Every scenario in `directory` (*.yml), sorted by id, each assessed by the rubric."""
    rubric = rubric if rubric is not None else default_rubric()
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise QuizError(f"{directory}: no scenario files (*.yml)")
    return [_scenario(path, rubric) for path in paths]


def default_scenarios_dir() -> Path:
    """knowledge/quiz in this repository."""
    return KNOWLEDGE_DIR / "quiz"


@dataclass(frozen=True)
class Feedback:
    """What the learner is told after picking a level."""

    scenario_id: str
    correct: bool
    picked_level: int
    expected_level: int
    expected_level_name: str
    emergency: bool
    reasons: list[Reason]  # the rules that fired, highest level first, with their sources
    notes: list[tuple[str, str]]
    teaching_point: str
    teaching_citation: str
    next_step: str
    next_step_citation: str


class Score(NamedTuple):
    correct: int
    answered: int
    total: int


class Revisit(NamedTuple):
    """A scenario the learner got wrong: the topic and level to go back to."""

    scenario_id: str
    topic: str
    expected_level: int
    expected_level_name: str
    picked_level: int


def _check_level(level: Any) -> int:
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        raise QuizError(f"level must be one of {list(LEVELS)}, got {level!r}")
    return level


@dataclass
class QuizRound:
    """A round of scenarios and the levels the learner has picked so far."""

    scenarios: tuple[Scenario, ...]
    picks: list[int] = field(default_factory=list)

    @classmethod
    def start(cls, scenarios: Sequence[Scenario], size: int = 5, seed: int | None = None) -> QuizRound:
        """A round of `size` scenarios spread across the levels (emergencies count as their own kind)."""
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= len(scenarios):
            raise QuizError(f"size must be between 1 and {len(scenarios)}, got {size!r}")
        rng = random.Random(seed)
        groups: dict[tuple[int, bool], list[Scenario]] = {}
        for scenario in sorted(scenarios, key=lambda s: s.id):
            kind = (scenario.expected_level, scenario.assessment.emergency)
            groups.setdefault(kind, []).append(scenario)
        kinds = sorted(groups)
        rng.shuffle(kinds)
        for group in groups.values():
            rng.shuffle(group)
        chosen: list[Scenario] = []
        while len(chosen) < size:
            for kind in kinds:
                if groups[kind] and len(chosen) < size:
                    chosen.append(groups[kind].pop())
        rng.shuffle(chosen)
        return cls(tuple(chosen))

    @property
    def finished(self) -> bool:
        return len(self.picks) >= len(self.scenarios)

    def current(self) -> Scenario | None:
        """The scenario awaiting an answer, or None when the round is over."""
        return None if self.finished else self.scenarios[len(self.picks)]

    def answer(self, level: int) -> Feedback:
        """Record the learner's pick (an int 1-4) for the current scenario and explain the answer."""
        scenario = self.current()
        if scenario is None:
            raise QuizError("the round is finished: start a new one")
        self.picks.append(_check_level(level))
        return _feedback(scenario, level)

    def score(self) -> Score:
        correct = sum(1 for s, pick in zip(self.scenarios, self.picks) if pick == s.expected_level)
        return Score(correct, len(self.picks), len(self.scenarios))

    def to_revisit(self) -> list[Revisit]:
        """The scenarios answered wrongly, in the order they were asked."""
        return [
            Revisit(s.id, s.topic, s.expected_level, s.assessment.level_name, pick)
            for s, pick in zip(self.scenarios, self.picks)
            if pick != s.expected_level
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable state: scenario ids and picks."""
        return {"scenario_ids": [s.id for s in self.scenarios], "picks": list(self.picks)}

    @classmethod
    def from_dict(cls, data: Any, scenarios: Sequence[Scenario]) -> QuizRound:
        """Rebuild a round from `to_dict` output; QuizError if it does not fit the scenarios."""
        if not isinstance(data, Mapping) or set(data) != {"scenario_ids", "picks"}:
            raise QuizError(f"a saved round must be {{scenario_ids, picks}}, got {data!r}")
        ids, picks = data["scenario_ids"], data["picks"]
        if not isinstance(ids, list) or not ids or not isinstance(picks, list) or len(picks) > len(ids):
            raise QuizError("a saved round needs a non-empty list of scenario ids and no more picks than ids")
        by_id = {s.id: s for s in scenarios}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise QuizError(f"a saved round names unknown scenarios {unknown}")
        return cls(tuple(by_id[i] for i in ids), [_check_level(p) for p in picks])


def _feedback(scenario: Scenario, picked: int) -> Feedback:
    result = scenario.assessment
    return Feedback(
        scenario_id=scenario.id,
        correct=picked == result.level,
        picked_level=picked,
        expected_level=result.level,
        expected_level_name=result.level_name,
        emergency=result.emergency,
        reasons=list(result.reasons),
        notes=list(result.note_texts),
        teaching_point=scenario.teaching_point,
        teaching_citation=scenario.source_citation,
        next_step=result.next_step,
        next_step_citation=result.next_step_citation,
    )


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}


def level_in(text: str, names: Mapping[int, str]) -> int | None:
    """The level a typed quiz answer picks ("level 3", "3", "I'd say early help"), or None.

    `names` are the levels' names (knowledge/levels.yml, as the area names them); each
    part of a name between "/", "(", ")" and "," counts ("Targeted / complex needs
    (child in need)" gives "targeted", "complex needs", "child in need"). An answer that
    names two different levels is not read (None), so the question is asked again.
    """
    words = " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "
    found: set[int] = set()
    # A bare digit is a level; a number word only after "level" ("next one" is not level 1).
    for match in re.finditer(r" (?:(?:level |lvl |l)([1-4]|one|two|three|four)|([1-4])) ", words):
        token = match.group(1) or match.group(2)
        found.add(int(token) if token.isdigit() else _NUMBER_WORDS[token])
    for level, name in names.items():
        for part in re.split(r"[/(),]", name.lower()):
            phrase = " ".join(re.sub(r"[^a-z0-9]+", " ", part).split())
            if phrase and f" {phrase} " in words:
                found.add(level)
    return found.pop() if len(found) == 1 else None
