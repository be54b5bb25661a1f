"""The spaCy pipeline built from knowledge/ loads with spacy.load and finds our entities."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loader import load
from bot.spacy_pipeline import build_pipeline, patterns
from tests.test_knowledge_support import KNOWLEDGE


@pytest.fixture(scope="module")
def nlp(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import spacy

    out = tmp_path_factory.mktemp("nlp") / "spacy_en_neglect"
    build_pipeline(KNOWLEDGE, out)
    return spacy.load(out)


@pytest.mark.parametrize(
    "text, label, value, target",
    [
        ("I'm in Richmond", "area", "Richmond", "kingston_richmond"),
        ("a Wakefield school", "area", "Wakefield", "wakefield"),
        ("we work in OXON", "area", "OXON", "oxfordshire"),
        ("I'm a health visitor", "role", "health visitor", "health_visitor"),
        ("what is the SPA number", "route", "SPA", "front_door"),
        ("call the emergency duty team", "route", "emergency duty team", "out_of_hours"),
        ("the child was not brought again", "term", "was not brought", "was_not_brought"),
        ("do I need GCP2 training", "term", "GCP2", "gcp2"),
    ],
)
def test_entities(nlp, text: str, label: str, value: str, target: str) -> None:  # type: ignore[no-untyped-def]
    found = [(e.label_, e.text, e.ent_id_) for e in nlp(text).ents]
    assert (label, value, target) in found, found


def test_no_entities_in_unrelated_text(nlp) -> None:  # type: ignore[no-untyped-def]
    assert list(nlp("the capital of France").ents) == []


def test_rebuild_replaces_the_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "spacy_en_neglect"
    build_pipeline(KNOWLEDGE, out)
    (out / "stale-marker").write_text("old build")
    build_pipeline(KNOWLEDGE, out)
    assert not (out / "stale-marker").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spacy_en_neglect"]


def test_patterns_come_from_knowledge() -> None:
    found = patterns(load(KNOWLEDGE))
    assert {"label": "area", "pattern": "twickenham", "id": "kingston_richmond"} in found
    assert {"label": "route", "pattern": "mash", "id": "front_door"} in found
    assert len({(p["label"], p["pattern"]) for p in found}) == len(found)
