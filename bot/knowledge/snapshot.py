"""One knowledge folder, every part of it, read through one object.

`records` are the records that answer questions (areas, guidance, guides,
levels, routes, roles), as bot/knowledge/loader.py builds them; the build
compiles them into the SQLite database the actions query (`KnowledgeStore`,
with full-text search). The parts that drive the dialogue are read from their
files here: the triage rubric and questions, the description reader's vocabulary,
the quiz, the escalation navigator, the emergency signals, the privacy rules,
the channels' safe reply, the places not covered and the wording. Each is parsed by its declarative model on first use and then
kept, so a process pays only for the parts it uses (the Rasa server never
loads the quiz), and `problems` reads them all, so the build refuses a folder
where any part is broken, naming the file and the field.

`snapshot()` is the project's folder (bot.paths.KNOWLEDGE_DIR); the actions,
the components and the channels read that one.
"""
from __future__ import annotations

import functools
from pathlib import Path

from bot.description import DescriptionReader
from bot.emergency import EmergencySignals
from bot.escalation import Escalation, EscalationError, load_escalation
from bot.knowledge.files import FallbackFile, load_fallback
from bot.knowledge.loader import KnowledgeError, load
from bot.knowledge.models import Knowledge
from bot.paths import KNOWLEDGE_DIR
from bot.places import Places, PlacesError
from bot.quiz import Scenario, load_scenarios
from bot.redaction import PrivacySettings, load_privacy
from bot.triage import Rubric, load_rubric
from bot.triage_flow import QuestionSet, load_questions
from bot.wording import Wording
from bot.wording import load as load_wording

# Each part, the file (or folder) it is read from, and the parts it is checked against.
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rubric": ("triage/rubric.yml", ()),
    "questions": ("triage/questions.yml", ("rubric",)),
    "reader": ("triage/description.yml", ("questions",)),
    "quiz": ("quiz", ("rubric",)),
    "escalation": ("learning/escalation.yml", ("rubric",)),
    "emergency": ("safety/emergency_signals.yml", ()),
    "privacy": ("safety/privacy.yml", ()),
    "fallback": ("safety/fallback.yml", ()),
    "places": ("places.yml", ()),
    "wording": ("wording.yml", ()),
}


class Snapshot:
    """The dialogue's knowledge of one folder; each part is loaded once, when first asked for."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir

    def path(self, part: str) -> Path:
        return self.knowledge_dir / PARTS[part][0]

    @functools.cached_property
    def records(self) -> Knowledge:
        return load(self.knowledge_dir)

    @functools.cached_property
    def rubric(self) -> Rubric:
        return load_rubric(self.path("rubric"), self.knowledge_dir)

    @functools.cached_property
    def questions(self) -> QuestionSet:
        return load_questions(self.path("questions"), self.rubric)

    @functools.cached_property
    def reader(self) -> DescriptionReader:
        return DescriptionReader.from_files(
            self.path("reader"), self.questions, self.knowledge_dir / "safety" / "english_words.txt"
        )

    @functools.cached_property
    def quiz(self) -> tuple[Scenario, ...]:
        return tuple(load_scenarios(self.path("quiz"), self.rubric))

    @functools.cached_property
    def escalation(self) -> Escalation:
        escalation = load_escalation(self.path("escalation"))
        for step in escalation.steps:
            for ref in step.sources:
                if ref.doc not in self.rubric.documents:
                    raise EscalationError(f"steps: {step.id}: sources: doc {ref.doc!r} is not in sources.yml")
        return escalation

    @functools.cached_property
    def emergency(self) -> EmergencySignals:
        return EmergencySignals.from_file(self.path("emergency"))

    @functools.cached_property
    def privacy(self) -> PrivacySettings:
        return load_privacy(self.path("privacy"))

    @functools.cached_property
    def fallback(self) -> FallbackFile:
        """Read on its own (the channels' safety net needs nothing else); its sources
        are checked against sources.yml by `problems`."""
        return load_fallback(self.path("fallback"))

    @functools.cached_property
    def places(self) -> Places:
        """The places outside the covered areas, and the areas' own place names."""
        try:
            areas = self.records.areas
        except KnowledgeError as error:  # the areas' names are needed to tell places apart
            raise PlacesError(f"the areas do not load ({error})") from error
        return Places.from_file(self.path("places"), [n for area in areas for n in (area.name, *area.aliases)])

    @functools.cached_property
    def wording(self) -> Wording:
        return load_wording(self.path("wording"))

    def problems(self) -> list[str]:
        """Every part read; what is wrong with each, as "file: problem". A part whose
        dependency failed is not read (its errors would only repeat the first)."""
        failed: set[str] = set()
        found = []
        for part, (relative, needs) in PARTS.items():
            if failed & set(needs):
                failed.add(part)
                continue
            if not self.path(part).exists():
                found.append(f"{relative}: missing")
                failed.add(part)
                continue
            try:
                getattr(self, part)
            except (OSError, ValueError) as error:
                found.append(f"{relative}: {_without_path(str(error), self.path(part))}")
                failed.add(part)
        if not {"rubric", "fallback"} & failed:
            try:
                self.rubric.sources(self.fallback.safe_reply.sources, "safe_reply.sources", ValueError)
            except ValueError as error:
                found.append(f"{PARTS['fallback'][0]}: {error}")
        return found


def _without_path(message: str, path: Path) -> str:
    """A loader's message without the file name it starts with (the caller names the file)."""
    for prefix in (f"{path}: ", f"{path.name}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


@functools.cache
def snapshot(knowledge_dir: Path = KNOWLEDGE_DIR) -> Snapshot:
    """The project's knowledge (or another folder's), one object per process."""
    return Snapshot(knowledge_dir)
