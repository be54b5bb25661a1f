"""The "am I worried?" form: typed and pressed answers, descriptions shown back
for confirmation, corrections, back, reset, stop, the result and the copyable
summary. What a typed message means is decided in bot/triage_turn.py, the rules
in bot.triage, the order of questions in knowledge/triage/questions.yml."""
from __future__ import annotations

import functools
import json
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import OFFERED, KnowledgeAction, current_area, knowledge_store
from bot.clock import now
from bot import render
from bot.answers import interpret_answer, looks_like_a_question, told_sentences
from bot.description import default_reader
from bot.knowledge.store import KnowledgeStore
from bot.triage import assess
from bot import triage_form as form
from bot.triage_flow import answers_from_slots, default_questions
from bot.triage_form import (
    AREA,
    CHECK,
    FACTORS,
    FACTORS_SELECTED,
    NO_ROLE,
    PENDING,
    RESULT,
    ROLE,
    STOP_ASKED,
)
from bot.wording import say
from bot.triage_turn import Turn, describe, understand

FORGET = "forget_conversation"
# Intents whose text is read as a typed answer to the question being asked
# (other intents are side questions, repairs or chit-chat, handled by rules).
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "dont_know", "nlu_fallback", "out_of_scope"})
# Conversation repairs: never read as an answer (rules handle them).
REPAIR_INTENTS = frozenset({"skip_question", "repeat_question", "explain_question", "human_handoff",
                            "go_back", "stop", "forget", "emergency"})
# Slots the form's own reading has already settled: validation passes them through.
SETTLED = frozenset({PENDING, FACTORS_SELECTED, CHECK, STOP_ASKED})
# "I'm a teacher", "as the DSL": the practitioner saying what they are.
_SELF = re.compile(r"\b(?:i am|i'm|i’m|im|as an?|as the|work as an?|we are|we're)\b(.{1,80})", re.IGNORECASE)


def _pending(tracker: Tracker) -> dict[str, Any]:
    return form.pending(tracker.slots)


def form_slots(tracker: Tracker) -> list[str]:
    return form.required_slots(tracker.slots)


def slot_events(updates: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa's slot events for the values bot/triage_form.py decided."""
    return [SlotSet(slot, value) for slot, value in updates.items()]


def _role_in(text: str, asked: str | None) -> str | None:
    """The role a message gives: the whole answer to the role question, else "I'm a ..."."""
    store = knowledge_store()
    if asked == ROLE:
        role = store.role(text)
        return role.id if role else None
    said = _SELF.search(text)
    role = store.role(said.group(1)) if said else None
    return role.id if role else None


_NOT_THIS = re.compile(r"\b(?:not|instead of|rather than)\s+[^,.;]+", re.IGNORECASE)


def _area_in(text: str) -> str | None:
    """The area a message names; "I meant Kingston, not Wakefield" names Kingston."""
    store = knowledge_store()
    area = store.resolve_area(text) or store.resolve_area(_NOT_THIS.sub(" ", text))
    return area.id if area else None


def _template(domain: DomainDict, name: str) -> str:
    """The first text of a response in the domain (wording stays in the domain)."""
    return str(domain.get("responses", {}).get(name, [{}])[0].get("text", ""))


def answer_events(answers: dict[str, Any], tracker: Tracker) -> list[dict[str, Any]]:
    return slot_events(form.answer_updates(answers, tracker.slots))


class ValidateTriageForm(FormValidationAction):
    """Fills the triage slots from buttons, typed answers and descriptions."""

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
        """What the latest message does to the triage (bot/triage_turn.py).

        The slots' mappings are `custom`, so Rasa stores no raw text in them: the
        requested slot gets the typed text only for validation to read (and keep
        the value it read, or None); everything else set here is already a value.
        An empty list lets the rules answer (a question, a repair, chit-chat).
        """
        slot = tracker.get_slot("requested_slot")
        if slot not in form_slots(tracker) or slot in tracker.slots_to_validate():
            return []
        if _handled_already(tracker):
            return []  # the form resumed after a repair ("no, carry on"): that message was answered
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        pending = _pending(tracker)
        if tracker.get_slot(STOP_ASKED):
            if intent in ("affirm", "deny", "stop"):
                return []  # the rules stop or carry on
            if default_reader().wants_to_resume(text):  # "no, let's carry on", whatever its intent
                dispatcher.utter_message(response="utter_triage_carry_on")
                return [SlotSet(STOP_ASKED, False)]
            stop_cleared = [SlotSet(STOP_ASKED, False)]
        else:
            stop_cleared = []
        if intent in ("confirm_readings", "change_readings"):
            return stop_cleared + self._reading_button(intent, text, pending, dispatcher, tracker, domain)
        if not text.strip() or text.startswith("/") or intent in REPAIR_INTENTS:
            return stop_cleared
        asked = form.key_of(slot)
        if intent not in ANSWER_INTENTS and looks_like_a_question(text):
            return stop_cleared
        turn = understand(
            text, asked=asked, answers=form.known(tracker.slots), pending=pending, reader=default_reader(),
            questions=default_questions(), find_area=_area_in, find_role=lambda t: _role_in(t, asked),
        )
        if turn.kind == "none" and (looks_like_a_question(text) or default_reader().asks(text)):
            return stop_cleared  # a question the classifier could not place: the guidance is searched
        events = self._turn_events(turn, slot, text, intent, pending, dispatcher, tracker, domain)
        return stop_cleared + events

    def _turn_events(self, turn: Turn, slot: str, text: str, intent: str | None, pending: dict[str, Any],
                     dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reader, questions = default_reader(), default_questions()
        if turn.kind == "confirm":
            dispatcher.utter_message(response="utter_triage_readings_kept")
            return answer_events(turn.answers, tracker) + [SlotSet(PENDING, None)]
        if turn.kind == "change":
            self._offer_changes(pending, dispatcher, domain)
            return [SlotSet(PENDING, pending)]
        if turn.kind == "correction":
            changes = "; ".join(
                say("reading_change", label=reader.label(k) if k not in (AREA, ROLE) else k.capitalize(),
                    value=_title(k, turn.answers[k]))
                for k in turn.corrected
            )
            dispatcher.utter_message(response="utter_triage_corrected", changes=changes)
            events = answer_events(turn.answers, tracker)
            if turn.pending is not None:
                events.append(SlotSet(PENDING, turn.pending or None))
                if turn.pending:
                    dispatcher.utter_message(response="utter_triage_readings",
                                             readings=describe(turn.pending, reader, questions))
            return events
        if turn.kind == "description":
            assert turn.pending is not None
            dispatcher.utter_message(response="utter_triage_readings",
                                     readings=describe(turn.pending, reader, questions))
            skipped = [SlotSet(ROLE, NO_ROLE)] if slot == ROLE and ROLE not in turn.answers else []
            waiting = dict(turn.pending)
            if slot == FACTORS:
                # Answering a later question closes the list, with the factors it names.
                found = waiting.pop("factors", {}).get("value", [])
                selected = list(tracker.get_slot(FACTORS_SELECTED) or [])
                selected += [f for f in found if f not in selected]
                skipped += [SlotSet(FACTORS_SELECTED, selected), SlotSet(FACTORS, selected)]
            return answer_events(turn.answers, tracker) + skipped + [SlotSet(PENDING, waiting or None)]
        if turn.kind == "resume":
            dispatcher.utter_message(response="utter_triage_resume")
            return [SlotSet(PENDING, pending or None)]
        # plain, or nothing read: carrying on confirms the readings shown before.
        asked = form.key_of(slot)
        events = answer_events({k: v for k, v in turn.answers.items() if k != asked}, tracker)
        value = turn.answers.get(asked) if turn.kind == "plain" and asked else None
        if form.is_multiple(slot) and asked and value:
            events += answer_events({asked: value}, tracker)  # more factors; the list stays open
        elif value is not None and not form.is_multiple(slot):
            events.append(SlotSet(slot, value))
        elif turn.kind == "plain" or intent in ANSWER_INTENTS:
            events.append(SlotSet(slot, text))  # validation reads it, and says why when it cannot
        if turn.kind == "plain" and pending:
            events = answer_events({k: v["value"] for k, v in pending.items()}, tracker) + events
            events.append(SlotSet(PENDING, None))
        return events

    def _reading_button(self, intent: str, text: str, pending: dict[str, Any], dispatcher: CollectingDispatcher,
                        tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """"That's right", "Change something", or one reading chosen to change."""
        if not pending:
            return [SlotSet(PENDING, None)]
        if intent == "confirm_readings":
            dispatcher.utter_message(response="utter_triage_readings_kept")
            return answer_events({k: v["value"] for k, v in pending.items()}, tracker) + [SlotSet(PENDING, None)]
        chosen = _payload_field(text, "reading")
        if chosen in pending:
            dispatcher.utter_message(response="utter_triage_will_ask")
            left = {k: v for k, v in pending.items() if k != chosen}
            return [SlotSet(PENDING, left or None)]
        self._offer_changes(pending, dispatcher, domain)
        return [SlotSet(PENDING, pending)]

    def _offer_changes(self, pending: dict[str, Any], dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
        reader = default_reader()
        buttons = [
            {"title": say("reading_change", label=reader.label(key), value=_title(key, reading["value"])),
             "payload": "/change_readings" + json.dumps({"reading": key})}
            for key, reading in pending.items()
        ]
        buttons.append({"title": say("readings_keep_all"), "payload": "/confirm_readings"})
        dispatcher.utter_message(text=_template(domain, "utter_triage_which_change"), buttons=buttons)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Rasa SDK's loop validates the slots the form asks for (`validate_<slot>`). It drops
        every other slot extraction set, so those are passed on here as set: the readings
        waiting for a check and the form's flags, and an answer given ahead of its question
        or cleared by a change of age (already values, from bot/triage_form.py)."""
        wanted = form_slots(tracker)
        passed = [SlotSet(slot, value) for slot, value in tracker.slots_to_validate().items()
                  if slot not in wanted and (slot in SETTLED or form.question_in(slot) is not None)]
        return passed + await super().get_validation_events(dispatcher, tracker, domain)

    def __getattr__(self, name: str) -> Any:
        """`validate_<slot>` for each triage question's slot: the questions, and so their
        slots, are knowledge (knowledge/triage/questions.yml), not methods written here."""
        slot = name.removeprefix("validate_")
        if name.startswith("validate_") and form.question_in(slot) is not None:
            return functools.partial(self._validate_answer, slot)
        raise AttributeError(name)

    def validate_area(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {AREA: None}
        if value == form.ELSEWHERE:  # a place not covered (action_remember_area): the national routes
            return {AREA: form.ELSEWHERE}
        area = knowledge_store().resolve_area(form.as_text(value))
        if area is None:
            dispatcher.utter_message(response="utter_area_not_known")
        return {AREA: area.id if area else None}

    def validate_role(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {ROLE: None}
        text = form.as_text(value)
        role = knowledge_store().role(text)
        if role is not None:
            return {ROLE: role.id}
        # The role is optional: an answer to the next question ("she's 8 months")
        # skips it and answers that question instead of being lost.
        return {ROLE: NO_ROLE, **form.answer_for_next(text, tracker.slots)}

    def validate_triage_check(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return {CHECK: value}  # set by the readings' buttons, never typed into

    def _validate_answer(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        if value is None or slot in SETTLED or (slot == FACTORS and _factor_ids(value)):
            return {slot: value}  # already a value (or cleared): nothing to read
        question = form.question_in(slot)
        assert question is not None, slot
        if question.multiple:
            updates, why = form.add_factors(question.key, value, tracker.slots)
            if why:
                dispatcher.utter_message(text=why)
            return updates
        reading = interpret_answer(question.key, form.as_text(value))
        if reading.value is None:
            dispatcher.utter_message(text=reading.message)
        return {slot: reading.value}


# Actions that run between a message and the form without answering it.
_PASS_THROUGH = frozenset({"action_listen", "action_extract_slots", "triage_form", "validate_triage_form"})


def _handled_already(tracker: Tracker) -> bool:
    """True when another action answered the latest message before the form ran
    again (a rule: "no, carry on", a side question): it is not read as an answer."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") not in _PASS_THROUGH:
            return True
    return False


def _factor_ids(value: Any) -> bool:
    """A list of factor ids (the factors question closed by the form itself)."""
    ids = {o.value for o in default_questions().get("factors").options}
    return isinstance(value, list) and all(isinstance(v, str) and v in ids for v in value)


def _title(key: str, value: Any) -> str:
    """An answer as its button titles ("Mostly not met"), never as a raw value."""
    if key == AREA:
        area = knowledge_store().resolve_area(str(value))
        return area.name if area else say("area_elsewhere") if value == form.ELSEWHERE else str(value)
    if key == ROLE:
        role = knowledge_store().role(str(value))
        return role.name if role else str(value)
    titles = {o.value: o.title for o in default_questions().get(key).options}
    if isinstance(value, list):
        return ", ".join(titles.get(v, v) for v in value)
    return titles.get(value, str(value))


def _payload_field(text: str, name: str) -> Any:
    """A field of a button payload such as /change_readings{"reading": "needs.health"}."""
    body = text[text.find("{"):] if "{" in text else ""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return None
    return data.get(name) if isinstance(data, dict) else None


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
        question = form.question_in(FACTORS)
        selected = tracker.get_slot(FACTORS_SELECTED) or []
        dispatcher.utter_message(**render.ask_factors(question, selected))
        return []


class ActionTriageReset(KnowledgeAction):
    """A new triage starts clean (area and role are kept)."""

    def name(self) -> str:
        return "action_triage_reset"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        events = slot_events({**form.cleared(), "escalation_running": False})
        # The message that started it may already describe the child (and say the area or role).
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot(OFFERED):  # "yes" to the offer after an answer: the case told beside the question
            events.append(SlotSet(OFFERED, None))
            told = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
            text = told_sentences(told[-2]) if len(told) >= 2 else ""
        if not text.strip() or text.startswith("/") or looks_like_a_question(text):
            return events
        turn = understand(
            text, asked=None, answers={k: v for k, v in form.known(tracker.slots).items() if k in (AREA, ROLE)},
            pending={}, reader=default_reader(), questions=default_questions(),
            find_area=_area_in, find_role=lambda t: _role_in(t, None),
        )
        events += [SlotSet(form.slot_of(k), v) for k, v in turn.answers.items() if k in (AREA, ROLE)]
        if turn.pending:
            dispatcher.utter_message(response="utter_triage_readings",
                                     readings=describe(turn.pending, default_reader(), default_questions()))
            events.append(SlotSet(PENDING, turn.pending))
        return events


class ActionTriageBack(KnowledgeAction):
    """Clears the answer before the current question so it is asked again."""

    def name(self) -> str:
        return "action_triage_back"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        updates = form.back(tracker.slots, tracker.get_slot("requested_slot"))
        if updates is None:
            dispatcher.utter_message(response="utter_triage_first_question")
            return []
        return slot_events(updates)


def _outcome(store: KnowledgeStore, tracker: Tracker, answers: dict[str, Any]) -> tuple:
    """The assessment of `answers`, the level as the practitioner's area names
    it, and the contacts for now."""
    assessment = assess(answers)
    area = current_area(store, tracker)
    area_id = area.id if area else None
    return assessment, store.level(assessment.level, area_id), store.contacts(area_id, now())


class ActionTriageResult(KnowledgeAction):
    """The result as one message: the structured result as Rasa's `custom` payload
    (`json_message`, drawn by the web chat and Teams), with its plain-text
    fallback and buttons for REST and the terminal."""

    def name(self) -> str:
        return "action_triage_result"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        answers = answers_from_slots(tracker.slots)
        assessment, level, plan = _outcome(store, tracker, answers)
        role = store.role(str(tracker.get_slot(ROLE) or ""))
        dispatcher.utter_message(**render.triage_result(assessment, level, plan, role, store))
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
        updates = form.skip(tracker.slots, tracker.get_slot("requested_slot"))
        if updates is None:
            dispatcher.utter_message(response="utter_triage_cannot_skip")
            return []
        return slot_events(updates)


class ActionTriageExplain(KnowledgeAction):
    """"What does this question mean?": what the question asks and what "met" looks like."""

    def name(self) -> str:
        return "action_triage_explain"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        question = form.question_in(tracker.get_slot("requested_slot"))
        if question is None:
            dispatcher.utter_message(response="utter_triage_explain_general")
            return []
        dispatcher.utter_message(
            response="utter_triage_explain",
            question=question.prompt,
            options="; ".join(option.title for option in question.options),
            met=say("explain_met", text=question.what_met) if question.what_met else "",
        )
        return []


class ActionAskTriageCheck(KnowledgeAction):
    """Nothing else to ask, but readings still wait: they are confirmed before the level."""

    def name(self) -> str:
        return "action_ask_triage_check"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        readings = describe(_pending(tracker), default_reader(), default_questions())
        dispatcher.utter_message(response="utter_ask_triage_check", readings=readings)
        return []


class ActionTriageAskStop(KnowledgeAction):
    """"Stop" during the triage asks first; until then nothing is forgotten."""

    def name(self) -> str:
        return "action_triage_ask_stop"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_triage_ask_stop")
        return [SlotSet(FORGET, False), SlotSet(STOP_ASKED, True)]


class ActionTriageCarryOn(KnowledgeAction):
    def name(self) -> str:
        return "action_triage_carry_on"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_triage_carry_on")
        return [SlotSet(STOP_ASKED, False)]


class ActionTriageStopped(KnowledgeAction):
    """"Yes, stop": the conversation is deleted when this turn is saved (bot/stores.py)."""

    def name(self) -> str:
        return "action_triage_stopped"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_stopped_and_forgotten")
        return [SlotSet(STOP_ASKED, False), SlotSet(FORGET, True)]
