"""Conversation context: which area an answer is for, and which local route it concerns.

The practitioner's area is held for the conversation (the `area` slot); an area
named in a message answers that message; the area of the last area-specific
answer (`last_area`) is what a follow-up ("and out of hours?") refers to.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.knowledge.models import AREA_ROUTE_KEYS, Area, GuidanceItem, Lexicon, normalise

# The intent of an area statement ("I work in Oxfordshire").
AREA_STATEMENT = "inform_area"
# Intents that an area statement the classifier was unsure of is often read as.
STATEMENT_LIKE = (AREA_STATEMENT, "inform")


def is_area_statement(intent: str, ranking: Iterable[str], text: str, area: Area | None, top: int = 3) -> bool:
    """Whether an unsure message naming `area` is the practitioner saying where they work:
    the area alone ("cov"), or read as an answer or statement, or with an area statement
    among the `top` likely intents."""
    if area is None:
        return False
    alone = normalise(text) in {normalise(p) for p in (area.id, area.name, *area.aliases)}
    return alone or intent in STATEMENT_LIKE or AREA_STATEMENT in list(ranking)[:top]


def local_route_key(lexicon: Lexicon, entities: Iterable[dict[str, Any]],
                    items: Sequence[GuidanceItem] = ()) -> str | None:
    """The area route a question concerns: the one it names ("early help in Wakefield"),
    else the one the answer's title names (the "Early help" item)."""
    for entity in entities:
        if entity.get("entity") == "route":
            key = lexicon.route(str(entity.get("value", "")))
            if key in AREA_ROUTE_KEYS:
                return key
    for item in items[:1]:
        title = f" {normalise(item.title)} "
        for entry in lexicon.routes:
            if entry.target in AREA_ROUTE_KEYS and any(f" {normalise(p)} " in title for p in entry.phrases):
                return entry.target
    return None
