"""The escalation navigator's steps (bot/escalation.py): validated on load, and typed progress."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.escalation import EscalationError, load_escalation
from bot.knowledge.snapshot import snapshot

ESCALATION_FILE = snapshot().path("escalation")


def test_the_steps_load_with_their_sources() -> None:
    escalation = snapshot().escalation
    assert len(escalation.steps) >= 2
    assert all(step.sources and step.title and step.text for step in escalation.steps)


@pytest.mark.parametrize(
    ("text", "shown", "expected"),
    [
        ("I've spoken to the social worker and nothing changed", 1, 2),
        ("done that, what now?", 1, 2),
        ("talked to my manager and we still disagree", 1, 3),  # names a later step: after it
        ("thanks", 1, None),  # no progress said
        ("done that", 3, 3),  # never past the last step
    ],
)
def test_typed_progress(text: str, shown: int, expected: int | None) -> None:
    escalation = snapshot().escalation
    last = len(escalation.steps)
    assert escalation.next_step(text, shown) == (min(expected, last) if expected else None)


def test_an_unknown_field_or_a_missing_source_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(ESCALATION_FILE.read_text(encoding="utf-8"))
    data["steps"][0]["colour"] = "red"
    bad = tmp_path / "escalation.yml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(EscalationError, match="colour"):
        load_escalation(bad)
    del data["steps"][0]["colour"]
    data["steps"][0]["sources"] = [{"doc": "x"}]
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(EscalationError, match="section"):
        load_escalation(bad)
