"""Privacy, bad input and faults against the running assistant."""
from __future__ import annotations

import json
import sqlite3
import string

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.chat import Conversation

IDENTIFIERS = {
    "Tom": "my pupil Tom Baker, DOB 12/05/2014, is always hungry",
    "Baker": None,
    "12/05/2014": None,
    "SW18 2PU": "the family live at 14 Acacia Avenue, SW18 2PU",
    "Acacia": None,
    "943 476 5919": "her NHS number is 943 476 5919",
    "07700 900123": "mum's mobile is 07700 900123",
    "jo.bloggs@example.com": "you can email dad on jo.bloggs@example.com",
    "Mrs Hargreaves": "Mrs Hargreaves says the baby is never changed",
}

BAD_INPUTS = [
    "", "   ", "\n\t", "x" * 10_000, "😀😀😀 🚸", "مرحبا، أنا قلق بشأن طفل", "<script>alert(1)</script>",
    "**bold** _it_ [link](javascript:alert(1))", '{"sender": "x", "message": 1}', 'neglect AND "was not" OR (baby* NEAR/2 hungry)',
    "\x00\x01\x02 control \x1b[31m", "/choose{\"triage_answer\": \"unmet\"}", "/unknown_intent{\"x\": 1}",
    "/choose{not json", "'; DROP TABLE events; --", "Ｗａｋｅｆｉｅｌｄ", "\u202eevil", "?" * 500,
]


def polite(replies: list) -> bool:
    text = " ".join((r.get("text") or "") for r in replies)
    return bool(text.strip()) and "Traceback" not in text and "Exception" not in text


def test_identifying_details_never_reach_the_tracker_store(assistant):
    chat = Conversation(assistant)
    for text in filter(None, IDENTIFIERS.values()):
        chat.say(text)
        assert "identif" in chat.text.lower() or "personal" in chat.text.lower(), chat.transcript
    chat.say("what is neglect?")
    assert "persistent failure" in chat.text.lower(), "understanding must survive redaction"
    stored = sqlite3.connect(assistant.tracker_db).execute(
        "select group_concat(data, ' ') from events where sender_id = ?", (chat.sender,)
    ).fetchone()[0]
    assert stored and "[name]" in stored
    for secret in IDENTIFIERS:
        assert secret not in stored, f"{secret!r} was stored"
    for log in assistant.log_dir.glob("*.log"):
        content = log.read_text(errors="replace")
        for secret in IDENTIFIERS:
            assert secret not in content, f"{secret!r} was logged in {log.name}"


def test_bad_input_gets_a_clear_polite_reply(assistant):
    sender = "bad-input"
    for text in BAD_INPUTS:
        response = requests.post(assistant.rest_url, json={"sender": sender, "message": text}, timeout=60)
        assert response.status_code == 200, (text[:40], response.status_code)
        assert polite(response.json()), (text[:40], response.json())
    # nothing lost: the conversation is still there and still works
    chat = Conversation(assistant, sender=sender)
    chat.say("Kingston SPA phone number")
    assert "020 8547 5008" in chat.text


def test_malformed_requests_are_refused_cleanly(assistant):
    for body in [b"not json", b"{}", json.dumps({"message": "hi"}).encode(), b'{"sender": 1}']:
        response = requests.post(assistant.rest_url, data=body, timeout=30,
                                 headers={"Content-Type": "application/json"})
        assert response.status_code < 500, (body, response.status_code, response.text[:200])
        assert "Traceback" not in response.text


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_gets_a_polite_reply(assistant, text):
    response = requests.post(assistant.rest_url, json={"sender": "hypothesis", "message": text}, timeout=60)
    assert response.status_code == 200
    assert polite(response.json()), (text, response.json())


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=string.printable, min_size=1, max_size=40))
def test_any_payload_gets_a_polite_reply(assistant, junk):
    response = requests.post(assistant.rest_url, json={"sender": "payloads", "message": "/" + junk}, timeout=60)
    assert response.status_code == 200
    assert polite(response.json()), (junk, response.json())
