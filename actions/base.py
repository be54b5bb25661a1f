"""What every custom action shares: the knowledge store, the clock, the area.

How to use: subclass `KnowledgeAction`, give it a `name()`, and implement
`respond(store, dispatcher, tracker)` returning the events. The store is
opened once per action-server process (on first use, not at import) and
handed in; when the knowledge database is missing or corrupt, the action
replies with the safe message (999 and the NSPCC helpline) instead of failing,
so the emergency route never depends on the database.
"""
from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge.store import KnowledgeStore, KnowledgeUnavailable
from bot.knowledge.models import Area

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def knowledge_store() -> KnowledgeStore:
    """The process's knowledge store, opened on first use."""
    path = Path(os.environ.get("KNOWLEDGE_DB", ROOT / "build" / "knowledge.db"))
    return KnowledgeStore.open(path)


def current_area(store: KnowledgeStore, tracker: Tracker) -> Area | None:
    """The practitioner's area: this message's area entity, else the slot."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "area":
            area = store.resolve_area(str(entity.get("value", "")))
            if area:
                return area
    slot = tracker.get_slot("area")
    return store.resolve_area(str(slot)) if slot else None


def entity_value(tracker: Tracker, name: str) -> Any | None:
    """The first value of entity `name` in the latest message."""
    return next(
        (e.get("value") for e in tracker.latest_message.get("entities", [])
         if e.get("entity") == name),
        None,
    )


def entity_number(tracker: Tracker, name: str, first: int, last: int) -> int | None:
    """The entity `name` as a whole number from `first` to `last`, else None.

    Entity values can come from anything a channel let through; a value that is
    not such a number is treated as not given, never as an error.
    """
    value = entity_value(tracker, name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if first <= number <= last else None


class KnowledgeAction(Action, ABC):
    """Base class for actions that answer from knowledge/ (see module doc)."""

    @abstractmethod
    def respond(
        self, store: KnowledgeStore, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """Reply and return the events to apply."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            store = knowledge_store()
        except KnowledgeUnavailable as error:
            logger.error("knowledge unavailable: %s", error)
            knowledge_store.cache_clear()
            dispatcher.utter_message(response="utter_knowledge_unavailable")
            return []
        try:
            return self.respond(store, dispatcher, tracker)
        except Exception as error:  # noqa: BLE001 - a clear reply, never a 500 carrying the tracker
            logger.error("action %s failed (%s)", self.name(), type(error).__name__)
            dispatcher.utter_message(response="utter_default")
            return []
