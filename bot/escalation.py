"""The escalation navigator's steps, read from knowledge/learning/escalation.yml,
and where typed progress ("I've spoken to the social worker and nothing
changed") takes the practitioner next."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import ValidationError

from bot.knowledge.files import DocRef
from bot.schema import Line, StrictModel, non_empty, problems, read_yaml
from bot.triage_flow import phrase_tokens


class EscalationError(ValueError):
    """knowledge/learning/escalation.yml is malformed."""


class Step(StrictModel):
    id: str
    title: Line
    said: tuple[str, ...] = ()
    text: Line
    sources: list[DocRef]

    _given = non_empty("sources")


class Escalation(StrictModel):
    id: str
    review_date: date
    progress: tuple[str, ...]
    reminder: Line
    steps: tuple[Step, ...]

    _given = non_empty("steps")

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
