"""Load tests/safety/emergency_table.yml: messages that must and must not get 999.

    from tests.safety.emergency_table import load_table
    table = load_table()
    for text in table.emergency: ...   # must be recognised as immediate danger
    for text in table.near_miss: ...   # must not

Any classifier can be run over it: EmergencySignals (tests/safety/
test_emergency_table.py) or the trained Rasa model (intent `emergency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

TABLE_PATH = Path(__file__).resolve().parent / "emergency_table.yml"


@dataclass(frozen=True)
class EmergencyTable:
    """The two columns of the table, in file order."""

    emergency: tuple[str, ...]
    near_miss: tuple[str, ...]


def load_table(path: Path = TABLE_PATH) -> EmergencyTable:
    """Read the table; each column must be a non-empty list of distinct, non-blank texts."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns: dict[str, tuple[str, ...]] = {}
    for key in ("emergency", "near_miss"):
        texts = data.get(key) if isinstance(data, dict) else None
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError(f"{path}: {key}: expected a non-empty list of texts")
        columns[key] = tuple(" ".join(t.split()) for t in texts)
    both = set(columns["emergency"]) & set(columns["near_miss"])
    if both:
        raise ValueError(f"{path}: in both columns: {sorted(both)}")
    return EmergencyTable(**columns)
