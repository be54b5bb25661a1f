"""The guard every channel puts between a practitioner and Rasa, and the guarded REST channel."""
from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import (
    BUILT_IN_SAFE_REPLY,
    CountingOutputChannel,
    MessageGuard,
    SafetyTexts,
    default_knowledge_dir,
    guard_from_credentials,
    is_button_payload,
    load_safety_texts,
)
from bot.channels.rest import SafeRestInput
from tests.fakes.standins import SECRET, Redaction, clean, redact
from tests.fakes.sanic_app import make_app, serving

KNOWLEDGE = default_knowledge_dir()
TEXTS = SafetyTexts(
    safe_reply="SAFE: if a child is in immediate danger, call 999.",
    empty_prompt="EMPTY: please type your question.",
    privacy_notice="PRIVACY: please do not type names.",
)
def broken_redact(text: str) -> Redaction:
    raise ValueError(f"cannot redact {text!r}")  # an error that quotes the text


@dataclass
class FakeRasa:
    """Stands in for Rasa's handler: records what it is given and replies (or not)."""

    replies: list[str] = field(default_factory=lambda: ["Rasa's answer"])
    delay: float = 0.0
    error: Exception | None = None
    received: list[UserMessage] = field(default_factory=list)
    channel_names: list[str] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        self.channel_names.append(message.output_channel.name())
        if self.delay:
            await asyncio.sleep(self.delay)
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, {"text": reply})
        if self.error is not None:
            raise self.error


# What the fake conversation's latest reply offered as buttons.
OFFERED = frozenset({'/choose{"area": "Tom"}', "/greet", "/choose@0.9", '/choose{"x": "y"}'})


async def offered(sender_id: str) -> frozenset:
    return OFFERED


def guard(deadline: float = 2.0, redact: Any = redact) -> MessageGuard:
    return MessageGuard(TEXTS, clean, redact, deadline_seconds=deadline, offers=offered)


def handle(
    text: str | None, rasa: FakeRasa, message_guard: MessageGuard | None = None, **kwargs: Any
) -> list[str]:
    """Runs one message through the guard; returns the texts the practitioner received."""
    out = CollectingOutputChannel()
    message = UserMessage(text, out, "sender-1", input_channel="test", **kwargs)
    asyncio.run((message_guard or guard()).handle(message, rasa))
    return [m["text"] for m in out.messages]


# -- what reaches Rasa --------------------------------------------------------


@pytest.mark.parametrize(
    "text, rasa_sees, metadata",
    [
        ("what is neglect?", "what is neglect?", {"redacted": [], "truncated": False}),
        ("my pupil Tom is hungry", "my pupil [name] is hungry", {"redacted": ["name"], "truncated": False}),
        ('/choose{"area": "Tom"}', '/choose{"area": "Tom"}', {"redacted": [], "truncated": False}),
        ("/greet", "/greet", {"redacted": [], "truncated": False}),
        ("/choose@0.9", "/choose@0.9", {"redacted": [], "truncated": False}),
        ('/choose{"area": Tom', "choose area [name]", {"redacted": ["name"], "truncated": False}),
        ("/hello Tom", "hello [name]", {"redacted": ["name"], "truncated": False}),
        ('/choose{"area": "Tom 07700"}', "choose area [name] 07700", {"redacted": ["name"], "truncated": False}),
        ('/choose{"area":"Tom"}', "choose area [name]", {"redacted": ["name"], "truncated": False}),
        ("x" * 60, "x" * 50, {"redacted": [], "truncated": True}),
    ],
    ids=["plain", "redacted", "offered-payload-untouched", "payload", "payload-confidence",
         "broken-payload-is-words", "not-a-payload-is-words", "unoffered-payload-is-redacted-words",
         "payload-typed-differently-is-words", "truncated"],
)
def test_rasa_receives_sanitised_redacted_text_and_only_the_kinds(
    text: str, rasa_sees: str, metadata: dict[str, Any]
) -> None:
    rasa = FakeRasa()
    handle(text, rasa, metadata={"client": "could carry a name: Tom"}, parse_data={"text": text})
    assert [m.text for m in rasa.received] == [rasa_sees]
    assert rasa.received[0].metadata == metadata
    assert rasa.received[0].parse_data is None
    assert rasa.received[0].sender_id == "sender-1"
    assert rasa.received[0].input_channel == "test"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/greet", True),
        ('/choose{"age_band": "5_11"}', True),
        ("/choose@1.0{\"a\": 1}", True),
        ("/choose{not json}", False),
        ('/choose["a list"]', False),
        ("/ choose", False),
        ("choose", False),
        ("/hello there", False),
        ("//", False),
    ],
)
def test_button_payloads(text: str, expected: bool) -> None:
    assert is_button_payload(text) is expected


# -- what the practitioner receives --------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None])
def test_empty_input_gets_the_prompt_without_calling_rasa(text: str | None) -> None:
    rasa = FakeRasa()
    assert handle(text, rasa) == [TEXTS.empty_prompt]
    assert rasa.received == []


def test_the_privacy_notice_follows_the_answer_when_something_was_redacted() -> None:
    # After the answer: nothing may come before a 999 reply.
    assert handle("my pupil Tom is hungry", FakeRasa()) == ["Rasa's answer", TEXTS.privacy_notice]
    assert handle("my pupil is hungry", FakeRasa()) == ["Rasa's answer"]


@pytest.mark.parametrize(
    "rasa, expected",
    [
        (FakeRasa(), ["Rasa's answer"]),
        (FakeRasa(replies=["one", "two"]), ["one", "two"]),
        (FakeRasa(replies=[]), [TEXTS.safe_reply]),
        (FakeRasa(replies=[], error=RuntimeError("action server down")), [TEXTS.safe_reply]),
        (FakeRasa(replies=["partial"], error=RuntimeError("late failure")), ["partial", TEXTS.safe_reply]),
        (FakeRasa(replies=[], error=asyncio.CancelledError()), [TEXTS.safe_reply]),
    ],
    ids=["answer", "two-answers", "no-reply", "raises", "raises-after-a-reply", "cancelled"],
)
def test_failures_get_the_safe_reply(rasa: FakeRasa, expected: list[str]) -> None:
    assert handle("what is neglect?", rasa) == expected


def test_a_slow_turn_gets_the_safe_reply_at_the_deadline_and_still_finishes() -> None:
    rasa = FakeRasa(replies=["late answer"], delay=0.6)
    out = CollectingOutputChannel()

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await guard(deadline=0.2).handle(UserMessage("hello", out, "s"), rasa)
        elapsed = loop.time() - started
        at_deadline = [m["text"] for m in out.messages]
        assert elapsed < 0.5, elapsed
        await asyncio.sleep(0.8)  # the turn is not cancelled: its reply still arrives
        return at_deadline

    assert asyncio.run(main()) == [TEXTS.safe_reply]
    assert [m["text"] for m in out.messages] == [TEXTS.safe_reply, "late answer"]


def test_a_redactor_failure_never_passes_text_on() -> None:
    rasa = FakeRasa()
    assert handle("my pupil Tom", rasa, guard(redact=broken_redact)) == [TEXTS.safe_reply]
    assert rasa.received == []


def test_a_broken_output_channel_does_not_raise() -> None:
    class Broken(CollectingOutputChannel):
        async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
            raise ConnectionError("gone")

    asyncio.run(guard().handle(UserMessage("", Broken(), "s"), FakeRasa()))


@pytest.mark.parametrize(
    "rasa, message_guard",
    [
        (FakeRasa(error=RuntimeError(f"failed on {SECRET}")), guard()),
        (FakeRasa(replies=[]), guard()),
        (FakeRasa(), guard(redact=broken_redact)),
        (FakeRasa(delay=0.3), guard(deadline=0.1)),
    ],
    ids=["raises", "no-reply", "redactor-fails", "deadline"],
)
def test_failures_are_logged_without_the_message_text(
    rasa: FakeRasa, message_guard: MessageGuard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        await message_guard.handle(UserMessage(f"my pupil {SECRET} is hungry", CollectingOutputChannel(), "s"), rasa)
        await asyncio.sleep(0.4)  # let a timed-out turn finish and be logged

    asyncio.run(main())
    assert caplog.records, "the failure must be logged"
    assert all(SECRET not in record.getMessage() and not record.exc_info for record in caplog.records)


def test_rasa_sees_the_real_channel_name_through_the_counting_proxy() -> None:
    rasa = FakeRasa()
    handle("hello", rasa)
    assert rasa.channel_names == ["collector"]


def test_the_counting_proxy_counts_every_kind_of_reply() -> None:
    inner = CollectingOutputChannel()
    proxy = CountingOutputChannel(inner)

    async def main() -> None:
        await proxy.send_response("s", {"text": "a"})
        await proxy.send_text_message("s", "b")
        await proxy.send_text_with_buttons("s", "c", [{"title": "t", "payload": "/p"}])
        await proxy.send_custom_json("s", {"x": 1})
        await proxy.send_image_url("s", "https://example.org/i.png")

    asyncio.run(main())
    assert proxy.count == 5
    assert len(inner.messages) == 5
    assert proxy.messages is inner.messages  # anything else is the real channel's


# -- the texts -----------------------------------------------------------------


def test_the_shipped_texts_give_the_emergency_route_and_the_privacy_notice() -> None:
    texts = load_safety_texts(KNOWLEDGE)
    assert "999" in texts.safe_reply
    assert "0808 800 5000" in texts.safe_reply
    assert "safeguarding lead" in texts.safe_reply
    assert texts.safe_reply != BUILT_IN_SAFE_REPLY
    assert texts.empty_prompt
    privacy = yaml.safe_load((KNOWLEDGE / "safety" / "privacy.yml").read_text(encoding="utf-8"))
    notice = privacy["notice"]
    assert texts.privacy_notice == (notice["text"] if isinstance(notice, dict) else notice).strip()


def _phone_digits(text: str) -> set:
    return {re.sub(r"\D", "", n) for n in re.findall(r"(?<![\w])\d[\d ]*\d(?![\w])", text)}


def test_the_numbers_in_the_safe_reply_are_the_national_ones() -> None:
    national_file = KNOWLEDGE / "national.yml"
    assert national_file.exists(), "knowledge/national.yml is missing"
    national = yaml.safe_load(national_file.read_text(encoding="utf-8"))
    routes = national if isinstance(national, list) else national.get("routes", [])
    national_phones = {re.sub(r"\D", "", str(r["phone"])) for r in routes if r.get("phone")}
    in_safe_reply = _phone_digits(load_safety_texts(KNOWLEDGE).safe_reply)
    assert in_safe_reply == {"999", "08088005000"}
    assert in_safe_reply <= national_phones


def _write(tmp_path: Path, fallback: str | None, privacy: str | None) -> Path:
    (tmp_path / "safety").mkdir()
    if fallback is not None:
        (tmp_path / "safety" / "fallback.yml").write_text(fallback, encoding="utf-8")
    if privacy is not None:
        (tmp_path / "safety" / "privacy.yml").write_text(privacy, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "fallback, privacy, safe_reply, notice",
    [
        (None, None, BUILT_IN_SAFE_REPLY, SafetyTexts.built_in().privacy_notice),
        ("safe_reply: [unclosed", "notice: {text: [", BUILT_IN_SAFE_REPLY, SafetyTexts.built_in().privacy_notice),
        ("- a list", "- a list", BUILT_IN_SAFE_REPLY, SafetyTexts.built_in().privacy_notice),
        (
            "safe_reply: {text: Sorry, talk to your lead., review_date: 2027-05-22}\n"
            "empty_prompt: {text: Type your question., review_date: 2027-05-22}",
            "notice: Do not share names.",
            BUILT_IN_SAFE_REPLY,
            SafetyTexts.built_in().privacy_notice,
        ),
        (
            "safe_reply: {text: Sorry. Call 999., review_date: 2027-05-22}\n"
            "empty_prompt: {text: Type your question., review_date: 2027-05-22}",
            None,
            "Sorry. Call 999.",
            SafetyTexts.built_in().privacy_notice,
        ),
    ],
    # A file that is not exactly its model (the build refuses it, naming the field) is not
    # read in part: the built-in text, which gives 999, is used instead.
    ids=["missing", "corrupt", "not-a-mapping", "no-999-and-a-partial-notice", "a-valid-safe-reply"],
)
def test_texts_fall_back_to_built_in_ones_that_still_say_999(
    tmp_path: Path, fallback: str | None, privacy: str | None, safe_reply: str, notice: str
) -> None:
    texts = load_safety_texts(_write(tmp_path, fallback, privacy))
    assert texts.safe_reply == safe_reply
    assert "999" in texts.safe_reply
    assert texts.privacy_notice == notice
    assert texts.empty_prompt


def test_a_guard_built_without_any_knowledge_still_answers_with_999(tmp_path: Path) -> None:
    built = guard_from_credentials({"knowledge_dir": str(tmp_path / "nothing-here")}, offers=offered)
    rasa = FakeRasa()
    assert handle("hello there", rasa, built) == [BUILT_IN_SAFE_REPLY]  # no redactor: nothing goes to Rasa
    assert rasa.received == []
    assert handle('/choose{"x": "y"}', rasa, built) == ["Rasa's answer"]  # offered payloads need no redaction
    assert handle('/choose{"x": "Tom"}', rasa, built) == [BUILT_IN_SAFE_REPLY]  # typed by hand: text


@pytest.mark.parametrize("credentials, deadline", [(None, 8.0), ({}, 8.0), ({"reply_deadline_seconds": 3}, 3.0)])
def test_the_deadline_is_configurable(credentials: dict[str, Any] | None, deadline: float) -> None:
    assert guard_from_credentials(credentials).deadline_seconds == deadline


def test_a_negative_deadline_is_refused() -> None:
    with pytest.raises(ValueError, match="reply_deadline_seconds"):
        guard_from_credentials({"reply_deadline_seconds": -1})


def test_the_real_redactor_removes_identifying_details_before_rasa() -> None:
    rasa = FakeRasa()
    said = handle("my pupil Tom Baker, DOB 12/05/2014, is always hungry", rasa, guard_from_credentials(None))
    seen = rasa.received[0].text
    for detail in ("Tom", "Baker", "12/05/2014"):
        assert detail not in seen
    assert {"date", "name"} <= set(rasa.received[0].metadata["redacted"])
    assert said[-1] == load_safety_texts(KNOWLEDGE).privacy_notice


# -- the REST channel ---------------------------------------------------------


def rest_exchange(rasa: FakeRasa, body: Any, query: str = "") -> Any:
    async def main() -> Any:
        channel = SafeRestInput(guard())
        async with serving(make_app(channel, rasa)) as base_url:
            async with aiohttp.ClientSession() as session:
                url = f"{base_url}/webhooks/rest/webhook{query}"
                headers = {"Content-Type": "application/json"}
                async with session.post(url, data=json.dumps(body), headers=headers) as reply:
                    assert reply.status == 200
                    return await reply.text()

    return asyncio.run(main())


def test_rest_keeps_its_name_and_url() -> None:
    assert SafeRestInput.name() == "rest"
    assert SafeRestInput(guard()).url_prefix() == "rest"


@pytest.mark.parametrize(
    "rasa, body, expected",
    [
        (FakeRasa(), {"sender": "a", "message": "hello"}, ["Rasa's answer"]),
        (FakeRasa(), {"sender": "a", "message": "my pupil Tom"}, ["Rasa's answer", TEXTS.privacy_notice]),
        (FakeRasa(), {"sender": "a", "message": "  "}, [TEXTS.empty_prompt]),
        (FakeRasa(), {"sender": "a"}, [TEXTS.empty_prompt]),
        (FakeRasa(), {"sender": "a", "message": {"not": "text"}}, [TEXTS.empty_prompt]),
        (FakeRasa(), {"sender": "a"}, [TEXTS.empty_prompt]),
        (FakeRasa(replies=[], error=RuntimeError("boom")), {"sender": "a", "message": "hello"}, [TEXTS.safe_reply]),
        (FakeRasa(replies=[]), {"sender": "a", "message": "hello"}, [TEXTS.safe_reply]),
    ],
    ids=["answer", "redacted", "blank", "no-message", "message-not-text", "no-message-key", "raises", "no-reply"],
)
def test_rest_replies(rasa: FakeRasa, body: Any, expected: list[str]) -> None:
    replies = json.loads(rest_exchange(rasa, body))
    assert [r["text"] for r in replies] == expected


def test_rest_ignores_client_metadata_and_input_channel() -> None:
    rasa = FakeRasa()
    rest_exchange(rasa, {"sender": "a", "message": "hi", "metadata": {"name": "Tom"}, "input_channel": "x"})
    assert rasa.received[0].metadata == {"redacted": [], "truncated": False}
    assert rasa.received[0].input_channel == "rest"
    assert rasa.received[0].sender_id == "a"


def test_rest_streaming_as_used_by_the_rasa_console_is_guarded() -> None:
    rasa = FakeRasa(replies=[], error=RuntimeError("boom"))
    lines = rest_exchange(rasa, {"sender": "a", "message": "hello"}, "?stream=true").splitlines()
    assert [json.loads(line)["text"] for line in lines if line.strip()] == [TEXTS.safe_reply]


# -- hand-typed payloads ------------------------------------------------------


def test_a_payload_the_channel_made_passes_even_if_not_offered() -> None:
    rasa = FakeRasa()
    handle('/choose{"area": "wakefield"}', rasa, metadata={"channel_payload": True})
    assert [m.text for m in rasa.received] == ['/choose{"area": "wakefield"}']


def test_the_tracker_store_is_asked_only_for_messages_that_look_like_payloads() -> None:
    asked: list[str] = []

    async def spy(sender_id: str) -> frozenset:
        asked.append(sender_id)
        return frozenset()

    rasa = FakeRasa()
    guarded = MessageGuard(TEXTS, clean, redact, offers=spy)
    handle("what is neglect?", rasa, guarded)
    handle("/start_triage", rasa, guarded)
    assert asked == ["sender-1"]
    assert [m.text for m in rasa.received] == ["what is neglect?", "start_triage"]


def test_offered_payloads_are_the_buttons_since_the_last_user_message() -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    from bot.channels.guard import offered_payloads

    events = [
        BotUttered("old", {"buttons": [{"title": "Old", "payload": "/old"}]}),
        UserUttered("hi"),
        ActionExecuted("utter_greet"),
        BotUttered("a", {"buttons": [{"title": "A", "payload": "/a"}]}),
        BotUttered("b", {"buttons": [{"title": "B", "payload": '/b{"x": 1}'}, {"title": "no payload"}]}),
    ]
    assert offered_payloads(events) == frozenset({"/a", '/b{"x": 1}'})
