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
    return target


def read(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
