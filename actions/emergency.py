"""The local part of the emergency route (999 comes first, from the domain)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction, current_area, now
from bot import render
from bot.knowledge.store import KnowledgeStore


class ActionEmergencyRoute(KnowledgeAction):
    def name(self) -> Text:
        return "action_emergency_route"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        area = current_area(store, tracker)
        plan = store.contacts(area.id if area else None, now())
        dispatcher.utter_message(**render.emergency_route(plan, store.areas()))
        return []
