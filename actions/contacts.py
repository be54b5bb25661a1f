"""Contacts: the right route for the practitioner's area and the time of day."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    LAST_ROUTE,
    KnowledgeAction,
    current_area,
    place_not_covered,
    remember_area,
    say_not_covered,
    say_review_due,
)
from bot.clock import now
from bot.stated_time import asks_for_the_number, stated_time
from bot import render
from bot.knowledge.store import KnowledgeStore


class ActionAnswerContact(KnowledgeAction):
    def name(self) -> str:
        return "action_answer_contact"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        # "what's the number there?" asks again for the route and area of the last contact answer.
        again = asks_for_the_number(text)
        area = current_area(store, tracker, follow_up=again)
        route_key = render.route_asked(store.lexicon(), tracker.latest_message)
        if route_key is None and again:
            route_key = tracker.get_slot(LAST_ROUTE)
        if route_key in render.NATIONAL_ROUTES:
            dispatcher.utter_message(**render.national_route(store.national(route_key)))
            return []
        if place_not_covered(store, tracker):  # "im a hv in leeds, whats the mash number"
            return say_not_covered(store, dispatcher, tracker)
        if area is None:
            dispatcher.utter_message(**render.ask_area(store.areas(), payload_intent="ask_contact",
                                                        question="contact"))
            return []
        stated = stated_time(text, now())
        plan = store.contacts(area.id, stated.when if stated else now())
        dispatcher.utter_message(**render.contacts(plan, route_key, stated=stated is not None))
        shown = getattr(plan, route_key, None) if route_key else None
        say_review_due(store, dispatcher, [shown or plan.now_route], area)
        return [*remember_area(tracker, area), SlotSet(LAST_ROUTE, (shown or plan.now_route).key)]
