"""Shared set-up for the knowledge tests (no tests here): paths, copying, YAML read/write."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from bot.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"
MINIMAL = ROOT / "tests" / "fixtures" / "knowledge" / "minimal"
# What copy_minimal takes from the project's knowledge/ (bot/knowledge/snapshot.py reads them).
DIALOGUE_PARTS = (
    "triage/rubric.yml",
    "triage/questions.yml",
    "triage/description.yml",
    "quiz",
    "learning/escalation.yml",
    "safety/emergency_signals.yml",
    "safety/privacy.yml",
    "safety/english_words.txt",
    "safety/fallback.yml",
    "wording.yml",
)

# The source documents, beside the checkout when ../shared is there (tests using them skip loudly otherwise).
SEEDS = ROOT.parent / "shared" / "seeds"


def copy_minimal(target: Path) -> Path:
    """A valid minimal knowledge directory at `target`: the fixture's records, with the
    project's own parts that drive the dialogue (rubric, questions, quiz, escalation,
    safety, wording), since those are checked as a whole."""
    shutil.copytree(MINIMAL, target)
    for part in DIALOGUE_PARTS:
        source = KNOWLEDGE / part
        (target / part).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy(source, target / part)
    # Those parts cite the seed documents by id: the copy's sources.yml lists them too
    # (for every area, with no review date of their own, so they add no warnings).
    cited = {doc for part in DIALOGUE_PARTS for path in _yaml_files(target / part) for doc in _docs(read(path))}
    documents = [d for d in read(KNOWLEDGE / "sources.yml") if d["id"] in cited]  # type: ignore[union-attr]
    for document in documents:
        document.update(area="all")
        document.pop("review_by", None)
    write(target / "sources.yml", [*read(target / "sources.yml"), *documents])  # type: ignore[misc]
    return target


def _yaml_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.yml")) if path.is_dir() else [path] if path.suffix == ".yml" else []


def _docs(value: object) -> set[str]:
    """The document ids a YAML tree cites ({doc: ...})."""
    if isinstance(value, dict):
        found = {str(value["doc"])} if "doc" in value else set()
        return found | {d for v in value.values() for d in _docs(v)}
    return {d for v in value for d in _docs(v)} if isinstance(value, list) else set()


def read(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
