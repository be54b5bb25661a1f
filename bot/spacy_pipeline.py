"""Build the spaCy pipeline Rasa's SpacyNLP loads: a blank English model with an
entity ruler whose patterns come from knowledge/ (areas, roles, routes, jargon).

No downloaded model is needed; `spacy.load(out_dir)` loads the result.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bot.knowledge.snapshot import Snapshot
from bot.knowledge.models import Knowledge


def patterns(knowledge: Knowledge) -> list[dict[str, Any]]:
    """Entity-ruler patterns: label `area`, `role`, `route` or `term`, `id` = what it points at."""
    found: list[dict[str, Any]] = []

    def add(label: str, target: str, phrases: Any) -> None:
        for phrase in dict.fromkeys(p.lower() for p in phrases):
            found.append({"label": label, "pattern": phrase, "id": target})

    for area in knowledge.areas:
        add("area", area.id, (area.name, *area.aliases))
    for role in knowledge.roles:
        add("role", role.id, (role.name, *role.aliases))
    for entry in knowledge.lexicon.routes:
        add("route", entry.target, entry.phrases)
    for entry in knowledge.lexicon.terms:
        add("term", entry.target, entry.phrases)
    return found


def build_pipeline(knowledge_dir: Path, out_dir: Path) -> Path:
    """Write the pipeline to `out_dir`, replacing any earlier build only once the new one is complete."""
    import spacy  # imported here: loading spaCy is slow and only the build needs it

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(patterns(Snapshot(knowledge_dir).records))  # type: ignore[attr-defined]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    old = out_dir.with_name(f".{out_dir.name}.old")
    for stale in (tmp, old):
        shutil.rmtree(stale, ignore_errors=True)
    nlp.to_disk(tmp)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return out_dir
