"""The description reader (bot/description.py) against its table.

tests/reader/description_table.yml was written apart from the reader, from the
triage contract and the seeds only, by someone who had not seen its vocabulary
(313 phrases: every needs domain at every level, negation, contrast, hedges,
misspellings, abbreviations, ages, factors, long case descriptions and messages
with nothing to read). The reader was then tuned on the even-numbered rows
only; the odd-numbered rows stay a held-out check.

One rule differs on purpose. The table's author was told that a problem said
with no frequency word ("house filthy") is not read; the product reads it as
"mostly not met", because every reading is shown back to the practitioner
before it counts and "Change something" corrects it (bot/triage_turn.py), and
because a practitioner who writes "his uniform is dirty and he smells" means
a need not met. Those rows count against precision here, unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.description import DescriptionReader, Reading, default_reader

TABLE = Path(__file__).with_name("description_table.yml")
ROWS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
# Area and role are read by the knowledge store (tests/test_knowledge_store.py), not here.
CONTEXT_KEYS = {"area", "role"}
# Measured on this table: held-out (odd rows) precision 0.89, recall 0.81;
# all rows 0.91 / 0.89. A wrong reading is worse than none (it is shown for
# confirmation, but a practitioner in a hurry may accept it), so precision has
# the higher floor.
PRECISION_FLOOR, RECALL_FLOOR = 0.88, 0.80


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: tuple(sorted(value)) if isinstance(value, list) else str(value)
        for key, value in (row.get("expect") or {}).items() if key not in CONTEXT_KEYS
    }


def _got(readings: list[Reading]) -> dict[str, Any]:
    return {r.key: tuple(sorted(r.value)) if isinstance(r.value, tuple) else r.value for r in readings}


def score(rows: list[dict[str, Any]], reader: DescriptionReader) -> tuple[float, float]:
    """Precision and recall of readings (each factor counts as one reading)."""
    right = wrong = missed = 0
    for row in rows:
        expected, got = _expected(row), _got(reader.read(row["text"]))
        for key, value in got.items():
            if key == "factors":
                right += len(set(value) & set(expected.get(key, ())))
                wrong += len(set(value) - set(expected.get(key, ())))
            else:
                right += expected.get(key) == value
                wrong += expected.get(key) != value
        for key, value in expected.items():
            if key == "factors":
                missed += len(set(value) - set(got.get(key, ())))
            else:
                missed += got.get(key) != value
    return right / max(1, right + wrong), right / max(1, right + missed)


def test_the_table_is_big_enough_and_well_formed() -> None:
    assert len(ROWS) >= 150
    assert all(isinstance(row.get("text"), str) and row["text"].strip() for row in ROWS)


@pytest.mark.parametrize("part", ["held-out rows", "all rows"])
def test_precision_and_recall_on_the_table(part: str) -> None:
    rows = ROWS[1::2] if part == "held-out rows" else ROWS
    precision, recall = score(rows, default_reader())
    print(f"description reader, {part}: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= PRECISION_FLOOR, f"precision {precision:.3f} below {PRECISION_FLOOR}"
    assert recall >= RECALL_FLOOR, f"recall {recall:.3f} below {RECALL_FLOOR}"


def test_nothing_named_absent_is_ever_read_when_hedged() -> None:
    """A hedge ("might", "I think") is never read, whatever else the clause says."""
    reader = default_reader()
    for row in ROWS:
        text = row["text"].lower()
        if any(f" {h} " in f" {text} " for h in ("maybe", "might", "not sure", "possibly")):
            got = _got(reader.read(row["text"]))
            assert not (set(row.get("absent") or []) & set(got)), (row["text"], got)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # frequency and strength
        ("she's often hungry", {"needs.nutrition": "mostly_unmet"}),
        ("no food in the house for days", {"needs.nutrition": "unmet"}),
        ("food's fine", {"needs.nutrition": "met"}),
        # negation and contrast
        ("she's not hungry", {"needs.nutrition": "met"}),
        ("filthy clothes but she's clearly loved", {"needs.physical_care": "mostly_unmet", "needs.emotional": "met"}),
        # several domains in one clause share the frequency said once
        ("hungry and smelly most days", {"needs.nutrition": "mostly_unmet", "needs.physical_care": "mostly_unmet"}),
        # family factors: said of a parent, negated ones dropped
        ("mum drinks, no DV", {"factors": ("substance_misuse",)}),
        ("dad's in prison", {"factors": ("criminality",)}),
        # ages and pregnancy
        ("she's 20 weeks pregnant", {"age_band": "unborn"}),
        ("8-month-old", {"age_band": "under_1"}),
        ("in year 5", {"age_band": "5_11"}),
        ("it's been going on for 3 months", {"duration": "persistent"}),
        # how support went: slipping back outranks improving
        ("early help improved things but it didn't stick", {"change": "not_sustained"}),
        # a hedge or a question is not read
        ("I think she might be hungry", {}),
        ("is it neglect if she's always hungry?", {}),
        # a misspelling one slip from the vocabulary
        ("always hungery", {"needs.nutrition": "unmet"}),
    ],
)
def test_readings(text: str, expected: dict[str, Any]) -> None:
    assert _got(default_reader().read(text)) == expected


def test_each_reading_carries_the_practitioners_words() -> None:
    readings = default_reader().read("8 months, mum low, often hungry")
    words = {r.key: r.words for r in readings}
    assert words["needs.nutrition"] == "often hungry"
    assert words["age_band"] == "8 months"
