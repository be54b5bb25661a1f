"""The "am I worried?" form's flow, as plain functions of its slots.

Which slots the form still needs and in what order, what a set of answers
sets, "back", "skip" and the family-factors multi-select. Each function takes
the conversation's slots (a mapping of slot name to value) and returns the
slot values to set, in order; actions/triage.py only turns them into Rasa
events, so the flow is tested without a tracker (tests/test_triage_form.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.answers import interpret_answer
from bot.triage_flow import (
    Question,
    QuestionSet,
    answers_from_slots,
    default_questions,
    questions_for,
    skip_value,
    slot_for,
)

Slots = Mapping[str, Any]
Updates = dict[str, Any]  # slot -> the value to set, in the order set

AREA, ROLE, NO_ROLE = "area", "role", "not_given"
# The area of a practitioner who works in a place not covered: the triage goes on, with
# the national routes in its result.
ELSEWHERE = "elsewhere"
DANGER = "triage_immediate_danger"
NEEDS_PREFIX = "triage_need_"
FACTORS, FACTORS_SELECTED = "triage_factors", "triage_factors_selected"
RESULT = "triage_result"
PENDING, CHECK, STOP_ASKED = "triage_pending", "triage_check", "triage_stop_asked"


def pending(slots: Slots) -> dict[str, Any]:
    """Readings of a description shown back and waiting for confirmation (by contract key)."""
    waiting = slots.get(PENDING)
    return dict(waiting) if isinstance(waiting, dict) else {}


def with_pending(answers: dict[str, Any], waiting: dict[str, Any]) -> dict[str, Any]:
    """The nested answers dict with the waiting readings filled in (for what to ask next)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in answers.items()}
    for key, reading in waiting.items():
        if key.startswith("needs."):
            merged.setdefault("needs", {}).setdefault(key.split(".", 1)[1], reading["value"])
        elif key != "factors":
            merged.setdefault(key, reading["value"])
    return merged


def required_slots(slots: Slots, questions: QuestionSet | None = None) -> list[str]:
    """Every slot the form needs for the answers given so far, in order:
    the area, immediate danger, the (optional) role, then the questions of
    knowledge/triage/questions.yml that apply to this child. A question whose
    answer waits for confirmation is not asked; while any waits, the last
    slot is the confirmation (`CHECK`)."""
    questions = questions or default_questions()
    if slots.get(DANGER) == "yes":
        return [AREA, DANGER]
    waiting = pending(slots)
    remaining = {q.slot for q in questions_for(with_pending(answers_from_slots(slots), waiting), questions)}
    asked = [
        q.slot for q in questions.questions
        if q.slot != DANGER and (q.slot in remaining or slots.get(q.slot) is not None)
    ]
    danger = [] if "immediate_danger" in waiting and slots.get(DANGER) is None else [DANGER]
    return [AREA, *danger, ROLE, *asked, *([CHECK] if waiting else [])]


def question_in(slot: Any) -> Question | None:
    """The question of knowledge/triage/questions.yml asked in `slot` (None for the area and role)."""
    return next((q for q in default_questions().questions if q.slot == slot), None)


def is_multiple(slot: Any) -> bool:
    question = question_in(slot)
    return bool(question and question.multiple)


def key_of(slot: str | None) -> str | None:
    """The contract key asked in `slot` ("area" and "role" as they are)."""
    if slot in (AREA, ROLE):
        return slot
    question = question_in(slot)
    return question.key if question else None


def slot_of(key: str) -> str:
    return key if key in (AREA, ROLE) else slot_for(key)


def known(slots: Slots) -> dict[str, Any]:
    """The answers recorded so far, by contract key, with the area and role."""
    found = {q.key: slots.get(q.slot) for q in default_questions().questions if slots.get(q.slot) is not None}
    for slot in (AREA, ROLE):
        if slots.get(slot) not in (None, NO_ROLE):
            found[slot] = slots.get(slot)
    return found


def answer_updates(answers: dict[str, Any], slots: Slots) -> Updates:
    """The slots recording `answers` (by contract key). Factors read from a
    description are added to the selection (the factors question still asks
    "anything else?"); a new age clears the needs that no longer apply."""
    updates: Updates = {}
    for key, value in answers.items():
        if key == "factors":
            selected = list(slots.get(FACTORS_SELECTED) or [])
            selected += [f for f in value if f not in selected]
            updates[FACTORS_SELECTED] = selected
            if slots.get(FACTORS) is not None:  # the question was closed already
                updates[FACTORS] = selected
        else:
            updates[slot_of(key)] = value
    if "age_band" in answers:
        rubric = default_questions().rubric
        age = {"age_band": answers["age_band"]}
        for question in default_questions().questions:
            if question.domain and slots.get(question.slot) is not None \
                    and not rubric.domain_applies(question.domain, age):
                updates[question.slot] = None
    return updates


def back(slots: Slots, requested: Any) -> Updates | None:
    """"Back": the answer before the current question cleared, so that it is asked
    again (None when there is nothing to go back to). Going back to the age clears
    the needs, whose questions depend on it; to the factors, the selection."""
    order = required_slots(slots)
    position = order.index(requested) if requested in order else len(order)
    previous = next((slot for slot in reversed(order[:position]) if slots.get(slot) is not None), None)
    if previous is None:
        return None
    updates: Updates = {previous: None, "requested_slot": previous}
    if previous == FACTORS:
        updates[FACTORS_SELECTED] = None
    if previous == "triage_age_band":
        updates.update({slot: None for slot in order if slot.startswith(NEEDS_PREFIX)})
    return updates


def skip(slots: Slots, requested: Any) -> Updates | None:
    """"Skip this question": "not known" where the rubric allows it (None where it does not)."""
    if requested == ROLE:
        return {ROLE: NO_ROLE}
    question = question_in(requested)
    value = skip_value(question) if question is not None else None
    if question is None or value is None:
        return None
    if question.multiple:
        return {requested: list(slots.get(FACTORS_SELECTED) or [])}
    return {requested: value}


def as_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def add_factors(key: str, value: Any, slots: Slots) -> tuple[Updates, str | None]:
    """Multi-select: each answer adds factors; "none" / "done" (an empty list)
    closes the question with what was picked so far. The message says why an
    answer could not be read (None when it was)."""
    selected = list(slots.get(FACTORS_SELECTED) or [])
    reading = interpret_answer(key, as_text(value))
    if reading.value is None:
        return {FACTORS: None}, reading.message
    if reading.value == []:
        return {FACTORS: selected, FACTORS_SELECTED: selected}, None
    selected.extend(f for f in reading.value if f not in selected)
    return {FACTORS: None, FACTORS_SELECTED: selected}, None


def answer_for_next(text: str, slots: Slots) -> Updates:
    """The next question's slot and value when `text` clearly answers it, else nothing
    (the role is optional: "she's 8 months" answers the age instead)."""
    order = required_slots(slots)
    following = [slot for slot in order[order.index(ROLE) + 1:] if slots.get(slot) is None]
    question = question_in(following[0]) if following else None
    if question is None or question.multiple:
        return {}
    value = interpret_answer(question.key, text).value
    return {following[0]: value} if value is not None else {}


def cleared(questions: QuestionSet | None = None) -> Updates:
    """A new triage starts clean: every answer and the form's own state (area and role are kept)."""
    slots = [q.slot for q in (questions or default_questions()).questions]
    return dict.fromkeys([*slots, FACTORS_SELECTED, RESULT, PENDING, STOP_ASKED])
