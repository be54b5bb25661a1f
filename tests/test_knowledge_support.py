"""Shared set-up for the knowledge tests (no tests here): paths, copying, YAML read/write."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from bot.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"
MINIMAL = ROOT / "tests" / "fixtures" / "knowledge" / "minimal"

# The source documents, beside the checkout when ../shared is there (tests using them skip loudly otherwise).
SEEDS = ROOT.parent / "shared" / "seeds"


def copy_minimal(target: Path) -> Path:
    """A valid minimal knowledge directory (with the project's real triage rubric and wording) at `target`."""
    shutil.copytree(MINIMAL, target)
    (target / "triage").mkdir()
    shutil.copy(KNOWLEDGE / "triage" / "rubric.yml", target / "triage" / "rubric.yml")
    shutil.copy(KNOWLEDGE / "wording.yml", target / "wording.yml")
    # The real rubric cites the seed documents by id: the copy's sources.yml lists them too
    # (for every area, with no review date of their own, so they add no warnings).
    cited = {doc for doc in _docs(read(target / "triage" / "rubric.yml"))}
    documents = [d for d in read(KNOWLEDGE / "sources.yml") if d["id"] in cited]  # type: ignore[union-attr]
    for document in documents:
        document.update(area="all")
        document.pop("review_by", None)
    write(target / "sources.yml", [*read(target / "sources.yml"), *documents])  # type: ignore[misc]
    return target


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
