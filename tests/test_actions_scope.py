"""The actions for area statements, the area held across turns, what is out
of scope, the clarification when unsure and the "past its review date" line,
with a real knowledge database, a tracker and CollectingDispatcher."""
from __future__ import annotations

from typing import Any

import pytest

from actions.contacts import ActionAnswerContact
from actions.learning import ActionEscalation
from actions.questions import (
    ActionAnswerQuestion,
    ActionDefaultFallback,
    ActionFallbackSearch,
    ActionOutOfScope,
    ActionRememberArea,
)
from tests.test_actions import area_entity, knowledge_db, run, store_env, text_of, tracker

__all__ = ["knowledge_db", "store_env"]  # the fixtures, shared with tests/test_actions.py


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


# --- the area, said in any sentence, held for the conversation ---------------------

@pytest.mark.parametrize(("value", "area_id", "name"), [
    ("cov", "coventry", "Coventry"),
    ("richmond", "kingston_richmond", "Kingston & Richmond"),
    ("Twickenham", "kingston_richmond", "Kingston & Richmond"),
    ("Oxfordshire", "oxfordshire", "Oxfordshire"),
])
def test_an_area_statement_is_held_and_confirmed(value: str, area_id: str, name: str) -> None:
    messages, events = run(ActionRememberArea(), tracker(f"I'm in {value}", "inform_area", area_entity(value)))
    assert slots_set(events) == {"area": area_id, "last_area": area_id}
    assert messages[0]["response"] == "utter_area_remembered"
    assert name.split(" ")[0] in messages[0]["area_name"]


def test_saying_another_area_changes_the_one_held() -> None:
    t = tracker("actually I'm in Wakefield", "inform_area", area_entity("Wakefield"), slots={"area": "coventry"})
    _, events = run(ActionRememberArea(), t)
    assert slots_set(events)["area"] == "wakefield"


def test_a_place_not_covered_gets_the_national_routes_and_no_area_is_held() -> None:
    messages, events = run(ActionRememberArea(), tracker("I work in Surrey", "inform_area",
                                                        slots={"area": "coventry"}))
    text = text_of(messages)
    assert "don't hold local contacts" in text and "999" in text and "0808 800 5000" in text
    assert slots_set(events) == {"area": None, "last_area": None}


def test_the_triage_area_question_answered_by_a_statement_needs_no_confirmation() -> None:
    t = tracker("I work in Coventry", "inform_area", area_entity("Coventry"),
                slots={"requested_slot": "area"}, active_loop="triage_form")
    messages, events = run(ActionRememberArea(), t)
    assert messages == [] and slots_set(events)["area"] == "coventry"


def test_the_area_held_is_used_at_once_for_contacts() -> None:
    messages, events = run(ActionAnswerContact(), tracker("what's the MASH number", "ask_contact",
                                                         slots={"area": "oxfordshire"}))
    assert "0345 050 7666" in text_of(messages)
    assert slots_set(events) == {"last_area": "oxfordshire", "last_route": "front_door"}


def test_an_area_named_in_a_question_answers_it_without_replacing_the_one_held() -> None:
    messages, events = run(ActionAnswerContact(), tracker("coventry mash number", "ask_contact",
                                                         area_entity("coventry"), slots={"area": "oxfordshire"}))
    assert "024 7678 8555" in text_of(messages)
    assert slots_set(events) == {"last_area": "coventry", "last_route": "front_door"}  # "area" stays Oxfordshire


def test_an_area_named_in_a_question_is_held_when_none_was() -> None:
    _, events = run(ActionAnswerContact(), tracker("kingston spa", "ask_contact", area_entity("kingston")))
    assert slots_set(events) == {"last_area": "kingston_richmond", "area": "kingston_richmond",
                                 "last_route": "front_door"}


@pytest.mark.parametrize(("area_id", "fact"), [
    ("wakefield", "Community clusters"),
    ("coventry", "Family Hubs"),
    ("oxfordshire", "Locality and Community Support Service"),
])
def test_early_help_gives_the_area_route_held(area_id: str, fact: str) -> None:
    t = tracker("how do I get early help", "ask_question", [{"entity": "route", "value": "early help"}],
                slots={"area": area_id})
    messages, _ = run(ActionAnswerQuestion(), t)
    assert fact in text_of(messages)


def test_an_area_escalation_policy_asked_for_is_given_at_once() -> None:
    t = tracker("escalation policy?", "ask_escalation", [{"entity": "route", "value": "escalation policy"}],
                slots={"area": "coventry"})
    messages, _ = run(ActionEscalation(), t)
    text = text_of(messages)
    assert text.index("westmidlands.procedures.org.uk") < text.index("Step 1 of")


def test_a_follow_up_uses_the_area_of_the_last_answer() -> None:
    t = tracker("and out of hours?", "nlu_fallback", [{"entity": "route", "value": "out of hours"}],
                slots={"area": "oxfordshire", "last_area": "coventry"})
    messages, _ = run(ActionFallbackSearch(), t)
    assert "024 7683 2222" in text_of(messages)


# --- out of scope ------------------------------------------------------------------

@pytest.mark.parametrize(("intent", "facts"), [
    ("out_of_scope_adult", ["adult social care", "999"]),
    ("out_of_scope_child", ["Childline", "0800 1111", "999"]),
    ("out_of_scope_medical", ["GP", "NHS 111"]),
    ("out_of_scope_language", ["English", "999"]),
])
def test_each_out_of_scope_route(intent: str, facts: list[str]) -> None:
    messages, _ = run(ActionOutOfScope(), tracker("...", intent))
    text = text_of(messages)
    assert all(fact in text for fact in facts), text


def test_an_allegation_in_an_area_gives_its_front_door_and_no_invented_lado_number() -> None:
    messages, events = run(ActionOutOfScope(), tracker("is this one for the lado", "out_of_scope_allegation",
                                                      slots={"area": "wakefield"}))
    text = text_of(messages)
    assert "LADO" in text and "I don't hold a LADO number for Wakefield" in text
    assert "0345 8 503 503" in text
    assert slots_set(events) == {"last_area": "wakefield"}


def test_an_allegation_in_wandsworth_says_its_front_door_content_is_past_review() -> None:
    messages, _ = run(ActionOutOfScope(), tracker("lado?", "out_of_scope_allegation", slots={"area": "wandsworth"}))
    assert "utter_review_due" in responses(messages)


def test_another_language_caught_when_the_classifier_is_unsure() -> None:
    messages, _ = run(ActionFallbackSearch(), tracker("je suis très inquiète pour un enfant", "nlu_fallback"))
    text = text_of(messages)
    assert "English" in text and "999" in text and "Did you mean" not in text


# --- unsure: a short clarification, never "Goodbye" --------------------------------

def test_unsure_gets_at_most_three_topics_and_never_goodbye() -> None:
    t = tracker("thing about the home visit checklist", "nlu_fallback")
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback"}, {"name": "ask_question"}]
    messages, _ = run(ActionFallbackSearch(), t)
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert 1 <= len(buttons) <= 3
    assert "goodbye" not in text_of(messages).lower()


def test_the_core_fallback_clarifies_and_undoes_the_message() -> None:
    t = tracker("and if it's the weekend?", "inform")
    t.latest_message["intent_ranking"] = [{"name": "inform"}, {"name": "ask_contact"}]
    messages, events = run(ActionDefaultFallback(), t)
    assert events[0]["event"] == "rewind"
    assert messages and "did not understand" not in text_of(messages)


def test_an_unsure_area_statement_is_taken() -> None:
    t = tracker("I'm a PC over in cov", "inform", area_entity("cov"))
    t.latest_message["intent_ranking"] = [{"name": "inform"}, {"name": "inform_area"}]
    messages, events = run(ActionDefaultFallback(), t)
    assert messages[0]["response"] == "utter_area_remembered"
    assert slots_set(events) == {"area": "coventry", "last_area": "coventry"}


# --- past its review date ------------------------------------------------------------

def test_an_answer_resting_on_content_past_review_says_so() -> None:
    messages, _ = run(ActionAnswerQuestion(), tracker("what is gcp2", "ask_question"))
    note = next(m for m in messages if m.get("response") == "utter_review_due")
    assert note["review_month"] == "October 2023" and note["partnership_site"] == "https://www.wscp.org.uk"


def test_a_current_answer_has_no_review_line() -> None:
    messages, _ = run(ActionAnswerQuestion(), tracker("what is neglect", "ask_question"))
    assert "utter_review_due" not in responses(messages)


def test_a_stale_contact_route_says_so() -> None:
    messages, _ = run(ActionAnswerContact(), tracker("mash", "ask_contact", [{"entity": "route", "value": "mash"}],
                                                     slots={"area": "wandsworth"}))
    assert "utter_review_due" in responses(messages)
