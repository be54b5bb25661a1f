"""The escalation navigator's steps, read from knowledge/learning/escalation.yml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "learning" / "escalation.yml"


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    text: str
    sources: tuple[tuple[str, str], ...]  # (document id, section)


@dataclass(frozen=True)
class Escalation:
    reminder: str
    steps: tuple[Step, ...]


@lru_cache(maxsize=4)
def load_escalation(path: Path = DEFAULT_PATH) -> Escalation:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = tuple(
        Step(
            id=step["id"],
            title=step["title"],
            text=" ".join(step["text"].split()),
            sources=tuple((s["doc"], s["section"]) for s in step["sources"]),
        )
        for step in data["steps"]
    )
    if not steps:
        raise ValueError(f"{path}: no escalation steps")
    return Escalation(reminder=" ".join(data["reminder"].split()), steps=steps)
