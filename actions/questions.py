"""Questions answered from the guidance, "tell me more", and the fallback
that searches the guidance and offers "did you mean" buttons."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction, current_area, entity_value
from bot.clock import now
from bot import render
from bot.knowledge.store import KnowledgeStore


class ActionAnswerQuestion(KnowledgeAction):
    def name(self) -> str:
        return "action_answer_question"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        intent = tracker.latest_message.get("intent", {}).get("name", "")
        area = current_area(store, tracker)
        role = store.role(str(entity_value(tracker, "role") or tracker.get_slot("role") or ""))
        items = store.items_for_intent(intent, area.id if area else None)
        items = render.pick_items(items, role)
        if not items:
            dispatcher.utter_message(**render.handoff(store.contacts(area.id if area else None, now())))
            return []
        for message in render.answer(items, store):
            dispatcher.utter_message(**message)
        return [SlotSet("last_item", items[0].id)]


class ActionTellMeMore(KnowledgeAction):
    def name(self) -> str:
        return "action_tell_me_more"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        item_id = entity_value(tracker, "item") or tracker.get_slot("last_item")
        item = store.item(str(item_id)) if item_id else None
        dispatcher.utter_message(**render.more(item))
        return []


class ActionShowItem(KnowledgeAction):
    """A "did you mean" button was pressed."""

    def name(self) -> str:
        return "action_show_item"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        item_id = str(entity_value(tracker, "item") or "")
        item = store.item(item_id)
        if item is None:
            guide = store.guide(item_id)
            if guide is not None:
                dispatcher.utter_message(**render.guide_card(guide))
                return []
            dispatcher.utter_message(response="utter_default")
            return []
        for message in render.answer([item], store):
            dispatcher.utter_message(**message)
        return [SlotSet("last_item", item.id)]


class ActionFallbackSearch(KnowledgeAction):
    """Unsure what was meant: offer the topics the classifier thought likely
    and the closest guidance by full-text search, then a handoff."""

    def name(self) -> str:
        return "action_fallback_search"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        area = current_area(store, tracker)
        area_id = area.id if area else None
        route_key = render.route_asked(store.lexicon(), tracker.latest_message.get("entities", []))
        if route_key is not None and route_key not in render.NATIONAL_ROUTES and area is not None:
            # A follow-up on a contact ("and out of hours?"): the route named, for the area held.
            plan = store.contacts(area_id, now())
            dispatcher.utter_message(**render.contacts(plan, route_key))
            return []
        ranked = [entry.get("name", "") for entry in tracker.latest_message.get("intent_ranking", [])]
        likely = [items[0] for items in (store.items_for_intent(intent, area_id) for intent in ranked[:4])
                  if items]
        hits = store.search(tracker.latest_message.get("text") or "", limit=3)
        for message in render.did_you_mean(likely, hits, store.contacts(area_id, now())):
            dispatcher.utter_message(**message)
        return []


class ActionHandoff(KnowledgeAction):
    """"I want to talk to someone": the safeguarding lead, and the area's advice line."""

    def name(self) -> str:
        return "action_handoff"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        area = current_area(store, tracker)
        dispatcher.utter_message(**render.handoff(store.contacts(area.id if area else None, now()), asked=True))
        return []
