"""The "am I worried?" form: validation, the questions built from knowledge,
back, reset, the result and the copyable summary. The rules live in
bot.triage; the order of questions in knowledge/triage/questions.yml."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import KnowledgeAction, current_area, knowledge_store, now
from bot import render, triage
from bot.answers import parse_answer
from bot.knowledge.store import KnowledgeStore

AREA, ROLE = "area", "role"
FACTORS, FACTORS_SELECTED = "triage_factors", "triage_factors_selected"
RESULT = "triage_result"


def form_slots(tracker: Tracker) -> List[Text]:
    """Every slot the form needs for the answers given so far, in order."""
    answers = triage.answers_from_slots(tracker.slots)
    questions = [q.slot for q in triage.applicable_questions(answers)]
    if tracker.get_slot("triage_immediate_danger") == "yes":
        return [AREA, "triage_immediate_danger"]
    return [AREA, "triage_immediate_danger", ROLE] + questions[1:]


class ValidateTriageForm(FormValidationAction):
    """Fills the triage slots from buttons or typed answers."""

    def name(self) -> Text:
        return "validate_triage_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        return form_slots(tracker)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        wanted = form_slots(tracker)
        updates: Dict[Text, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot not in wanted:
                continue
            result = self._validate(slot, value, tracker)
            if result.get(slot) is None and slot != FACTORS:
                dispatcher.utter_message(response="utter_triage_not_understood")
            updates.update(result)
            tracker.slots.update(result)
        return [SlotSet(slot, value) for slot, value in updates.items()]

    def _validate(self, slot: Text, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        text = _as_text(value)
        store = knowledge_store()
        if slot == AREA:
            area = store.resolve_area(text)
            return {AREA: area.id if area else None}
        if slot == ROLE:
            role = store.role(text)
            return {ROLE: role.id if role else "not_given"}
        key = triage.key_for_slot(slot)
        if slot == FACTORS:
            return _add_factor(key, value, tracker)
        return {slot: parse_answer(key, text)}


def _as_text(value: Any) -> Text:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _add_factor(key: Text, value: Any, tracker: Tracker) -> Dict[Text, Any]:
    """Multi-select: each press adds a factor; "none" or "done" closes it."""
    selected = list(tracker.get_slot(FACTORS_SELECTED) or [])
    values = value if isinstance(value, list) else [value]
    closed = False
    for item in values:
        parsed = parse_answer(key, str(item))
        if parsed in ("none", "done"):
            closed = True
        elif isinstance(parsed, list):
            selected.extend(f for f in parsed if f not in selected)
        elif parsed and parsed not in selected:
            selected.append(parsed)
    return {FACTORS: selected if closed else None, FACTORS_SELECTED: selected}


class ActionAskArea(KnowledgeAction):
    def name(self) -> Text:
        return "action_ask_area"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(**render.ask_area(store.areas(), payload_intent="choose"))
        return []


class ActionAskRole(KnowledgeAction):
    def name(self) -> Text:
        return "action_ask_role"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(**render.ask_role(store.roles()))
        return []


class ActionAskTriageFactors(KnowledgeAction):
    def name(self) -> Text:
        return "action_ask_triage_factors"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        question = triage.question(triage.key_for_slot(FACTORS))
        selected = tracker.get_slot(FACTORS_SELECTED) or []
        dispatcher.utter_message(**render.ask_factors(question, selected))
        return []


class ActionTriageReset(KnowledgeAction):
    """A new triage starts clean (area and role are kept)."""

    def name(self) -> Text:
        return "action_triage_reset"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        slots = [q.slot for q in triage.all_questions()] + [FACTORS_SELECTED, RESULT]
        return [SlotSet(slot, None) for slot in slots]


class ActionTriageBack(KnowledgeAction):
    """Clears the answer before the current question so it is asked again."""

    def name(self) -> Text:
        return "action_triage_back"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        order = form_slots(tracker)
        current = tracker.get_slot("requested_slot")
        position = order.index(current) if current in order else len(order)
        previous = next(
            (slot for slot in reversed(order[:position]) if tracker.get_slot(slot) is not None),
            None,
        )
        if previous is None:
            dispatcher.utter_message(response="utter_triage_first_question")
            return []
        events = [SlotSet(previous, None), SlotSet("requested_slot", previous)]
        if previous == FACTORS:
            events.append(SlotSet(FACTORS_SELECTED, None))
        return events


class ActionTriageResult(KnowledgeAction):
    """The level, the reasons, the notes and the area's next step."""

    def name(self) -> Text:
        return "action_triage_result"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        answers = triage.answers_from_slots(tracker.slots)
        assessment = triage.assess(answers)
        area = current_area(store, tracker)
        plan = store.contacts(area.id if area else None, now())
        level = store.level(assessment.level, area.id if area else None)
        role = store.role(str(tracker.get_slot(ROLE) or ""))
        for message in render.triage_result(assessment, level, plan, role, store):
            dispatcher.utter_message(**message)
        return [SlotSet(RESULT, answers)]


class ActionTriageSummary(KnowledgeAction):
    """A copyable summary with no names or identifiers."""

    def name(self) -> Text:
        return "action_triage_summary"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> List[Dict[Text, Any]]:
        answers: Optional[Dict[Text, Any]] = tracker.get_slot(RESULT)
        if not answers:
            dispatcher.utter_message(response="utter_no_triage_yet")
            return []
        assessment = triage.assess(answers)
        area = current_area(store, tracker)
        plan = store.contacts(area.id if area else None, now())
        level = store.level(assessment.level, area.id if area else None)
        dispatcher.utter_message(text=render.triage_summary(assessment, level, plan))
        return []
