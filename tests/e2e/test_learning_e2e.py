"""Learning and guidance end to end: a whole quiz round, the escalation
navigator in two areas, and one-minute guides."""
from __future__ import annotations

import re

import pytest

from tests.e2e.chat import Conversation, payload_value


def test_a_whole_quiz_round(assistant):
    chat = Conversation(assistant)
    chat.say("quiz me on thresholds")
    rounds = 0
    while "You got" not in chat.text:
        assert re.search(r"Scenario \d+ of \d+", chat.text), chat.transcript
        chat.press(lambda b: payload_value(b) == "2")  # always answer level 2
        assert "rubric" in chat.text.lower() and "Teaching point" in chat.text, chat.transcript
        rounds += 1
        assert rounds <= 10
    score = re.search(r"You got (\d+) out of (\d+)", chat.text)
    assert score and int(score.group(2)) == rounds
    if int(score.group(1)) < rounds:
        assert "Worth revisiting" in chat.text


@pytest.mark.parametrize("area, policy", [
    ("Coventry", "West Midlands"),
    ("Oxfordshire", "Resolving professional concerns and escalation"),
])
def test_the_escalation_navigator_in_two_areas(assistant, area, policy):
    chat = Conversation(assistant)
    chat.say("my referral was not accepted and I disagree with the decision")
    if "Which area" in chat.text:
        chat.press_title(area)
    assert "Step 1" in chat.text and "999" in chat.text, chat.transcript
    while "what next" in chat.text.lower():
        chat.press_title("what next")
    assert f"In {area}" in chat.text and policy.lower() in chat.text.lower(), chat.transcript


@pytest.mark.parametrize("asked, title", [
    ("show me the one-minute guide on was not brought", "was not brought"),
    ("one minute guide on graded care profile 2", "graded care profile"),
    ("one-minute guide on information sharing", "information sharing"),
])
def test_one_minute_guides(assistant, asked, title):
    chat = Conversation(assistant)
    chat.say(asked)
    text = chat.text.lower()
    assert re.search(r"one[- ]minute guide", text) and title in text, chat.transcript
    assert "what it is" in text and "what to do" in text and "source" in text


def test_the_list_of_guides(assistant):
    chat = Conversation(assistant)
    chat.say("what one-minute guides are there?")
    assert len(chat.buttons) >= 10
    chat.press(lambda b: "was not brought" in b["title"].lower())
    assert "What it is" in chat.text
