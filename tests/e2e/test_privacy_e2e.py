"""No identifying detail at rest, whatever the practitioner types: against the running servers.

Every message of the privacy corpus (tests/safety/privacy_corpus.yml) and every
hand-typed payload is sent to the running assistant; then the tracker store,
the build folder and the logs of both servers are searched for each identifier.
"""
from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterable

import pytest

from tests.e2e.chat import Conversation
from bot.paths import ROOT


# Button-style payloads typed by hand: never offered, so they are words to redact.
TYPED_PAYLOADS = {
    '/choose{"area":"Lexi Quillfeather 07700 900318"}': ["Quillfeather", "07700 900318"],
    '/inform{"triage_age_band": "Zephan Quillfeather is 2"}': ["Quillfeather"],
    '/choose{"triage_answer": "dob 12/05/2014"}': ["12/05/2014"],
    '/ask_guide{"item": "jo.quill@example.com"}': ["jo.quill@example.com"],
}


def stored(assistant, sender: str) -> str:
    """Everything stored of the practitioner's side of a conversation: their messages
    (text, entities, intent) and every slot value. The bot's own replies quote the
    guidance, so they are left out (a year such as "2019" is in the guidance too)."""
    with sqlite3.connect(assistant.tracker_db) as db:
        rows = db.execute("select data from events where sender_id = ? and type_name != 'bot'",
                          (sender,)).fetchall()
    return " ".join(row[0] for row in rows)


def survivors(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    joined = "\n".join(texts)
    return [s for s in secrets if s in joined]


def logs(assistant) -> list[str]:
    return [log.read_text(errors="replace") for log in assistant.log_dir.glob("*.log")]


def build_files(since: float) -> list[str]:
    """The build folder's files written since `since`, as text (databases byte for byte).

    What was there before the practitioner typed (the knowledge database and the spaCy
    pipeline, built from knowledge/ only) cannot hold what they typed."""
    return [p.read_bytes().decode("utf-8", errors="replace")
            for p in (ROOT / "build").rglob("*")
            if p.is_file() and p.stat().st_mtime >= since and p.stat().st_size < 50_000_000]


def test_hand_typed_payloads_are_redacted_like_text(assistant):
    chat = Conversation(assistant)
    chat.say("hello")
    for text, secrets in TYPED_PAYLOADS.items():
        chat.say(text)
        assert chat.replies, chat.transcript
        found = survivors([stored(assistant, chat.sender)], secrets)
        assert not found, f"{found} stored from {text!r}"


def test_offered_payloads_still_work(assistant):
    chat = Conversation(assistant)
    chat.say("I'm worried about a child")
    chat.press(lambda b: '"coventry"' in b["payload"])
    assert "immediate danger" in chat.text.lower(), chat.transcript


@pytest.mark.parametrize("payload", ['/quiz_answer{"quiz_level":"99"}', '/ask_escalation{"step":"abc"}'])
def test_bad_payload_values_get_a_clear_reply_and_no_traceback(assistant, payload):
    chat = Conversation(assistant)
    chat.say("quiz me on thresholds" if "quiz" in payload else "how do I escalate in coventry")
    offered = next(b["payload"] for b in chat.buttons)
    bad = offered.split("{")[0] + payload[payload.index("{"):]
    chat.say(bad)
    assert chat.replies and "Traceback" not in chat.text, chat.transcript
    assert not any("Traceback" in log for log in logs(assistant))


@pytest.mark.parametrize("words", [["forget this conversation"], ["stop", "yes"]], ids=["forget", "stop"])
def test_forget_and_stop_really_delete_the_conversation(assistant, words):
    chat = Conversation(assistant)
    chat.say("I'm worried about a pupil who is always hungry")
    chat.press(lambda b: '"oxfordshire"' in b["payload"])
    assert stored(assistant, chat.sender)
    for said in words[:-1]:  # "stop" during the questions asks first, and deletes nothing yet
        chat.say(said)
        assert stored(assistant, chat.sender), "asking to stop must not delete before the answer"
    chat.say(words[-1])
    assert "deleted" in chat.text.lower(), chat.transcript
    assert stored(assistant, chat.sender) == "", "the conversation is still in the tracker store"
    chat.say("what is neglect?")  # and the assistant carries on, afresh
    assert "persistent failure" in chat.text.lower()


def test_the_privacy_corpus_leaves_nothing_at_rest(assistant):
    from tests.safety.privacy_corpus import load_privacy_corpus

    corpus = load_privacy_corpus()
    started = time.time()
    chat = Conversation(assistant)
    for case in corpus:
        chat.say(case.text)
    places = {"tracker store": [stored(assistant, chat.sender)], "logs": logs(assistant), "build folder": build_files(started)}
    found = {
        where: sorted({s for case in corpus for s in case.identifiers if _present(s, texts)})
        for where, texts in places.items()
    }
    identifiers = sum(len(case.identifiers) for case in corpus)
    print(f"\nprivacy corpus end to end: {len(corpus)} messages, {identifiers} identifiers, "
          f"survivors: {sum(len(v) for v in found.values())}")
    assert not any(found.values()), found


def _present(identifier: str, texts: list[str]) -> bool:
    """The identifier, as typed or without its invisible characters, as a whole word (any case)."""
    from bot.sanitise import strip_invisible

    forms = {identifier, unicodedata.normalize("NFKC", strip_invisible(identifier))}
    patterns = [re.compile(r"(?<![\w])" + re.escape(f) + r"(?![\w])", re.IGNORECASE) for f in forms if f.strip()]
    return any(p.search(text) for p in patterns for text in texts)
