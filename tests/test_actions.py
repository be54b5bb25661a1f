"""The custom actions with a real knowledge database, a tracker and
rasa_sdk's CollectingDispatcher (no servers)."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.base as base
from actions.contacts import ActionAnswerContact
from actions.learning import ActionEscalation, ActionListGuides, ActionQuizAnswer, ActionQuizStart, ActionShowGuide
from actions.questions import ActionAnswerQuestion, ActionFallbackSearch, ActionHandoff, ActionTellMeMore
from actions.triage import ActionTriageBack, ActionTriageExplain, ActionTriageResult, ActionTriageSkip, ValidateTriageForm
from bot.knowledge.build import build
from bot.triage_flow import default_questions
from bot.wording import say
from bot.paths import ROOT

WEEKDAY_11AM = "2026-11-18T11:00:00+00:00"
SATURDAY_2AM = "2026-11-21T02:00:00+00:00"


@pytest.fixture(scope="session")
def knowledge_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kb") / "knowledge.db"
    report = build(ROOT / "knowledge", out, date(2026, 11, 22))
    assert not report.errors, report.errors
    return out


@pytest.fixture(autouse=True)
def store_env(knowledge_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(base, "KNOWLEDGE_DB", knowledge_db)
    monkeypatch.setenv("ASSISTANT_NOW", WEEKDAY_11AM)
    base.knowledge_store.cache_clear()
    yield
    base.knowledge_store.cache_clear()


def tracker(text: str = "", intent: str = "", entities: list[dict[str, Any]] | None = None,
            slots: dict[str, Any] | None = None, active_loop: str | None = None) -> Tracker:
    return Tracker(
        sender_id="test", slots=dict(slots or {}),
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0},
                        "entities": entities or []},
        events=[], paused=False, followup_action=None,
        active_loop={"name": active_loop} if active_loop else {}, latest_action_name="action_listen",
    )


def run(action: Any, t: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def text_of(messages: list[dict]) -> str:
    return "\n".join((m.get("text") or "") + " " + " ".join(b["title"] for b in m.get("buttons") or [])
                     for m in messages)


def area_entity(value: str) -> list[dict[str, Any]]:
    return [{"entity": "area", "value": value}]


# --- questions and fallbacks -----------------------------------------------------

def test_a_guidance_question_is_answered_with_its_source() -> None:
    messages, events = run(ActionAnswerQuestion(), tracker("what is neglect", "ask_question"))
    text = text_of(messages)
    assert "persistent failure" in text.lower() and "Source:" in text
    assert any(e.get("name") == "last_item" for e in events)


def test_tell_me_more_gives_the_detail_of_the_last_answer() -> None:
    _, events = run(ActionAnswerQuestion(), tracker("what is was not brought", "ask_question"))
    item = next(e["value"] for e in events if e.get("name") == "last_item")
    messages, _ = run(ActionTellMeMore(), tracker("tell me more", "tell_me_more", slots={"last_item": item}))
    assert "more detail" in text_of(messages)


def test_unsure_offers_did_you_mean_buttons_from_search() -> None:
    t = tracker("genogram family tree", "nlu_fallback")
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback"}, {"name": "ask_question"}]
    messages, _ = run(ActionFallbackSearch(), t)
    assert "show_item{\"item\": \"chronology\"}" in str(messages)
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert buttons and all(b["payload"].startswith("/show_item") for b in buttons)
    assert "safeguarding lead" in text_of(messages)


def test_unsure_with_nothing_found_hands_off_with_the_area_advice_line() -> None:
    messages, _ = run(ActionFallbackSearch(),
                      tracker("qwxz plorb", "nlu_fallback", slots={"area": "kingston_richmond"}))
    text = text_of(messages)
    assert "safeguarding lead" in text and "020 8547 5008" in text and "999" in text


def test_a_contact_question_with_no_area_asks_for_the_area() -> None:
    messages, _ = run(ActionAnswerContact(), tracker("who do I call", "ask_contact"))
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert len(buttons) == 5 and all(b["payload"].startswith("/ask_contact") for b in buttons)


@pytest.mark.parametrize("area, when, number", [
    ("kingston", WEEKDAY_11AM, "020 8547 5008"),
    ("kingston", SATURDAY_2AM, "020 8770 5000"),
    ("oxfordshire", WEEKDAY_11AM, "0345 050 7666"),
    ("oxfordshire", SATURDAY_2AM, "0800 833 408"),
    ("coventry", SATURDAY_2AM, "024 7683 2222"),
])
def test_contact_routing_follows_the_time_of_day(monkeypatch, area, when, number) -> None:
    monkeypatch.setenv("ASSISTANT_NOW", when)
    messages, _ = run(ActionAnswerContact(), tracker(f"{area} number", "ask_contact", area_entity(area)))
    assert number in text_of(messages)


@pytest.mark.parametrize("text, number, said", [
    ("oxfordshire number, it's 7pm on a friday", "0800 833 408", "19:00 on Friday"),
    ("who do I call in oxfordshire at the weekend?", "0800 833 408", "12:00 on Saturday"),
    ("oxfordshire number for tuesday morning", "0345 050 7666", "10:00 on Tuesday"),
])
def test_a_time_the_practitioner_states_picks_the_route_and_is_said(text, number, said) -> None:
    """At a weekday 11am, a stated evening or weekend gets the out-of-hours team, and the
    reply says which time it used; a stated office-hours time gets the front door."""
    messages, _ = run(ActionAnswerContact(), tracker(text, "ask_contact", area_entity("oxfordshire")))
    assert number in text_of(messages) and f"For {said} (UK time), the time you gave" in text_of(messages)


def test_a_number_not_known_is_said_to_be_not_known() -> None:
    messages, _ = run(ActionAnswerContact(), tracker("wandsworth mash number", "ask_contact",
                                                      area_entity("wandsworth")))
    assert "not known" in text_of(messages).lower()


# --- faults ---------------------------------------------------------------------
# (The emergency reply itself needs no action: tests/safety/test_emergency_reply.py.)

def test_a_broken_knowledge_database_still_gives_999(monkeypatch, tmp_path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not sqlite")
    monkeypatch.setattr(base, "KNOWLEDGE_DB", broken)
    base.knowledge_store.cache_clear()
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerContact().run(dispatcher, tracker("coventry mash", "ask_contact"), {}))
    assert dispatcher.messages[0]["response"] == "utter_knowledge_unavailable"


# --- triage ------------------------------------------------------------------------

def validate(slots: dict[str, Any], requested: str, value: Any) -> dict[str, Any]:
    t = tracker("x", "inform", slots={**slots, requested: value, "requested_slot": requested},
                active_loop="triage_form")
    t.events = [{"event": "slot", "name": requested, "value": value}]
    _, events = run(ValidateTriageForm(), t)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_typed_answers_fill_the_triage_slots() -> None:
    got = validate({"area": "wakefield", "triage_immediate_danger": "no", "role": "not_given"},
                   "triage_age_band", "yes she's 15")
    assert got["triage_age_band"] == "12_17"
    assert got["requested_slot"] == "triage_disabled"


@pytest.mark.parametrize("text, expected", [("zephan is 2", "1_4"), ("Marnie never has lunch", None)])
def test_typed_text_is_read_by_the_form_and_only_the_value_read_is_kept(text: str, expected: Any) -> None:
    slots = {"area": "wakefield", "triage_immediate_danger": "no", "role": "not_given",
             "requested_slot": "triage_age_band"}
    _, events = run(ValidateTriageForm(), tracker(text, "inform", slots=slots, active_loop="triage_form"))
    got = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert got.get("triage_age_band") == expected
    assert text not in [e.get("value") for e in events]


def test_a_description_at_a_question_waits_to_be_confirmed() -> None:
    """"[name] never has lunch" at the age question answers food, not age: shown back first."""
    slots = {"area": "wakefield", "triage_immediate_danger": "no", "role": "not_given",
             "requested_slot": "triage_age_band"}
    messages, events = run(ValidateTriageForm(), tracker("[name] never has lunch", "inform", slots=slots,
                                                           active_loop="triage_form"))
    got = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert "triage_need_nutrition" not in got and got.get("triage_age_band") is None
    assert got["triage_pending"]["needs.nutrition"]["value"] == "unmet"
    assert messages[0]["response"] == "utter_triage_readings"


def test_a_side_question_is_not_read_as_an_answer() -> None:
    slots = {"area": "wakefield", "triage_immediate_danger": "no", "role": "not_given",
             "requested_slot": "triage_age_band"}
    _, events = run(ValidateTriageForm(), tracker("what is neglect", "ask_question", slots=slots,
                                                  active_loop="triage_form"))
    assert not [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"]


def test_a_question_read_as_an_answer_intent_is_left_to_the_rules() -> None:
    """"before I answer, what's a CIN plan?" classified `inform`: not an answer, nothing is set."""
    slots = {"area": "wakefield", "triage_immediate_danger": "no", "role": "not_given",
             "requested_slot": "triage_age_band"}
    _, events = run(ValidateTriageForm(), tracker("before I answer, what's a CIN plan?", "inform", slots=slots,
                                                  active_loop="triage_form"))
    assert not [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"]


def test_every_slot_the_form_asks_has_a_validator_for_rasa_sdks_loop() -> None:
    """The SDK calls `validate_<slot>`; the questions' slots come from knowledge/triage/questions.yml."""
    from bot import triage_form

    asked = [*triage_form.required_slots({"triage_immediate_danger": "no"}), triage_form.CHECK]
    form = ValidateTriageForm()
    assert all(callable(getattr(form, f"validate_{slot}", None)) for slot in asked), asked
    assert getattr(form, "validate_not_a_slot", None) is None


def test_an_answer_cleared_outside_the_asked_slots_is_passed_on() -> None:
    """A slot extraction set that the form does not ask now (SDK's loop would drop it) is kept."""
    slots = {"area": "wakefield", "triage_immediate_danger": "no", "role": "not_given",
             "requested_slot": "triage_age_band", "triage_age_band": "12_17"}
    t = tracker("x", "inform", slots={**slots, "triage_need_prenatal": None}, active_loop="triage_form")
    t.events = [{"event": "slot", "name": "triage_need_prenatal", "value": None},
                {"event": "slot", "name": "triage_age_band", "value": "12_17"}]
    _, events = run(ValidateTriageForm(), t)
    got = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert "triage_need_prenatal" in got and got["triage_need_prenatal"] is None
    assert got["triage_age_band"] == "12_17"


def test_an_area_typed_as_an_alias_is_resolved() -> None:
    got = validate({}, "area", "Richmond")
    assert got["area"] == "kingston_richmond"


def test_factors_are_picked_one_by_one_then_closed() -> None:
    slots = {"area": "coventry", "triage_immediate_danger": "no", "role": "not_given", "triage_age_band": "5_11"}
    got = validate(slots, "triage_factors", "domestic_abuse")
    assert got["triage_factors"] is None and got["triage_factors_selected"] == ["domestic_abuse"]
    got = validate({**slots, "triage_factors_selected": ["domestic_abuse"]}, "triage_factors", "done")
    assert got["triage_factors"] == ["domestic_abuse"]


def test_an_unborn_baby_is_asked_only_the_prenatal_need() -> None:
    got = validate({"area": "coventry", "triage_immediate_danger": "no", "role": "not_given"},
                   "triage_age_band", "unborn")
    assert got["requested_slot"] in ("triage_disabled", "triage_need_prenatal")


def test_back_clears_the_previous_answer() -> None:
    slots = {"area": "coventry", "triage_immediate_danger": "no", "role": "teacher",
             "requested_slot": "triage_age_band"}
    _, events = run(ActionTriageBack(), tracker("back", "back", slots=slots, active_loop="triage_form"))
    assert {"event": "slot", "name": "role", "value": None, "timestamp": None} in events


def test_the_result_gives_the_level_reasons_contact_and_judgement() -> None:
    slots = {"area": "oxfordshire", "triage_immediate_danger": "no", "role": "not_given",
             "triage_age_band": "5_11", "triage_disabled": "no", "triage_need_supervision": "mostly_unmet",
             "triage_factors": ["domestic_abuse", "substance_misuse"], "triage_duration": "recent",
             "triage_change": "no_support_yet", "triage_impact": "none"}
    messages, events = run(ActionTriageResult(), tracker("", "choose", slots=slots))
    text = text_of(messages)
    assert "Level 3" in text and "0345 050 7666" in text
    assert "professional judgement" in text and "999" in text
    assert any(e.get("name") == "triage_result" for e in events)


# --- learning ----------------------------------------------------------------------

def test_a_quiz_round_can_be_played_to_the_end() -> None:
    messages, events = run(ActionQuizStart(), tracker("quiz me", "start_quiz"))
    state = next(e["value"] for e in events if e.get("name") == "quiz_state")
    assert "Scenario 1" in text_of(messages)
    for _ in range(len(state["scenarios"]) if "scenarios" in state else 5):
        messages, events = run(ActionQuizAnswer(), tracker("", "quiz_answer", [{"entity": "quiz_level", "value": 2}],
                                                            slots={"quiz_state": state}))
        state = next(e["value"] for e in events if e.get("name") == "quiz_state")
        if state is None:
            break
    assert "You got" in text_of(messages)


@pytest.mark.parametrize("area, expected", [("coventry", "Coventry"), ("oxfordshire", "Oxfordshire")])
def test_the_escalation_navigator_walks_the_steps_with_the_area_policy(area, expected) -> None:
    messages, _ = run(ActionEscalation(), tracker("I disagree", "ask_escalation", area_entity(area)))
    assert "Step 1" in text_of(messages)
    messages, _ = run(ActionEscalation(), tracker("", "ask_escalation", [{"entity": "step", "value": 3}],
                                                   slots={"area": area}))
    text = text_of(messages)
    assert "Step 3" in text and expected in text and "999" in text


def test_guides_can_be_listed_and_shown() -> None:
    messages, _ = run(ActionListGuides(), tracker("list guides", "list_guides"))
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert len(buttons) >= 3
    messages, _ = run(ActionShowGuide(), tracker("one minute guide on was not brought", "ask_guide"))
    guide = base.knowledge_store().find_guide("one minute guide on was not brought")
    assert guide is not None and " ".join(guide.what.split()) in " ".join(text_of(messages).split())


@pytest.mark.parametrize("level", [99, "abc", None, 0, "3; DROP"])
def test_a_quiz_answer_that_is_not_a_level_asks_again(level) -> None:
    started, events = run(ActionQuizStart(), tracker("quiz me", "start_quiz"))
    state = next(e["value"] for e in events if e["name"] == "quiz_state")
    answer = tracker("", "quiz_answer", [{"entity": "quiz_level", "value": level}], slots={"quiz_state": state})
    messages, events = run(ActionQuizAnswer(), answer)
    assert "Scenario 1 of" in text_of(messages) and events == []


@pytest.mark.parametrize("step", ["abc", 99, -1, None])
def test_an_escalation_step_that_is_not_a_step_starts_at_step_1(step) -> None:
    messages, _ = run(ActionEscalation(), tracker("", "ask_escalation", [{"entity": "step", "value": step}],
                                                 slots={"area": "coventry"}))
    assert "Step 1 of" in text_of(messages)


def test_an_action_that_fails_gives_a_clear_reply_not_an_error(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("a failure quoting the tracker: Tom Baker")

    monkeypatch.setattr(ActionAnswerContact, "respond", boom)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerContact().run(dispatcher, tracker("coventry mash", "ask_contact"), {}))
    assert events == [] and dispatcher.messages[0]["response"] == "utter_default"


def test_an_answer_to_the_next_question_at_the_optional_role_question_skips_it() -> None:
    slots = {"area": "coventry", "triage_immediate_danger": "no", "requested_slot": "role"}
    _, events = run(ValidateTriageForm(), tracker("she's 8 months", "inform", slots=slots, active_loop="triage_form"))
    got = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert got["role"] == "not_given" and got["triage_age_band"] == "under_1"
    assert got["requested_slot"] == "triage_disabled"


def test_a_follow_up_naming_a_route_is_answered_for_the_area_held() -> None:
    messages, _ = run(ActionFallbackSearch(), tracker("and out of hours?", "nlu_fallback",
                                                      [{"entity": "route", "value": "out of hours"}],
                                                      slots={"area": "kingston_richmond"}))
    assert "020 8770 5000" in text_of(messages)



@pytest.mark.parametrize("requested, slots, expected", [
    ("triage_need_health", {"triage_age_band": "5_11"}, "unknown"),
    ("role", {}, "not_given"),
    ("triage_factors", {"triage_age_band": "5_11", "triage_factors_selected": ["domestic_abuse"]},
     ["domestic_abuse"]),
])
def test_skip_records_not_known_where_the_rubric_allows(requested: str, slots: dict[str, Any], expected: Any) -> None:
    base = {"area": "coventry", "triage_immediate_danger": "no", "requested_slot": requested, **slots}
    messages, events = run(ActionTriageSkip(), tracker("skip this", "skip_question", slots=base,
                                                       active_loop="triage_form"))
    assert [(e["name"], e["value"]) for e in events] == [(requested, expected)]
    assert messages == []


@pytest.mark.parametrize("requested", ["triage_immediate_danger", "triage_age_band", "area"])
def test_questions_that_cannot_be_skipped_say_why(requested: str) -> None:
    messages, events = run(ActionTriageSkip(), tracker("skip", "skip_question", slots={"requested_slot": requested},
                                                       active_loop="triage_form"))
    assert events == [] and messages[0]["response"] == "utter_triage_cannot_skip"


def test_explain_says_what_the_question_asks_and_what_met_looks_like() -> None:
    messages, _ = run(ActionTriageExplain(), tracker("what does this mean", "explain_question",
                                                     slots={"requested_slot": "triage_need_nutrition"},
                                                     active_loop="triage_form"))
    assert messages[0]["response"] == "utter_triage_explain"
    assert "food" in messages[0]["question"].lower() and "Mostly met" in messages[0]["options"]
    what_met = default_questions().get("needs.nutrition").what_met
    assert what_met and messages[0]["met"] == say("explain_met", text=what_met)


def test_asking_for_a_person_gives_the_area_advice_line() -> None:
    messages, _ = run(ActionHandoff(), tracker("can I talk to someone", "human_handoff", slots={"area": "wakefield"}))
    assert "0345 8 503 503" in text_of(messages) and "safeguarding lead" in text_of(messages)


# --- questions by topic (bot/topics.py) -------------------------------------------------

def test_the_topic_is_found_in_the_guidance_not_in_the_intent() -> None:
    messages, events = run(ActionAnswerQuestion(), tracker("wnb vs dna, whats the difference", "ask_question"))
    assert "Was not brought" in text_of(messages)
    assert {"event": "slot", "timestamp": None, "name": "last_item", "value": "was_not_brought"} in events


def test_a_question_beside_a_case_is_answered_then_the_triage_offered() -> None:
    text = "He comes in hungry and his coat is too small. Which type of neglect is that?"
    messages, _ = run(ActionAnswerQuestion(), tracker(text, "ask_question"))
    assert "The seven types of neglect" in text_of(messages)
    assert messages[-1].get("response") == "utter_offer_triage"
    plain, _ = run(ActionAnswerQuestion(), tracker("which type of neglect is no coat in winter", "ask_question"))
    assert "utter_offer_triage" not in [m.get("response") for m in plain]


def test_an_unsure_question_gets_at_most_three_topics_not_a_guess() -> None:
    messages, _ = run(ActionAnswerQuestion(), tracker("qwxz plorb", "ask_question"))
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert len(buttons) <= 3 and "safeguarding lead" in text_of(messages)


def test_an_unsure_question_naming_a_route_gets_the_contact() -> None:
    messages, _ = run(ActionAnswerQuestion(), tracker(
        "castleford social care referral", "ask_question",
        [*area_entity("castleford"), {"entity": "route", "value": "make a referral"}]))
    assert "0345 8 503 503" in text_of(messages)


def test_a_follow_up_is_about_the_last_answer() -> None:
    messages, _ = run(ActionAnswerQuestion(), tracker("do I need training to use it?", "ask_question",
                                                      slots={"last_item": "gcp2"}))
    assert "Graded Care Profile" in text_of(messages)


def test_an_unsure_contact_question_with_no_area_asks_which_area() -> None:
    messages, _ = run(ActionFallbackSearch(), tracker("how do I make a referral to childrens services", "nlu_fallback",
                                                      [{"entity": "route", "value": "make a referral"}]))
    assert text_of(messages).startswith("Which area is the child in?")
    assert all(b["payload"].startswith("/ask_contact") for m in messages for b in m.get("buttons") or [])


def test_whats_the_number_there_asks_again_for_the_last_route_and_area() -> None:
    route = [{"entity": "route", "value": "early help"}]
    messages, events = run(ActionAnswerContact(), tracker("early help in wakefield", "ask_contact",
                                                          area_entity("wakefield") + route))
    assert "Community clusters" in text_of(messages)
    assert {"event": "slot", "name": "last_route", "value": "early_help", "timestamp": None} in events
    slots = {"area": "coventry", "last_area": "wakefield", "last_route": "early_help"}
    messages, _ = run(ActionAnswerContact(), tracker("what's the number there?", "ask_contact", slots=slots))
    assert "Wakefield" in text_of(messages) and "Community clusters" in text_of(messages)
    messages, _ = run(ActionAnswerContact(), tracker("who do I call", "ask_contact", slots=slots))
    assert "Coventry" in text_of(messages)  # not a follow-up: the area held
