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
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import out_of_scope
from bot.clock import now
from bot.context import AREA_STATEMENT
from bot.knowledge.snapshot import snapshot
from bot.knowledge.store import KnowledgeStore, KnowledgeUnavailable
from bot.knowledge.models import Area
from bot.review_note import Reviewed, review_due
from bot.topics import TopicRanker, ranker_for
from bot.paths import KNOWLEDGE_DB

logger = logging.getLogger(__name__)

# True right after an answer that offered the "am I worried?" questions (see domain.yml).
OFFERED = "triage_offered"
# The local route of the last contact answer (see domain.yml).
LAST_ROUTE = "last_route"


@lru_cache(maxsize=1)
def knowledge_store() -> KnowledgeStore:
    """The process's knowledge store, opened on first use."""
    return KnowledgeStore.open(KNOWLEDGE_DB)


@lru_cache(maxsize=1)
def topic_ranker() -> TopicRanker:
    """The topic ranker over the process's knowledge store, trained on first use (about a second)."""
    return ranker_for(knowledge_store())


def named_area(store: KnowledgeStore, tracker: Tracker) -> Area | None:
    """The area this message names, if any."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "area":
            area = store.resolve_area(str(entity.get("value", "")))
            if area:
                return area
    return None


def current_area(store: KnowledgeStore, tracker: Tracker, follow_up: bool = False) -> Area | None:
    """The area to answer for: the one this message names, else the one held.

    For a follow-up ("and out of hours?") the area of the last area-specific
    answer comes before the one held.
    """
    slots = ("last_area", "area") if follow_up else ("area",)
    held = next((tracker.get_slot(name) for name in slots if tracker.get_slot(name)), None)
    return named_area(store, tracker) or (store.resolve_area(str(held)) if held else None)


def place_not_covered(store: KnowledgeStore, tracker: Tracker) -> str | None:
    """A place outside the covered areas that this message names ("im a hv in leeds"),
    when it names none of the covered areas."""
    if named_area(store, tracker) is not None:
        return None
    try:
        places = snapshot().places
    except (OSError, ValueError) as error:  # without the list, the area question is asked as before
        logger.warning("no list of places not covered (%s)", type(error).__name__)
        return None
    return places.elsewhere(tracker.latest_message.get("text") or "")


def say_not_covered(store: KnowledgeStore, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """An area not covered: the national routes and the covered areas to choose from."""
    return say_out_of_scope(store, dispatcher, tracker, AREA_STATEMENT)


def remember_area(tracker: Tracker, area: Area | None) -> list[dict[str, Any]]:
    """Events after an answer for `area`: it becomes the follow-ups' area, and the
    conversation's area when none is held yet (an area named in a question never
    replaces the one the practitioner said they work in)."""
    if area is None:
        return []
    events = [SlotSet("last_area", area.id)]
    if not tracker.get_slot("area"):
        events.append(SlotSet("area", area.id))
    return events


def say_review_due(store: KnowledgeStore, dispatcher: CollectingDispatcher,
                   records: list[Reviewed], area: Area | None) -> None:
    """One line when the answer rests on content past its review date."""
    due = review_due(records, now().date(), {d.id: d for d in store.documents()},
                     {a.id: a for a in store.areas()}, area.id if area else None)
    if due is not None:
        dispatcher.utter_message(response="utter_review_due", **due.slots())


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


def say_out_of_scope(store: KnowledgeStore, dispatcher: CollectingDispatcher, tracker: Tracker,
                     intent: str) -> list[dict[str, Any]]:
    """Send the out-of-scope reply for `intent` (the general one if it has none)."""
    record = store.out_of_scope(intent)
    if record is None:
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
    area = current_area(store, tracker)
    national = {route.key: route for route in store.national_routes()}
    for reply in out_of_scope.reply(record, national, area, store.areas()):
        dispatcher.utter_message(**reply)
    local = [area.routes[k] for k in (record.local, record.local_fallback) if area and k and k in area.routes]
    say_review_due(store, dispatcher, [record, *local[:1]], area)
    return remember_area(tracker, area) if record.local else []
