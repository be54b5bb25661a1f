"""A whole triage over REST against the running assistant, pressing the
buttons the bot offers (chosen by reading their payloads)."""
from __future__ import annotations


import pytest

from tests.e2e.chat import LEVEL, Conversation, next_payload, payload_value

AREA_FRONT_DOOR = {
    "kingston_richmond": "020 8547 5008",
    "wakefield": "0345 8 503 503",
    "oxfordshire": "0345 050 7666",
    "coventry": "024 7678 8555",
}


def run_triage(chat: Conversation, preferences: list[str], max_turns: int = 40) -> str:
    """Answer every question with the first preferred value on offer."""
    chat.say("I'm worried about a child I work with")
    for _ in range(max_turns):
        if LEVEL.search(chat.text):
            return chat.text
        choice = next_payload(chat.replies, preferences)
        assert choice is not None, "no preferred answer offered\n" + "\n".join(chat.transcript)
        chat.say(choice)
    raise AssertionError(f"no level after {max_turns} turns\n" + "\n".join(chat.transcript))


BASE = ["no", "not_given", "5_11"]


@pytest.mark.parametrize(
    "area, needs, level",
    [
        ("wakefield", "met", 1),
        ("coventry", "mostly_met", 2),
        ("oxfordshire", "mostly_unmet", 3),
        ("kingston_richmond", "unmet", 4),
    ],
)
def test_triage_by_buttons_gives_the_level_and_the_area_contact(assistant, area, needs, level):
    chat = Conversation(assistant)
    result = run_triage(chat, [area] + BASE + [needs, "none", "recent", "no_support_yet"])
    assert f"Level {level}" in result
    assert AREA_FRONT_DOOR[area] in result, result
    assert "professional judgement" in result
    assert "Source" in result
    summary = chat.say("/request_summary")
    assert f"Level {level}" in chat.text
    assert summary


def test_a_practitioner_in_a_place_not_covered_gets_the_level_and_the_national_routes(assistant):
    """Typed at the area question, a town the assistant holds no contacts for lets the
    triage go on; the result gives the national routes, never a covered area's number."""
    chat = Conversation(assistant)
    chat.say("I'm worried about a child I work with")
    chat.say("we're based in Stockport")
    assert "don't hold local contacts" in chat.text and "danger" in chat.text.lower(), "\n".join(chat.transcript)
    for _ in range(30):
        if LEVEL.search(chat.text):
            break
        choice = next_payload(chat.replies, BASE + ["mostly_unmet", "none", "recent", "no_support_yet"])
        assert choice is not None, "\n".join(chat.transcript)
        chat.say(choice)
    assert "Level 3" in chat.text, "\n".join(chat.transcript)
    assert "0808 800 5000" in chat.text and "999" in chat.text
    assert not any(number in chat.text for number in AREA_FRONT_DOOR.values()), chat.text


def test_yes_to_immediate_danger_ends_with_999_and_the_local_route(assistant):
    chat = Conversation(assistant)
    result = run_triage(chat, ["coventry", "yes"])
    assert "999" in result
    assert AREA_FRONT_DOOR["coventry"] in result


def test_typed_answers_are_understood(assistant):
    chat = Conversation(assistant)
    chat.say("I'm worried about a child in Wakefield")
    assert "danger" in chat.text.lower()
    chat.say("no")
    chat.say("skip")
    chat.say("yes she's 15")
    assert "disab" in chat.text.lower(), "\n".join(chat.transcript)


def test_back_and_stop(assistant):
    chat = Conversation(assistant)
    chat.say("I have a concern about a child in my class")
    chat.press(lambda b: payload_value(b) == "wandsworth")
    chat.press(lambda b: payload_value(b) == "no")
    asked_after_danger = chat.text
    chat.say("go back")
    assert "danger" in chat.text.lower(), "\n".join(chat.transcript)
    chat.say("stop")
    assert "do you want to stop" in chat.text.lower(), "stop asks first"
    chat.say("no, carry on")
    assert "danger" in chat.text.lower(), "carrying on asks the same question again"
    chat.say("stop")
    chat.say("yes")
    assert "stopped" in chat.text.lower()
    assert asked_after_danger


def test_a_description_is_shown_back_then_only_what_is_missing_is_asked(assistant):
    """The README's second transcript, typed turn by turn: keep it true."""
    chat = Conversation(assistant)
    chat.say("health visitor in Coventry, worried about a baby: 8 months, often hungry, "
             "mum low and drinking, early help didn't stick")
    shown = chat.text
    for reading in ("From what you wrote", "Age: Under 1", "Food and nutrition: Mostly not met",
                    "Alcohol or drug misuse", "Parent's mental health", "Improved, then slipped back"):
        assert reading in shown, chat.transcript
    assert "immediate danger" in shown, "the first question still missing is asked"
    chat.say("no")
    assert "disabled" in chat.text.lower(), "the age and the role were read, so they are not asked"
    chat.say("sorry, actually she's 14 months")
    assert "Changed: Age: 1-4 years" in chat.text, chat.transcript


def test_a_side_question_mid_flow_is_answered_and_the_flow_resumes(assistant):
    chat = Conversation(assistant)
    chat.say("I'm worried about a family")
    chat.press(lambda b: payload_value(b) == "oxfordshire")
    chat.say("what does was not brought mean?")
    assert "was not brought" in chat.text.lower()
    assert "danger" in chat.text.lower(), "the flow should ask its question again"


def test_emergency_interrupts_mid_flow(assistant):
    chat = Conversation(assistant)
    chat.say("I'm worried about a child")
    chat.press(lambda b: payload_value(b) == "kingston_richmond")
    chat.press(lambda b: payload_value(b) == "no")
    chat.say("he's been left alone and he's 2, nobody is home")
    assert "999" in chat.text
    assert AREA_FRONT_DOOR["kingston_richmond"] in chat.text


README_TRANSCRIPT = [
    "I'm a health visitor in Coventry, worried about a baby I visit", "no she isn't in danger",
    "she's 8 months", "what does was not brought mean?", "no", "mostly met", "skip",
    "not really, missed her last two checks", "fine", "ok", "met", "mum drinks", "that's all",
    "for months now", "early help didn't stick", "some",
]


def test_the_readme_typed_transcript_stays_true(assistant):
    """The README opens with this conversation, typed turn by turn: keep it true."""
    chat = Conversation(assistant)
    for text in README_TRANSCRIPT[:-1]:
        chat.say(text)
        assert "didn't understand" not in chat.text, chat.transcript
    chat.say(README_TRANSCRIPT[-1])
    assert "Level 3" in chat.text and "024 7678 8555" in chat.text and "judgement" in chat.text, chat.transcript


def test_a_long_conversation_keeps_its_state_across_carried_over_sessions(assistant):
    """Past about a dozen questions the store carries the session over into a new one
    (bot/stores.py): the area and the follow-ups still work, a typed triage still reaches
    its level, and every turn is still stored."""
    import sqlite3

    chat = Conversation(assistant)
    chat.say("whats the number for the mash in oxfordshire")
    questions = ["what is neglect?", "what does was not brought mean?", "tips for a home visit",
                 "what is GCP2", "what does a level 3 mean?"]
    for number in range(15):
        chat.say(questions[number % len(questions)])
    chat.say("who do I call out of hours?")
    assert "0800 833 408" in chat.text, chat.transcript  # Oxfordshire's, said 16 turns and a checkpoint ago
    for text in README_TRANSCRIPT:
        chat.say(text.replace(" in Coventry", ""))
    assert "Level 3" in chat.text and "judgement" in chat.text, chat.transcript
    with sqlite3.connect(assistant.tracker_db) as db:
        starts, said = db.execute(
            "select sum(type_name = 'session_started'), sum(type_name = 'user') from events where sender_id = ?",
            (chat.sender,)).fetchone()
    assert starts >= 2, "no session was carried over"
    assert said == 1 + 15 + 1 + len(README_TRANSCRIPT)
