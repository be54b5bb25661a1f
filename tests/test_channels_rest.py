"""The guarded REST channel refuses requests that cannot name a conversation safely.

Each request runs on a real Sanic app (the blueprint as Rasa mounts it); the
stand-in for Rasa records every message it is given, so "nothing reached
Rasa" means nothing reached the tracker store either.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.guard import MessageGuard, SafetyTexts
from bot.channels.rest import MAX_SENDER_LENGTH, SafeRestInput, sender_problem
from tests.fakes.sanic_app import make_app, serving
from tests.fakes.standins import clean, redact

TEXTS = SafetyTexts(
    safe_reply="SAFE: if a child is in immediate danger, call 999.",
    empty_prompt="EMPTY: please type your question.",
    privacy_notice="PRIVACY: please do not type names.",
)
NO_BODY = object()


@dataclass
class FakeRasa:
    received: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "Rasa's answer"})


def post(body: Any, query: str = "", raw: bytes | None = None) -> tuple[int, Any, FakeRasa]:
    """POSTs to /webhooks/rest/webhook; returns status, the decoded JSON reply and what Rasa saw."""
    rasa = FakeRasa()

    async def main() -> tuple[int, Any]:
        channel = SafeRestInput(MessageGuard(TEXTS, clean, redact, deadline_seconds=2))
        async with serving(make_app(channel, rasa)) as base_url:
            async with aiohttp.ClientSession() as session:
                data = raw if raw is not None else json.dumps(body).encode()
                async with session.post(
                    f"{base_url}/webhooks/rest/webhook{query}",
                    data=data,
                    headers={"Content-Type": "application/json"},
                ) as reply:
                    text = await reply.text()
                    if reply.status != 200 or not query:
                        assert reply.content_type == "application/json", text
                        return reply.status, json.loads(text)
                    return reply.status, [json.loads(line) for line in text.splitlines() if line.strip()]

    status, reply = asyncio.run(main())
    return status, reply, rasa


def assert_refused(status: int, reply: Any, rasa: FakeRasa, error: str, says: str) -> None:
    assert status == 400
    assert reply["error"] == error
    assert says in reply["message"]
    assert rasa.received == [], "a refused request reached Rasa"


@pytest.mark.parametrize(
    "body, says",
    [
        ({"message": "hello"}, "'sender' is required"),
        ({"sender": None, "message": "hello"}, "'sender' is required"),
        ({"sender": "", "message": "hello"}, "must not be empty"),
        ({"sender": "   ", "message": "hello"}, "must not be empty"),
        ({"sender": "x" * 10_000, "message": "hello"}, f"at most {MAX_SENDER_LENGTH} characters"),
        ({"sender": "x" * (MAX_SENDER_LENGTH + 1), "message": "hello"}, f"at most {MAX_SENDER_LENGTH} characters"),
        ({"sender": 1, "message": "hello"}, "must be a string, not int"),
        ({"sender": 1.5, "message": "hello"}, "must be a string, not float"),
        ({"sender": True, "message": "hello"}, "must be a string, not bool"),
        ({"sender": ["a"], "message": "hello"}, "must be a string, not list"),
        ({"sender": {"id": "a"}, "message": "hello"}, "must be a string, not dict"),
        ({"sender": "a\nb", "message": "hello"}, "control"),
        ({"sender": "a\x00b", "message": "hello"}, "control"),
        ({"sender": "a\x1b[31mb", "message": "hello"}, "control"),
        ({"sender": "a\u202eb", "message": "hello"}, "control"),  # right-to-left override
    ],
    ids=[
        "missing", "null", "empty", "blank", "10000-chars", "129-chars", "int", "float", "bool", "list", "object",
        "newline", "nul", "escape", "bidi-override",
    ],
)
def test_a_request_without_a_usable_sender_is_refused(body: dict[str, Any], says: str) -> None:
    assert_refused(*post(body), error="invalid_sender", says=says)


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b'["not", "an", "object"]', b'"text"', b"null", b"42"],
    ids=["empty", "not-json", "list", "string", "null", "number"],
)
def test_a_body_that_is_not_a_json_object_is_refused(raw: bytes) -> None:
    assert_refused(*post(None, raw=raw), error="invalid_body", says="JSON object")


def test_streaming_requests_are_refused_the_same_way() -> None:
    assert_refused(*post({"message": "hello"}, "?stream=true"), error="invalid_sender", says="'sender' is required")
    assert_refused(*post({"sender": "x" * 10_000, "message": "hi"}, "?stream=true"), "invalid_sender", "at most")


def test_the_refusal_does_not_echo_the_sender() -> None:
    status, reply, _ = post({"sender": "Tom Baker\n" + "x" * 200, "message": "hello"})
    assert status == 400 and "Tom" not in json.dumps(reply)


@pytest.mark.parametrize(
    "sender",
    [str(uuid.uuid4()), uuid.uuid4().hex, "x" * MAX_SENDER_LENGTH, "a", "conversation 42 / café"],
    ids=["uuid", "hex", "128-chars", "one-char", "printable-unicode"],
)
def test_a_usable_sender_reaches_rasa(sender: str) -> None:
    status, reply, rasa = post({"sender": sender, "message": "hello"})
    assert status == 200
    assert [r["text"] for r in reply] == ["Rasa's answer"]
    assert [(m.sender_id, m.text) for m in rasa.received] == [(sender, "hello")]


def test_streaming_with_a_usable_sender_still_works() -> None:
    sender = str(uuid.uuid4())
    status, lines, rasa = post({"sender": sender, "message": "hello"}, "?stream=true")
    assert status == 200
    assert [line["text"] for line in lines] == ["Rasa's answer"]
    assert [m.sender_id for m in rasa.received] == [sender]


def test_two_clients_without_a_sender_no_longer_share_the_default_conversation() -> None:
    for _ in range(2):
        status, _, rasa = post({"message": "what did I say before?"})
        assert status == 400 and rasa.received == []


def test_sender_problem() -> None:
    assert sender_problem("0f8c2a9e-6a8d-4c5e-9a53-1f1d2b9c3e7a") is None
    assert sender_problem(None) and sender_problem("") and sender_problem(7) and sender_problem("a\tb")
