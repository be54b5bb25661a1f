"""The escalation navigator's steps, read from knowledge/learning/escalation.yml,
and where typed progress ("I've spoken to the social worker and nothing
changed") takes the practitioner next."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import ValidationError, validator

from bot.schema import StrictModel, problems, read_yaml
from bot.triage_flow import phrase_tokens


class EscalationError(ValueError):
    """knowledge/learning/escalation.yml is malformed."""


class SourceRef(StrictModel):
    doc: str
    section: str


class Step(StrictModel):
    id: str
    title: str
    said: tuple[str, ...] = ()
    text: str
    sources: tuple[tuple[str, str], ...]  # (document id, section)

    @validator("sources", pre=True)
    def _refs(cls, value: list[dict[str, str]]) -> list[tuple[str, str]]:  # noqa: N805 - pydantic
        refs = [SourceRef.parse_obj(item) for item in value]
        return [(ref.doc, ref.section) for ref in refs]

    @validator("text", "title")
    def _one_line(cls, value: str) -> str:  # noqa: N805 - pydantic
        return " ".join(value.split())


class Escalation(StrictModel):
    id: str
    review_date: date
    progress: tuple[str, ...]
    reminder: str
    steps: tuple[Step, ...]

    @validator("reminder")
    def _one_line(cls, value: str) -> str:  # noqa: N805 - pydantic
        return " ".join(value.split())

    @validator("steps")
    def _some(cls, value: tuple[Step, ...]) -> tuple[Step, ...]:  # noqa: N805 - pydantic
        if not value:
            raise ValueError("no escalation steps")
        return value

    def next_step(self, text: str, current: int) -> int | None:
        """The step (1-based) typed progress leads to from step `current`, or
        None when the message says no progress."""
        said = f" {' '.join(phrase_tokens(text))} "

        def names(phrase: str) -> bool:
            return f" {' '.join(phrase_tokens(phrase))} " in said

        furthest = max((i for i, step in enumerate(self.steps, 1) if any(names(p) for p in step.said)), default=0)
        progress = any(names(p) for p in self.progress)
        if not furthest and not progress:
            return None
        return min(max(furthest + 1, current + 1 if progress else 0), len(self.steps))


def load_escalation(path: Path) -> Escalation:
    try:
        return Escalation.parse_obj(read_yaml(path, EscalationError))
    except ValidationError as error:
        raise EscalationError(f"{path}: " + "; ".join(problems(error))) from None
