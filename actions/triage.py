"""The "am I worried?" form: validation, the questions built from knowledge,
back, reset, the result and the copyable summary. The rules live in
bot.triage; the order of questions in knowledge/triage/questions.yml."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import KnowledgeAction, current_area, knowledge_store
from bot.clock import now
from bot import render
from bot.answers import interpret_answer, looks_like_a_question
from bot.knowledge.store import KnowledgeStore
from bot.triage import assess
from bot.triage_flow import Question, answers_from_slots, default_questions, questions_for, skip_value

AREA, ROLE, NO_ROLE = "area", "role", "not_given"
DANGER = "triage_immediate_danger"
NEEDS_PREFIX = "triage_need_"
FACTORS, FACTORS_SELECTED = "triage_factors", "triage_factors_selected"
RESULT = "triage_result"
# Intents whose text is read as a typed answer to the question being asked
# (other intents are side questions, repairs or chit-chat, handled by rules).
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "dont_know", "nlu_fallback", "out_of_scope"})
# Conversation repairs: never read as an answer (rules handle them).
REPAIR_INTENTS = frozenset({"skip_question", "repeat_question", "explain_question", "human_handoff",
                            "go_back", "stop", "forget", "emergency"})


def form_slots(tracker: Tracker) -> list[str]:
    """Every slot the form needs for the answers given so far, in order:
    the area, immediate danger, the (optional) role, then the questions of
    knowledge/triage/questions.yml that apply to this child."""
    if tracker.get_slot(DANGER) == "yes":
        return [AREA, DANGER]
    remaining = {q.slot for q in questions_for(answers_from_slots(tracker.slots))}
    asked = [
        q.slot for q in default_questions().questions
        if q.slot != DANGER and (q.slot in remaining or tracker.get_slot(q.slot) is not None)
    ]
    return [AREA, DANGER, ROLE] + asked


def question_for_slot(slot: str) -> Question:
    return next(q for q in default_questions().questions if q.slot == slot)


def triage_question(slot: Any) -> Question | None:
    """The question of knowledge/triage/questions.yml asked in `slot` (None for the area and role)."""
    return next((q for q in default_questions().questions if q.slot == slot), None)


class ValidateTriageForm(FormValidationAction):
    """Fills the triage slots from buttons or typed answers."""

    def name(self) -> str:
        return "validate_triage_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return form_slots(tracker)

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """A typed answer, for the question being asked: handed to validation only.

        The slots' mappings are `custom`, so Rasa stores no raw text in them; what
        validation returns (the value read from the text, or None) is all that is kept.
        """
        slot = tracker.get_slot("requested_slot")
        if slot not in form_slots(tracker) or slot in tracker.slots_to_validate():
            return []
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if not text.strip() or text.startswith("/") or intent in REPAIR_INTENTS:
            return []
        if intent in ANSWER_INTENTS:
            return [SlotSet(slot, text)]
        # Another intent ("wandsworth" read as a toolkit question, "no, she's not
        # in any danger"): still the answer when it is not a question and reads
        # clearly as one; otherwise the form lets the rules answer it.
        if looks_like_a_question(text) or not _reads_as_answer(slot, text):
            return []
        return [SlotSet(slot, text)]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        wanted = form_slots(tracker)
        updates: dict[str, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot not in wanted:
                continue
            result = self._validate(slot, value, dispatcher, tracker)
            updates.update(result)
            tracker.slots.update(result)
        return [SlotSet(slot, value) for slot, value in updates.items()]

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> dict[str, Any]:
        text = _as_text(value)
        if slot == AREA:
            area = knowledge_store().resolve_area(text)
            if area is None:
                dispatcher.utter_message(response="utter_area_not_known")
            return {AREA: area.id if area else None}
        if slot == ROLE:
            role = knowledge_store().role(text)
            if role is not None:
                return {ROLE: role.id}
            # The role is optional: an answer to the next question ("she's 8 months")
            # skips it and answers that question instead of being lost.
            return {ROLE: NO_ROLE, **_answer_for_next(text, tracker)}
        question = question_for_slot(slot)
        if question.multiple:
            return _add_factors(question.key, value, tracker, dispatcher)
        reading = interpret_answer(question.key, text)
        if reading.value is None:
            dispatcher.utter_message(text=reading.message)
        return {slot: reading.value}


def _answer_for_next(text: str, tracker: Tracker) -> dict[str, Any]:
    """The next question's slot and value when `text` clearly answers it, else nothing."""
    order = form_slots(tracker)
    following = [slot for slot in order[order.index(ROLE) + 1:] if tracker.get_slot(slot) is None]
    if not following or following[0] in (AREA, ROLE) or question_for_slot(following[0]).multiple:
        return {}
    value = interpret_answer(question_for_slot(following[0]).key, text).value
    return {following[0]: value} if value is not None else {}


def _reads_as_answer(slot: str, text: str) -> bool:
    """Whether `text` gives a clear answer for `slot` (nothing is said to the user)."""
    if slot == AREA:
        return knowledge_store().resolve_area(text) is not None
    if slot == ROLE:
        return knowledge_store().role(text) is not None
    return interpret_answer(question_for_slot(slot).key, text).value is not None


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _add_factors(key: str, value: Any, tracker: Tracker,
                 dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """Multi-select: each answer adds factors; "none" / "done" (an empty
    list) closes the question with what was picked so far."""
    selected = list(tracker.get_slot(FACTORS_SELECTED) or [])
    reading = interpret_answer(key, _as_text(value))
    if reading.value is None:
        dispatcher.utter_message(text=reading.message)
        return {FACTORS: None}
    if reading.value == []:
        return {FACTORS: selected, FACTORS_SELECTED: selected}
    selected.extend(f for f in reading.value if f not in selected)
    return {FACTORS: None, FACTORS_SELECTED: selected}


class ActionAskArea(KnowledgeAction):
    def name(self) -> str:
        return "action_ask_area"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        dispatcher.utter_message(**render.ask_area(store.areas(), payload_intent="choose"))
        return []


class ActionAskRole(KnowledgeAction):
    def name(self) -> str:
        return "action_ask_role"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        dispatcher.utter_message(**render.ask_role(store.roles()))
        return []


class ActionAskTriageFactors(KnowledgeAction):
    def name(self) -> str:
        return "action_ask_triage_factors"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        question = question_for_slot(FACTORS)
        selected = tracker.get_slot(FACTORS_SELECTED) or []
        dispatcher.utter_message(**render.ask_factors(question, selected))
        return []


class ActionTriageReset(KnowledgeAction):
    """A new triage starts clean (area and role are kept)."""

    def name(self) -> str:
        return "action_triage_reset"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        slots = [q.slot for q in default_questions().questions] + [FACTORS_SELECTED, RESULT]
        return [SlotSet(slot, None) for slot in slots]


class ActionTriageBack(KnowledgeAction):
    """Clears the answer before the current question so it is asked again."""

    def name(self) -> str:
        return "action_triage_back"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
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
        if previous == "triage_age_band":  # the needs asked depend on the age
            events += [SlotSet(slot, None) for slot in order if slot.startswith(NEEDS_PREFIX)]
        return events


def _outcome(store: KnowledgeStore, tracker: Tracker, answers: dict[str, Any]) -> tuple:
    """The assessment of `answers`, the level as the practitioner's area names
    it, and the contacts for now."""
    assessment = assess(answers)
    area = current_area(store, tracker)
    area_id = area.id if area else None
    return assessment, store.level(assessment.level, area_id), store.contacts(area_id, now())


class ActionTriageResult(KnowledgeAction):
    """The level, the reasons, the notes and the area's next step."""

    def name(self) -> str:
        return "action_triage_result"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        answers = answers_from_slots(tracker.slots)
        assessment, level, plan = _outcome(store, tracker, answers)
        role = store.role(str(tracker.get_slot(ROLE) or ""))
        for message in render.triage_result(assessment, level, plan, role, store):
            dispatcher.utter_message(**message)
        return [SlotSet(RESULT, answers)]


class ActionTriageSummary(KnowledgeAction):
    """A copyable summary with no names or identifiers."""

    def name(self) -> str:
        return "action_triage_summary"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        answers: dict[str, Any] | None = tracker.get_slot(RESULT)
        if not answers:
            dispatcher.utter_message(response="utter_no_triage_yet")
            return []
        assessment, level, plan = _outcome(store, tracker, answers)
        dispatcher.utter_message(text=render.triage_summary(assessment, level, plan))
        return []


class ActionTriageSkip(KnowledgeAction):
    """"Skip this question": "not known" where the rubric allows it, else say why not."""

    def name(self) -> str:
        return "action_triage_skip"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        slot = tracker.get_slot("requested_slot")
        if slot == ROLE:
            return [SlotSet(ROLE, NO_ROLE)]
        question = triage_question(slot)
        value = skip_value(question) if question is not None else None
        if question is None or value is None:
            dispatcher.utter_message(response="utter_triage_cannot_skip")
            return []
        if question.multiple:
            return [SlotSet(slot, list(tracker.get_slot(FACTORS_SELECTED) or []))]
        return [SlotSet(slot, value)]


class ActionTriageExplain(KnowledgeAction):
    """"What does this question mean?": what the question asks and what "met" looks like."""

    def name(self) -> str:
        return "action_triage_explain"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        question = triage_question(tracker.get_slot("requested_slot"))
        if question is None:
            dispatcher.utter_message(response="utter_triage_explain_general")
            return []
        dispatcher.utter_message(
            response="utter_triage_explain",
            question=question.prompt,
            options="; ".join(option.title for option in question.options),
            met=f" Met looks like this: {question.what_met}" if question.what_met else "",
        )
        return []
