"""The web chat channel: the page it serves and its socket.io conversation, on a real Sanic app."""
from __future__ import annotations

import asyncio
import json
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
import socketio
from rasa.core.channels.channel import UserMessage

from bot.channels.guard import MessageGuard, SafetyTexts
from bot.channels.webchat import SessionTokens, WebChatInput
from bot.paths import ROOT
from tests.fakes.standins import clean, redact
from tests.fakes.sanic_app import make_app, serving

PRIVACY_LINE = "Do not type names, dates of birth, addresses or other details that could identify a child or family."
SESSION_SECRET = "test-only-webchat-session-secret-0123456789"
TOKEN = re.compile(r"(?P<id>[0-9a-f]{32})\.[A-Za-z0-9_-]{43}")
TEXTS = SafetyTexts(
    safe_reply="SAFE: if a child is in immediate danger, call 999.",
    empty_prompt="EMPTY: please type your question.",
    privacy_notice="PRIVACY: please do not type names.",
)


@dataclass
class FakeRasa:
    replies: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"text": "Is the child in immediate danger?", "buttons": [{"title": "No", "payload": "/no"}]}
        ]
    )
    fail: bool = False
    received: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("action server down")
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))


async def offered(sender_id: str) -> frozenset:
    """The fake assistant's latest reply offered a "No" button."""
    return frozenset({"/no"})


def channel(**kwargs: Any) -> WebChatInput:
    kwargs.setdefault("session_secret", SESSION_SECRET)
    # Most tests here are about one message and its replies: no greeting unless a test asks
    # for it (the greeting tests below use the default, "/greet").
    kwargs.setdefault("greeting", None)
    return WebChatInput(MessageGuard(TEXTS, clean, redact, deadline_seconds=2, offers=offered), **kwargs)


def id_of(token: str) -> str:
    """The sender id (and socket.io room) a session token stands for."""
    match = TOKEN.fullmatch(token)
    assert match, f"not a server-issued token: {token!r}"
    return match.group("id")


# -- the page -----------------------------------------------------------------


async def fetch(base_url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.get(base_url + path, allow_redirects=False) as reply:
            return reply.status, dict(reply.headers), await reply.read()


async def raw_get(base_url: str, path: str) -> int:
    """Sends the path exactly as written (HTTP clients would normalise '..')."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


def serve_and(check: Callable[[str], Awaitable[Any]], webchat: WebChatInput | None = None) -> Any:
    async def main() -> Any:
        async with serving(make_app(webchat or channel(), FakeRasa())) as base_url:
            return await check(base_url)

    return asyncio.run(main())


def test_the_page_is_served_with_its_settings_and_a_strict_policy() -> None:
    status, headers, body = serve_and(lambda base: fetch(base, "/webhooks/webchat/"))
    page = body.decode()
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert 'data-socketio-path="/socket.io"' in page
    assert 'data-user-event="user_uttered"' in page and 'data-bot-event="bot_uttered"' in page
    assert "__" not in re.sub(r"<script.*?</script>", "", page)
    assert PRIVACY_LINE in page
    assert "If a child is in immediate danger, call 999." in page
    assert 'role="log"' in page and 'aria-live="polite"' in page
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_address_without_a_slash_redirects_so_relative_links_work() -> None:
    status, headers, _ = serve_and(lambda base: fetch(base, "/webhooks/webchat"))
    assert status in (301, 302, 307, 308)
    assert headers["Location"].endswith("/webhooks/webchat/")


@pytest.mark.parametrize(
    "path, content_type, source",
    [
        ("/webhooks/webchat/chat.js", "text/javascript", ROOT / "webchat" / "chat.js"),
        ("/webhooks/webchat/chat.css", "text/css", ROOT / "webchat" / "chat.css"),
        (
            "/webhooks/webchat/socket.io.min.js",
            "text/javascript",
            ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
        ),
    ],
)
def test_the_script_style_and_socket_io_client_are_served(path: str, content_type: str, source: Path) -> None:
    assert source.exists(), f"{source} is missing (run npm ci for the socket.io client)"
    status, headers, body = serve_and(lambda base: fetch(base, path))
    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert body == source.read_bytes()


def test_the_socket_io_client_is_the_pinned_4x_version() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    version = package["dependencies"]["socket.io-client"]
    assert re.fullmatch(r"4\.\d+\.\d+", version), "pin an exact socket.io-client 4.x (Engine.IO v4)"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/socket.io-client"]["version"] == version


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/webchat/../../credentials.yml",
        "/webhooks/webchat/..%2f..%2fcredentials.yml",
        "/webhooks/webchat/%2e%2e/%2e%2e/credentials.yml",
        "/webhooks/webchat/../../../etc/passwd",
        "/webhooks/webchat/index.html/../../../credentials.yml",
        "/webhooks/webchat/chat.js%00.yml",
        "/webhooks/webchat/.env",
        "/webhooks/webchat/package.json",
        "/webhooks/webchat/webchat/chat.js",
    ],
)
def test_nothing_else_can_be_fetched(path: str) -> None:
    assert serve_and(lambda base: raw_get(base, path)) == 404


def test_a_missing_socket_io_client_is_a_404_and_the_page_still_loads(tmp_path: Path) -> None:
    webchat = channel(client_script=tmp_path / "missing.js")

    async def check(base: str) -> tuple[int, int]:
        client_status = (await fetch(base, "/webhooks/webchat/socket.io.min.js"))[0]
        return client_status, (await fetch(base, "/webhooks/webchat/"))[0]

    assert serve_and(check, webchat) == (404, 200)


def test_settings_come_from_credentials() -> None:
    webchat = WebChatInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True,
         "reply_deadline_seconds": 5}
    )
    assert isinstance(webchat, WebChatInput)
    assert webchat.url_prefix() == "webchat"
    assert webchat.session_persistence is True
    assert webchat.guard.deadline_seconds == 5


# -- the conversation over socket.io --------------------------------------------


class Client:
    """A socket.io client that collects what the server sends."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.bot: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.stored: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.history: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmed.put)
        self.sio.on("bot_uttered", self.bot.put)
        self.sio.on("user_stored", self.stored.put)
        self.sio.on("session_history", self.history.put)

    async def connect(self, base_url: str) -> None:
        # Long-polling: python-engineio 4.15's websocket client needs a newer aiohttp than Rasa pins.
        await self.sio.connect(base_url, socketio_path="/socket.io", transports=["polling"])

    async def session(self, session_id: Any = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 5)

    async def say(self, text: str, session_id: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})

    async def replies(self, count: int) -> list[dict[str, Any]]:
        return [await asyncio.wait_for(self.bot.get(), 5) for _ in range(count)]

    async def nothing_more(self, wait: float = 0.3) -> bool:
        await asyncio.sleep(wait)
        return self.bot.empty()


def converse(
    scenario: Callable[[WebChatInput, str], Awaitable[Any]], rasa: FakeRasa, webchat: WebChatInput | None = None
) -> Any:
    webchat = webchat or channel()

    async def main() -> Any:
        async with serving(make_app(webchat, rasa)) as base_url:
            return await scenario(webchat, base_url)

    return asyncio.run(main())


@asynccontextmanager
async def client(base_url: str) -> AsyncIterator[Client]:
    connected = Client()
    await connected.connect(base_url)
    try:
        yield connected
    finally:
        await connected.sio.disconnect()


def test_a_conversation_gets_a_session_and_the_bot_replies_with_quick_replies() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, list[dict[str, Any]]]:
        async with client(base_url) as chat:
            session_id = await chat.session()
            await chat.say("I am worried about a child", session_id)
            return session_id, await chat.replies(1)

    token, replies = converse(scenario, rasa)
    session_id = id_of(token)
    assert replies == [
        {
            "text": "Is the child in immediate danger?",
            "quick_replies": [{"content_type": "text", "title": "No", "payload": "/no"}],
        }
    ]
    assert [(m.text, m.sender_id, m.input_channel) for m in rasa.received] == [
        ("I am worried about a child", session_id, "webchat")
    ]


@pytest.mark.parametrize(
    "text, expected, rasa_sees",
    [
        (
            "my pupil Tom is hungry",
            ["Is the child in immediate danger?", TEXTS.privacy_notice],
            ["my pupil [name] is hungry"],
        ),
        ("   ", [TEXTS.empty_prompt], []),
        ("/no", ["Is the child in immediate danger?"], ["/no"]),
        ("/yes", ["Is the child in immediate danger?"], ["yes"]),
    ],
    ids=["redacted", "empty", "offered-payload", "unoffered-payload-is-words"],
)
def test_messages_are_guarded(text: str, expected: list[str], rasa_sees: list[str]) -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> list[dict[str, Any]]:
        async with client(base_url) as chat:
            session_id = await chat.session()
            await chat.say(text, session_id)
            replies = await chat.replies(len(expected))
            assert await chat.nothing_more()
            return replies

    assert [r["text"] for r in converse(scenario, rasa)] == expected
    assert [m.text for m in rasa.received] == rasa_sees


def test_a_failing_assistant_gives_the_safe_reply() -> None:
    rasa = FakeRasa(fail=True)

    async def scenario(webchat: WebChatInput, base_url: str) -> list[dict[str, Any]]:
        async with client(base_url) as chat:
            await chat.say("hello", await chat.session())
            return await chat.replies(1)

    assert converse(scenario, rasa) == [{"text": TEXTS.safe_reply}]


@pytest.mark.parametrize(
    "requested",
    [
        "0123456789abcdef0123456789abcdef",
        "a-session_id-of-sixteen-plus",
        "short",
        "../../etc/passwd",
        "x" * 65,
        "x" * 10_000,
        None,
        12345,
        {"session_id": "0123456789abcdef0123456789abcdef"},
    ],
    ids=["hex-32", "word-id", "short", "path", "65-chars", "10000-chars", "none", "number", "object"],
)
def test_a_session_id_chosen_by_the_browser_is_never_used(requested: Any) -> None:
    async def scenario(webchat: WebChatInput, base_url: str) -> str:
        async with client(base_url) as chat:
            return await chat.session(requested)

    confirmed = converse(scenario, FakeRasa())
    assert id_of(confirmed) != requested and confirmed != requested


def test_a_message_cannot_claim_another_conversation() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> str:
        async with client(base_url) as chat:
            own = await chat.session()
            await chat.say("hello", "someone-elses-session-id-0001")
            await chat.replies(1)
            return own

    own = converse(scenario, rasa)
    assert [m.sender_id for m in rasa.received] == [id_of(own)]


def test_a_message_before_a_session_is_ignored() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> bool:
        async with client(base_url) as chat:
            await chat.say("hello", "0123456789abcdef0123456789abcdef")
            return await chat.nothing_more()

    assert converse(scenario, rasa) is True
    assert rasa.received == []


def test_start_again_leaves_the_old_conversation() -> None:
    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, str, bool, list[dict[str, Any]]]:
        async with client(base_url) as chat:
            old = id_of(await chat.session())
            new = id_of(await chat.session(None))
            assert webchat.sio is not None
            await webchat.sio.emit("bot_uttered", {"text": "late reply to the old conversation"}, room=old)
            quiet = await chat.nothing_more()
            await webchat.sio.emit("bot_uttered", {"text": "reply to the new one"}, room=new)
            return old, new, quiet, await chat.replies(1)

    old, new, quiet, replies = converse(scenario, FakeRasa())
    assert old != new
    assert quiet, "a reply to the abandoned conversation reached the browser"
    assert replies == [{"text": "reply to the new one"}]


def test_a_reloaded_page_rejoins_its_conversation_with_the_issued_token() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, list[dict[str, Any]]]:
        async with client(base_url) as first:
            token = await first.session()
            await first.say("hello", id_of(token))
            await first.replies(1)
        async with client(base_url) as second:
            assert await second.session(token) == token
            await second.say("hello again", id_of(token))
            return token, await second.replies(1)

    token, replies = converse(scenario, rasa)
    assert replies[0]["text"] == "Is the child in immediate danger?"
    assert [m.sender_id for m in rasa.received] == [id_of(token), id_of(token)]


# -- the greeting a new conversation opens with ------------------------------------------


def greeting_channel(**kwargs: Any) -> WebChatInput:
    """The channel as configured by default: new conversations are greeted."""
    kwargs.setdefault("session_secret", SESSION_SECRET)
    return WebChatInput(MessageGuard(TEXTS, clean, redact, deadline_seconds=2, offers=nothing_offered), **kwargs)


async def nothing_offered(sender_id: str) -> frozenset:
    return frozenset()


class RecordingRasa(FakeRasa):
    """Also records the metadata the guard hands Rasa and answers /greet like the assistant."""

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        text = "Hello. If a child is in immediate danger, call 999." if message.text == "/greet" else "echo"
        await message.output_channel.send_response(
            message.sender_id, {"text": text, "buttons": [{"title": "Start", "payload": "/start_triage"}]}
        )


def test_a_new_conversation_is_greeted_with_a_channel_made_payload() -> None:
    rasa = RecordingRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, list[dict[str, Any]], bool]:
        async with client(base_url) as chat:
            token = await chat.session()
            replies = await chat.replies(1)
            return token, replies, await chat.nothing_more()

    token, replies, quiet = converse(scenario, rasa, greeting_channel())
    assert replies == [
        {
            "text": "Hello. If a child is in immediate danger, call 999.",
            "quick_replies": [{"content_type": "text", "title": "Start", "payload": "/start_triage"}],
        }
    ]
    assert quiet
    # Passed through as a payload though nothing was offered: the channel made it.
    assert [(m.text, m.sender_id, m.input_channel) for m in rasa.received] == [("/greet", id_of(token), "webchat")]


def test_a_resumed_conversation_is_not_greeted_again_and_start_again_is() -> None:
    rasa = RecordingRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, str]:
        async with client(base_url) as first:
            token = await first.session()
            await first.replies(1)
        async with client(base_url) as second:
            assert await second.session(token) == token
            assert await second.nothing_more(), "a resumed conversation was greeted again"
            fresh = await second.session(None)  # Start again
            assert (await second.replies(1))[0]["text"].startswith("Hello.")
            await second.session(token[:-1] + ("A" if token[-1] != "A" else "B"))  # forged
            assert (await second.replies(1))[0]["text"].startswith("Hello."), "a refused token is a new conversation"
            return token, fresh

    token, fresh = converse(scenario, rasa, greeting_channel())
    assert [m.text for m in rasa.received] == ["/greet", "/greet", "/greet"]
    assert rasa.received[0].sender_id == id_of(token) and rasa.received[1].sender_id == id_of(fresh)
    assert len({m.sender_id for m in rasa.received}) == 3


def test_a_browser_cannot_claim_that_its_message_was_made_by_the_channel() -> None:
    rasa = RecordingRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> None:
        async with client(base_url) as chat:
            session_id = await chat.session()
            await chat.replies(1)
            await chat.sio.emit(
                "user_uttered",
                {"message": "/start_quiz", "session_id": session_id, "metadata": {"channel_payload": True}},
            )
            await chat.replies(1)

    converse(scenario, rasa, greeting_channel())
    assert [m.text for m in rasa.received] == ["/greet", "start_quiz"]
    assert "channel_payload" not in (rasa.received[1].metadata or {})


def test_the_greeting_comes_from_credentials_and_can_be_switched_off() -> None:
    assert WebChatInput.from_credentials({}).greeting == "/greet"
    assert WebChatInput.from_credentials({"greeting": "/start_quiz"}).greeting == "/start_quiz"
    assert WebChatInput.from_credentials({"greeting": ""}).greeting is None
    assert WebChatInput.from_credentials({"greeting": None}).greeting is None
    with pytest.raises(ValueError, match="greeting"):
        WebChatInput.from_credentials({"greeting": "hello"})

    rasa = RecordingRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> bool:
        async with client(base_url) as chat:
            await chat.session()
            return await chat.nothing_more()

    assert converse(scenario, rasa, greeting_channel(greeting=None)) is True
    assert rasa.received == []


def test_a_conversation_without_session_persistence_is_greeted_in_its_socket() -> None:
    rasa = RecordingRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> list[dict[str, Any]]:
        async with client(base_url) as chat:
            await chat.session()
            return await chat.replies(1)

    replies = converse(scenario, rasa, greeting_channel(session_persistence=False))
    assert replies[0]["text"].startswith("Hello.")
    assert [m.text for m in rasa.received] == ["/greet"]
    assert not TOKEN.fullmatch(rasa.received[0].sender_id), "without persistence the sender is the socket id"


# -- attacks on other people's conversations -----------------------------------------


def forgeries(victim: str) -> list[str]:
    """Tokens an attacker could make from the victim's conversation id or token."""
    session_id, signature = victim.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    other_id = ("1" if session_id[0] != "1" else "2") + session_id[1:]
    return [
        session_id,  # the bare id (the room name, the sender id in the tracker)
        f"{session_id}.",  # no signature
        f"{session_id}.{'A' * 43}",  # a made-up signature
        f"{session_id}.{flipped}{signature[1:]}",  # a tampered signature
        f"{other_id}.{signature}",  # a tampered id with the victim's signature
        victim[:-1],  # truncated
        victim + "A",  # extended
        f"{session_id.upper()}.{signature}",  # another spelling of the id
        f"{session_id}:{signature}",  # another format
        f"{signature}.{session_id}",
        SessionTokens(b"another-server-s-secret-0123456789abcdef").issue()[1],  # signed with another secret
        f"{session_id}.{SessionTokens(b'another-server-s-secret-0123456789abcdef')._signature(session_id)}",
    ]


def test_an_attacker_cannot_join_a_conversation_by_its_id_or_a_forged_token() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, list[str], list[bool]]:
        async with client(base_url) as victim, client(base_url) as attacker:
            token = await victim.session()
            await victim.say("I am worried about a child", token)
            await victim.replies(1)
            confirmed, overheard = [], []
            for forged in forgeries(token):
                confirmed.append(await attacker.session(forged))
                # The victim's next live reply goes to the victim's room only.
                assert webchat.sio is not None
                await webchat.sio.emit("bot_uttered", {"text": "for the victim only"}, room=id_of(token))
                assert (await victim.replies(1))[0]["text"] == "for the victim only"
                overheard.append(not await attacker.nothing_more(0.1))
            return token, confirmed, overheard

    token, confirmed, overheard = converse(scenario, rasa)
    assert not any(overheard), "a forged token received the victim's reply"
    for forged, issued in zip(forgeries(token), confirmed):
        assert id_of(issued) != id_of(token), f"{forged!r} joined the victim's conversation"
    assert len({id_of(issued) for issued in confirmed}) == len(confirmed), "every refusal gets a fresh conversation"
    assert [m.sender_id for m in rasa.received] == [id_of(token)]


def test_a_session_id_chosen_in_advance_is_not_kept_for_a_victim_to_use() -> None:
    """Session fixation: an id planted in the victim's storage must not become the conversation."""
    planted = "0123456789abcdef0123456789abcdef"

    async def scenario(webchat: WebChatInput, base_url: str) -> str:
        async with client(base_url) as victim:
            return await victim.session(planted)

    assert id_of(converse(scenario, FakeRasa())) != planted


def test_a_token_outlives_a_restart_and_works_on_every_server_with_the_secret() -> None:
    """Two channel instances stand for a restart or for several processes on one machine."""
    rasa = FakeRasa()

    async def main() -> tuple[str, str, str]:
        async with serving(make_app(channel(), rasa)) as first_url:
            async with client(first_url) as first:
                token = await first.session()
        async with serving(make_app(channel(), rasa)) as second_url:
            async with client(second_url) as second:
                resumed = await second.session(token)
                await second.say("hello again", resumed)
                await second.replies(1)
        async with serving(make_app(channel(session_secret="a-different-secret-0123456789abcdef"), rasa)) as url:
            async with client(url) as third:
                elsewhere = await third.session(token)
        return token, resumed, elsewhere

    token, resumed, elsewhere = asyncio.run(main())
    assert resumed == token
    assert [m.sender_id for m in rasa.received] == [id_of(token)]
    assert id_of(elsewhere) != id_of(token), "a token was accepted by a server with another secret"


def test_session_tokens() -> None:
    tokens = SessionTokens(SESSION_SECRET.encode())
    ids = set()
    for _ in range(200):
        session_id, token = tokens.issue()
        assert re.fullmatch(r"[0-9a-f]{32}", session_id)  # 128 bits
        assert token.startswith(session_id + ".") and TOKEN.fullmatch(token)
        assert tokens.verify(token) == session_id
        ids.add(session_id)
    assert len(ids) == 200
    assert SessionTokens(SESSION_SECRET.encode()).verify(token) == session_id
    for junk in [None, 1, b"bytes", [token], "", token + "\n", " " + token, "é" * 76]:
        assert tokens.verify(junk) is None
    with pytest.raises(ValueError):
        SessionTokens(b"too short")


# -- the session secret ----------------------------------------------------------------


def test_the_secret_comes_from_credentials_then_the_environment_then_a_file(tmp_path: Path) -> None:
    from bot.channels.webchat import load_session_secret

    path = tmp_path / "build" / "webchat_session_secret"
    configured = "c" * 32
    from_env = "e" * 40
    assert load_session_secret(configured, path, {"WEBCHAT_SESSION_SECRET": from_env}) == configured.encode()
    assert load_session_secret(None, path, {"WEBCHAT_SESSION_SECRET": from_env}) == from_env.encode()
    assert load_session_secret("", path, {"WEBCHAT_SESSION_SECRET": from_env}) == from_env.encode()
    assert not path.exists()
    generated = load_session_secret(None, path, {})
    assert path.exists() and len(generated) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_session_secret(None, path, {}) == generated, "a restart must keep the secret"
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left behind"


@pytest.mark.parametrize("weak", ["short", " " * 40, 12345678901234567890123456789012345])
def test_a_weak_configured_secret_is_refused(weak: Any, tmp_path: Path) -> None:
    from bot.channels.webchat import load_session_secret

    with pytest.raises(ValueError):
        load_session_secret(weak, tmp_path / "secret", {})
    if isinstance(weak, str):
        with pytest.raises(ValueError):
            load_session_secret(None, tmp_path / "secret", {"WEBCHAT_SESSION_SECRET": weak})


def test_a_corrupt_secret_file_is_refused_not_replaced(tmp_path: Path) -> None:
    from bot.channels.webchat import load_session_secret

    path = tmp_path / "webchat_session_secret"
    path.write_text("")
    with pytest.raises(ValueError, match="delete the file"):
        load_session_secret(None, path, {})
    assert path.read_text() == ""


def _load_secret_after(barrier: Any, path: Path, results: Any) -> None:
    from bot.channels.webchat import load_session_secret

    barrier.wait(10)
    results.put(load_session_secret(None, path, {}))


def test_server_processes_starting_together_share_one_secret(tmp_path: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")  # children start at once, rasa already imported
    path = tmp_path / "build" / "webchat_session_secret"
    count = 6
    barrier, results = context.Barrier(count), context.Queue()
    processes = [context.Process(target=_load_secret_after, args=(barrier, path, results)) for _ in range(count)]
    for process in processes:
        process.start()
    seen = {results.get(timeout=30) for _ in processes}
    for process in processes:
        process.join(30)
    assert all(process.exitcode == 0 for process in processes)
    assert seen == {path.read_bytes().strip()}
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_channel_uses_the_secret_file_when_nothing_is_configured(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("WEBCHAT_SESSION_SECRET", raising=False)
    path = tmp_path / "webchat_session_secret"
    first = WebChatInput(MessageGuard(TEXTS, clean, redact), secret_file=path)
    first.blueprint(FakeRasa())
    assert first.sessions is not None and path.exists()
    _, token = first.sessions.issue()
    again = WebChatInput(MessageGuard(TEXTS, clean, redact), secret_file=path)
    again.blueprint(FakeRasa())
    assert again.sessions is not None and again.sessions.verify(token) is not None


def test_the_secret_can_come_from_credentials() -> None:
    webchat = WebChatInput.from_credentials({"session_secret": SESSION_SECRET})
    assert isinstance(webchat, WebChatInput)
    webchat.blueprint(FakeRasa())
    assert webchat.sessions is not None
    assert webchat.sessions.verify(SessionTokens(SESSION_SECRET.encode()).issue()[1]) is not None


# -- the Origin check ----------------------------------------------------------------

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


async def handshake(base_url: str, origin: str | None, websocket: bool = False) -> int:
    """An Engine.IO v4 handshake (what socket.io-client sends first); returns the HTTP status."""
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        if websocket:
            url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
            try:
                async with session.ws_connect(url, headers=headers) as ws:
                    opened = await asyncio.wait_for(ws.receive(), 5)
                    assert str(opened.data).startswith("0{"), opened
                    return 101
            except aiohttp.WSServerHandshakeError as error:
                return error.status
        async with session.get(base_url + HANDSHAKE, headers=headers) as reply:
            body = await reply.text()
            if reply.status == 200:
                assert body.startswith('0{"sid":'), body
            return reply.status


@pytest.mark.parametrize("websocket", [False, True], ids=["polling", "websocket"])
def test_a_foreign_origin_is_refused_and_the_own_origin_accepted(websocket: bool) -> None:
    async def check(base_url: str) -> dict[str, int]:
        return {
            "foreign": await handshake(base_url, "http://evil.example", websocket),
            "look-alike": await handshake(base_url, base_url + ".evil.example", websocket),
            "other port": await handshake(base_url, base_url.rsplit(":", 1)[0] + ":1", websocket),
            "https": await handshake(base_url, base_url.replace("http://", "https://"), websocket),
            "own": await handshake(base_url, base_url, websocket),
            "none (not a browser)": await handshake(base_url, None, websocket),
        }

    ok = 101 if websocket else 200
    assert serve_and(check) == {
        "foreign": 400, "look-alike": 400, "other port": 400, "https": 400, "own": ok, "none (not a browser)": ok,
    }


def test_a_foreign_origin_cannot_use_an_open_connection() -> None:
    """Every Engine.IO request is checked, not only the handshake."""
    rasa = FakeRasa()

    async def check(base_url: str) -> tuple[int, int]:
        async with aiohttp.ClientSession() as session:
            async with session.get(base_url + HANDSHAKE) as reply:  # no Origin: not a browser
                sid = json.loads((await reply.text())[1:])["sid"]
            url = f"{base_url}{HANDSHAKE}&sid={sid}"
            async with session.post(url, data="40", headers={"Origin": "http://evil.example"}) as reply:
                foreign = reply.status
            async with session.post(url, data="40", headers={"Origin": base_url}) as reply:
                own = reply.status
            return foreign, own

    async def main() -> tuple[int, int]:
        async with serving(make_app(channel(), rasa)) as base_url:
            return await check(base_url)

    assert asyncio.run(main()) == (400, 200)
    assert rasa.received == []


def test_allowed_origins_come_from_credentials() -> None:
    async def check(base_url: str) -> dict[str, int]:
        return {
            "listed": await handshake(base_url, "https://chat.example.org"),
            "foreign": await handshake(base_url, "http://evil.example"),
            "own, not listed": await handshake(base_url, base_url),
        }

    webchat = WebChatInput.from_credentials(
        {"session_secret": SESSION_SECRET, "cors_allowed_origins": ["https://chat.example.org"]}
    )
    assert isinstance(webchat, WebChatInput)
    assert serve_and(check, webchat) == {"listed": 200, "foreign": 400, "own, not listed": 400}


@pytest.mark.parametrize(
    "setting, expected",
    [
        (None, None),
        ([], None),  # never [] (python-engineio would switch the check off)
        ("https://chat.example.org", ["https://chat.example.org"]),
        (["HTTPS://Chat.Example.org:443", "http://localhost:5005"], ["https://chat.example.org", "http://localhost:5005"]),
        (["http://[::1]:8080"], ["http://[::1]:8080"]),
    ],
)
def test_the_origin_setting_is_normalised(setting: Any, expected: list[str] | None) -> None:
    assert channel(cors_allowed_origins=setting).cors_allowed_origins == expected


@pytest.mark.parametrize(
    "setting", ["*", ["*"], ["https://chat.example.org/"], ["chat.example.org"], ["https://*.example.org"],
                [None], {"origin": "https://chat.example.org"}, ["ftp://chat.example.org"]]
)
def test_a_wrong_origin_setting_is_refused(setting: Any) -> None:
    with pytest.raises(ValueError, match="cors_allowed_origins"):
        channel(cors_allowed_origins=setting)


# -- the structured result, the stored text, a resumed conversation, Back -----------------

RESULT = {
    "text": "Level 4: Specialist\nWhy:\n- a reason\n\nWhat to do next ...",
    "buttons": [{"title": "Copy a summary", "payload": "/request_summary"},
                {"title": "Start again", "payload": "/start_triage"}],
    "custom": {"type": "triage_result", "level": 4, "heading": "Level 4: Specialist", "summary": "Summary"},
}


ANSWER = {
    "text": "Was not brought\nA child is not brought to an appointment.\nSource: a guide",
    "custom": {"type": "guidance_answer", "title": "Was not brought", "summary": "A child is not brought."},
}


def test_structured_replies_are_sent_as_their_data_and_buttons_without_the_fallback_text() -> None:
    rasa = FakeRasa(replies=[RESULT, ANSWER, {"custom": {"kind": "other"}}])

    async def scenario(webchat: WebChatInput, base_url: str) -> list[dict[str, Any]]:
        async with client(base_url) as chat:
            await chat.say("no impact", id_of(await chat.session()))
            replies = await chat.replies(3)
            assert await chat.nothing_more()
            return replies

    result, answer, other = converse(scenario, rasa)
    assert result == {
        "custom": RESULT["custom"],
        "quick_replies": [{"content_type": "text", "title": b["title"], "payload": b["payload"]}
                          for b in RESULT["buttons"]],
    }
    assert answer == {"custom": ANSWER["custom"]}
    assert other == {"custom": {"kind": "other"}}, "other custom payloads arrive whole, under custom"


def test_the_page_is_told_the_redacted_text_that_was_stored() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> list[dict[str, Any]]:
        async with client(base_url) as chat:
            await chat.say("my pupil Tom is hungry", id_of(await chat.session()))
            return [await asyncio.wait_for(chat.stored.get(), 5)]

    assert converse(scenario, rasa) == [{"text": "my pupil [name] is hungry"}]
    assert [m.text for m in rasa.received] == ["my pupil [name] is hungry"]


def test_the_pages_back_button_is_passed_through_and_other_unoffered_payloads_are_words() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> None:
        async with client(base_url) as chat:
            session_id = id_of(await chat.session())
            for text in ("/go_back", "/go_back{\"slot\": \"age\"}", "/restart"):
                await chat.say(text, session_id)
                await chat.replies(1)

    converse(scenario, rasa, channel())
    assert [m.text for m in rasa.received] == ["/go_back", "go_back slot age", "restart"]


@dataclass
class StoredConversations:
    """Stands in for the tracker store: the conversation each sender id has, and who asked."""

    conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, sender_id: str) -> list[dict[str, Any]] | None:
        self.asked.append(sender_id)
        return self.conversations.get(sender_id, [])


def test_a_resumed_conversation_is_restored_from_the_store_for_that_token_only() -> None:
    stored = StoredConversations()
    rasa = RecordingRasa()
    webchat = greeting_channel(history=stored)

    async def scenario(webchat: WebChatInput, base_url: str) -> tuple[str, dict[str, Any]]:
        async with client(base_url) as mine, client(base_url) as theirs:
            token = await mine.session()
            other = await theirs.session()
            await mine.replies(1)
            await theirs.replies(1)
            assert stored.asked == [], "a new conversation has nothing to restore"
            stored.conversations[id_of(token)] = [{"role": "user", "text": "my pupil [name] is hungry"}]
            stored.conversations[id_of(other)] = [{"role": "user", "text": "someone else's conversation"}]
        async with client(base_url) as reloaded:
            forged = token[:-1] + ("A" if token[-1] != "A" else "B")
            await reloaded.session(forged)
            await reloaded.replies(1)  # a refused token: a new, greeted conversation
            assert reloaded.history.empty() and stored.asked == []
            assert await reloaded.session(token) == token
            history = await asyncio.wait_for(reloaded.history.get(), 5)
            assert await reloaded.nothing_more(), "a restored conversation is not greeted again"
            return token, history

    token, history = converse(scenario, rasa, webchat)
    assert history == {"messages": [{"role": "user", "text": "my pupil [name] is hungry"}]}
    assert stored.asked == [id_of(token)], "only the conversation the verified token names is read"


def test_a_forgotten_conversation_is_greeted_again_when_resumed() -> None:
    rasa = RecordingRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> list[dict[str, Any]]:
        async with client(base_url) as first:
            token = await first.session()
            await first.replies(1)
        async with client(base_url) as second:
            await second.session(token)
            assert await asyncio.wait_for(second.history.get(), 5) == {"messages": []}
            return await second.replies(1)

    replies = converse(scenario, rasa, greeting_channel(history=StoredConversations()))
    assert replies[0]["text"].startswith("Hello.")
    assert [m.text for m in rasa.received] == ["/greet", "/greet"]


def test_the_history_is_the_stored_conversation_as_the_page_draws_it() -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    from bot.channels.webchat import conversation_history

    question = [{"title": "No", "payload": '/choose{"triage_answer": "no"}'}]
    events = [
        UserUttered("/greet"),
        BotUttered("Hello. If a child is in immediate danger, call 999.",
                    {"buttons": [{"title": "I'm worried about a child", "payload": "/start_triage"}]}),
        UserUttered("/start_triage"),
        ActionExecuted("triage_form"),
        BotUttered("How well is it met?\n\n(Met looks like: fed.)", {"buttons": question}),
        UserUttered("my pupil [name] is hungry"),
        SlotSet("triage_need_nutrition", "unmet"),
        UserUttered("/go_back"),
        BotUttered(None, {"buttons": RESULT["buttons"], "custom": RESULT["custom"]}),
        UserUttered('/choose{"triage_answer": "no"}'),
    ]
    assert conversation_history(events) == [
        {"role": "bot", "message": {"text": "Hello. If a child is in immediate danger, call 999.",
                                    "quick_replies": [{"content_type": "text", "title": "I'm worried about a child",
                                                       "payload": "/start_triage"}]}},
        {"role": "user", "text": "I'm worried about a child"},
        {"role": "bot", "message": {"text": "How well is it met?"}},
        {"role": "bot", "message": {"text": "(Met looks like: fed.)", "quick_replies": [
            {"content_type": "text", "title": "No", "payload": '/choose{"triage_answer": "no"}'}]}},
        {"role": "user", "text": "my pupil [name] is hungry"},
        {"role": "user", "text": "Back"},
        {"role": "bot", "message": {"custom": RESULT["custom"], "quick_replies": [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in RESULT["buttons"]]}},
        {"role": "user", "text": "No"},
    ]
