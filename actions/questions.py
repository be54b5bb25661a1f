"""Questions answered from the guidance, "tell me more", the fallback that
searches the guidance and offers "did you mean" buttons, area statements and
what the assistant does not cover."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.contacts import ActionAnswerContact
from actions.base import (
    KnowledgeAction,
    LAST_ROUTE,
    OFFERED,
    current_area,
    entity_value,
    named_area,
    place_not_covered,
    remember_area,
    say_not_covered,
    say_out_of_scope,
    say_review_due,
    topic_ranker,
)
from bot import out_of_scope, render, topics
from bot.clock import now
from bot.context import is_area_statement, local_route_key
from bot.knowledge.models import Area
from bot.knowledge.store import KnowledgeStore
from bot.triage_form import ELSEWHERE

LANGUAGE = "out_of_scope_language"


class ActionAnswerQuestion(KnowledgeAction):
    def name(self) -> str:
        return "action_answer_question"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        """The answer; `triage_offered` says whether it ended by offering the questions
        (a typed "yes" then takes the offer: data/stories/offers.yml)."""
        events = self._answer(store, dispatcher, tracker)
        offered = any(m.get("response") == "utter_offer_triage" for m in dispatcher.messages)
        if offered:
            events.append(SlotSet(OFFERED, True))
        elif tracker.get_slot(OFFERED):
            events.append(SlotSet(OFFERED, None))
        return events

    def _answer(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        asked = render.route_asked(store.lexicon(), tracker.latest_message)
        if asked in render.NATIONAL_ROUTES and asked != "emergency" and render.asks_to_contact(text):
            # "can I ring the NSPCC", "how do I tell the police if it's not an emergency": that route
            dispatcher.utter_message(**render.national_route(store.national(str(asked))))
            return []
        area = current_area(store, tracker)
        last = store.item(str(tracker.get_slot("last_item"))) if tracker.get_slot("last_item") else None
        ranked = topics.with_last_topic(topic_ranker().rank(text), last.topic if last else None, text)
        if not topics.is_sure(ranked):
            if asked is not None:
                return ActionAnswerContact().respond(store, dispatcher, tracker)  # "castleford social care referral"
            return clarify(store, dispatcher, tracker, topics.offered(ranked), area)
        role = store.role(str(entity_value(tracker, "role") or tracker.get_slot("role") or ""))
        items = store.items_for_topic(ranked[0].topic, area.id if area else None)
        items = render.pick_items(items, role)
        if not items:
            dispatcher.utter_message(**render.handoff(store.contacts(area.id if area else None, now())))
            return []
        for message in render.answer(items, store, text):
            dispatcher.utter_message(**message)
        records: list[Any] = list(items)
        events: list[dict[str, Any]] = [SlotSet("last_item", items[0].id)]
        key = local_route_key(store.lexicon(), tracker.latest_message.get("entities", []), items)
        if key is not None and place_not_covered(store, tracker):  # "early help team manchester"
            return [*events, *say_not_covered(store, dispatcher, tracker)]
        route = area.routes.get(key) if area is not None and key is not None else None
        if area is not None and route is not None:  # "early help in Wakefield": the area's own route
            dispatcher.utter_message(**render.contacts(store.contacts(area.id, now()), route.key))
            records.append(route)
            events.append(SlotSet(LAST_ROUTE, route.key))
        say_review_due(store, dispatcher, records, area)
        if topics.describes_more(text) and not tracker.active_loop_name:  # a case beside the question
            dispatcher.utter_message(response="utter_offer_triage")
        return [*events, *remember_area(tracker, area)]


class ActionTellMeMore(KnowledgeAction):
    def name(self) -> str:
        return "action_tell_me_more"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        item_id = entity_value(tracker, "item") or tracker.get_slot("last_item")
        item = store.item(str(item_id)) if item_id else None
        dispatcher.utter_message(**render.more(item))
        if item is not None:
            say_review_due(store, dispatcher, [item], current_area(store, tracker))
        return []


class ActionShowItem(KnowledgeAction):
    """A "did you mean" button was pressed."""

    def name(self) -> str:
        return "action_show_item"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        item_id = str(entity_value(tracker, "item") or "")
        area = current_area(store, tracker)
        item = store.item(item_id)
        if item is None:
            guide = store.guide(item_id)
            if guide is not None:
                dispatcher.utter_message(**render.guide_card(guide))
                say_review_due(store, dispatcher, [guide], area)
                return []
            dispatcher.utter_message(response="utter_default")
            return []
        for message in render.answer([item], store):
            dispatcher.utter_message(**message)
        say_review_due(store, dispatcher, [item], area)
        return [SlotSet("last_item", item.id)]


class ActionFallbackSearch(KnowledgeAction):
    """Unsure what was meant: a message in another language gets the plain-English
    note; a national route ("nspcc phone no") is given; a contact asked for gets that
    route for the area of the last answer, or the question which area when none is known;
    an area statement is taken; otherwise at most three likely topics as buttons
    (from the classifier's ranking and a search of the guidance), then a handoff."""

    def name(self) -> str:
        return "action_fallback_search"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        message = tracker.latest_message
        text = message.get("text") or ""
        known = out_of_scope.known_words(store.areas(), store.lexicon(), store.roles())
        if out_of_scope.is_other_language(text, out_of_scope.english_words(), known):
            return say_out_of_scope(store, dispatcher, tracker, LANGUAGE)
        area = current_area(store, tracker, follow_up=True)
        area_id = area.id if area else None
        route_key = render.route_asked(store.lexicon(), message)
        if route_key in render.NATIONAL_ROUTES:  # "nspcc phone no": the same anywhere
            dispatcher.utter_message(**render.national_route(store.national(str(route_key))))
            return []
        if route_key is not None and area is None:  # "how do I make a referral": which area?
            return ActionAnswerContact().respond(store, dispatcher, tracker)
        if route_key is not None and area is not None:
            # A follow-up on a contact ("and out of hours?"): the route named, for the area of the last answer.
            dispatcher.utter_message(**render.contacts(store.contacts(area_id, now()), route_key))
            return remember_area(tracker, area)
        ranked = [entry.get("name", "") for entry in message.get("intent_ranking", [])]
        intent = message.get("intent", {}).get("name", "")
        named = named_area(store, tracker)
        if named is not None and is_area_statement(intent, ranked, text, named):
            dispatcher.utter_message(response="utter_area_remembered", area_name=named.name)
            return [SlotSet("area", named.id), SlotSet("last_area", named.id)]
        likely = topic_ranker().likely(text)
        return [*clarify(store, dispatcher, tracker, likely, area), *remember_area(tracker, named)]


class ActionDefaultFallback(ActionFallbackSearch):
    """Rasa's core fallback (no rule applies, e.g. a triage answer typed outside
    the triage): the same clarification as above, never a bare "I did not
    understand". As Rasa's own default does, the message is then undone so the
    conversation carries on from where it was; what the reply took from it
    (the area) is set again after the undo."""

    def name(self) -> str:
        return "action_default_fallback"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        return [UserUtteranceReverted(), *super().respond(store, dispatcher, tracker)]


class ActionHandoff(KnowledgeAction):
    """"I want to talk to someone": the safeguarding lead, and the area's advice line."""

    def name(self) -> str:
        return "action_handoff"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        area = current_area(store, tracker)
        dispatcher.utter_message(**render.handoff(store.contacts(area.id if area else None, now()), asked=True))
        return []


class ActionRememberArea(KnowledgeAction):
    """"I work in Oxfordshire": the area held from now on (the slot mapping
    takes it; this confirms it). A place not covered gets the national routes
    and the area buttons, and no area is held any more."""

    def name(self) -> str:
        return "action_remember_area"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        area = named_area(store, tracker)
        if area is None:
            # Asked by the triage, a place not covered lets it go on, with the national routes.
            asked = tracker.get_slot("requested_slot") == "area"
            return [*say_not_covered(store, dispatcher, tracker),
                    SlotSet("area", ELSEWHERE if asked else None), SlotSet("last_area", None)]
        if tracker.get_slot("requested_slot") != "area":  # the triage's own question needs no confirmation
            dispatcher.utter_message(response="utter_area_remembered", area_name=area.name)
            if render.route_asked(store.lexicon(), tracker.latest_message):
                ActionAnswerContact().respond(store, dispatcher, tracker)  # "putney mash": its number too
        return [SlotSet("area", area.id), SlotSet("last_area", area.id)]


class ActionOutOfScope(KnowledgeAction):
    """Adult safeguarding, an allegation against staff, a child writing, a medical
    question, another language: the route for it (knowledge/out_of_scope.yml)."""

    def name(self) -> str:
        return "action_out_of_scope"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        intent = tracker.latest_message.get("intent", {}).get("name", "")
        return say_out_of_scope(store, dispatcher, tracker, intent)


def clarify(store: KnowledgeStore, dispatcher: CollectingDispatcher, tracker: Tracker,
            likely: list[str], area: Area | None) -> list[dict[str, Any]]:
    """Unsure which topic was meant: at most three likely ones (and what a search of the
    guidance finds) as buttons, then who to talk to; never a guess."""
    area_id = area.id if area else None
    first = [items[0] for items in (store.items_for_topic(t, area_id) for t in likely) if items]
    hits = store.search(tracker.latest_message.get("text") or "", limit=3)
    for reply in render.did_you_mean(first, hits, store.contacts(area_id, now())):
        dispatcher.utter_message(**reply)
    return []
