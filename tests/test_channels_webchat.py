"""The web chat channel: the page it serves and its socket.io conversation, on a real Sanic app."""
from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Tuple

import aiohttp
import pytest
import socketio
from rasa.core.channels.channel import UserMessage

from bot.channels.guard import MessageGuard, SafetyTexts
from bot.channels.webchat import WebChatInput, project_root
from tests.fakes.standins import clean, redact
from tests.fakes.sanic_app import make_app, serving

ROOT = project_root()
PRIVACY_LINE = "Do not type names, dates of birth, addresses or other details that could identify a child or family."
TEXTS = SafetyTexts(
    safe_reply="SAFE: if a child is in immediate danger, call 999.",
    empty_prompt="EMPTY: please type your question.",
    privacy_notice="PRIVACY: please do not type names.",
)


@dataclass
class FakeRasa:
    replies: List[Dict[str, Any]] = field(
        default_factory=lambda: [
            {"text": "Is the child in immediate danger?", "buttons": [{"title": "No", "payload": "/no"}]}
        ]
    )
    fail: bool = False
    received: List[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("action server down")
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))


def channel(**kwargs: Any) -> WebChatInput:
    return WebChatInput(MessageGuard(TEXTS, clean, redact, deadline_seconds=2), **kwargs)


# -- the page -----------------------------------------------------------------


async def fetch(base_url: str, path: str) -> Tuple[int, Dict[str, str], bytes]:
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


def serve_and(check: Callable[[str], Awaitable[Any]], webchat: Optional[WebChatInput] = None) -> Any:
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
    import json

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

    async def check(base: str) -> Tuple[int, int]:
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
        self.confirmed: "asyncio.Queue[str]" = asyncio.Queue()
        self.bot: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmed.put)
        self.sio.on("bot_uttered", self.bot.put)

    async def connect(self, base_url: str) -> None:
        # Long-polling: python-engineio 4.15's websocket client needs a newer aiohttp than Rasa pins.
        await self.sio.connect(base_url, socketio_path="/socket.io", transports=["polling"])

    async def session(self, session_id: Optional[str] = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 5)

    async def say(self, text: str, session_id: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})

    async def replies(self, count: int) -> List[Dict[str, Any]]:
        return [await asyncio.wait_for(self.bot.get(), 5) for _ in range(count)]

    async def nothing_more(self, wait: float = 0.3) -> bool:
        await asyncio.sleep(wait)
        return self.bot.empty()


def converse(scenario: Callable[[WebChatInput, str], Awaitable[Any]], rasa: FakeRasa) -> Any:
    webchat = channel()

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

    async def scenario(webchat: WebChatInput, base_url: str) -> Tuple[str, List[Dict[str, Any]]]:
        async with client(base_url) as chat:
            session_id = await chat.session()
            await chat.say("I am worried about a child", session_id)
            return session_id, await chat.replies(1)

    session_id, replies = converse(scenario, rasa)
    assert re.fullmatch(r"[0-9a-f]{32}", session_id)
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
            [TEXTS.privacy_notice, "Is the child in immediate danger?"],
            ["my pupil [name] is hungry"],
        ),
        ("   ", [TEXTS.empty_prompt], []),
        ("/no", ["Is the child in immediate danger?"], ["/no"]),
    ],
    ids=["redacted", "empty", "payload"],
)
def test_messages_are_guarded(text: str, expected: List[str], rasa_sees: List[str]) -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> List[Dict[str, Any]]:
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

    async def scenario(webchat: WebChatInput, base_url: str) -> List[Dict[str, Any]]:
        async with client(base_url) as chat:
            await chat.say("hello", await chat.session())
            return await chat.replies(1)

    assert converse(scenario, rasa) == [{"text": TEXTS.safe_reply}]


@pytest.mark.parametrize(
    "requested, kept",
    [
        ("0123456789abcdef0123456789abcdef", True),
        ("a-session_id-of-sixteen-plus", True),
        ("short", False),
        ("../../etc/passwd", False),
        ("x" * 65, False),
        (None, False),
    ],
)
def test_a_session_id_from_the_browser_is_kept_only_if_well_formed(requested: Optional[str], kept: bool) -> None:
    async def scenario(webchat: WebChatInput, base_url: str) -> str:
        async with client(base_url) as chat:
            return await chat.session(requested)

    confirmed = converse(scenario, FakeRasa())
    assert (confirmed == requested) is kept
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", confirmed)


def test_a_message_cannot_claim_another_conversation() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> str:
        async with client(base_url) as chat:
            own = await chat.session()
            await chat.say("hello", "someone-elses-session-id-0001")
            await chat.replies(1)
            return own

    own = converse(scenario, rasa)
    assert [m.sender_id for m in rasa.received] == [own]


def test_a_message_before_a_session_is_ignored() -> None:
    rasa = FakeRasa()

    async def scenario(webchat: WebChatInput, base_url: str) -> bool:
        async with client(base_url) as chat:
            await chat.say("hello", "0123456789abcdef0123456789abcdef")
            return await chat.nothing_more()

    assert converse(scenario, rasa) is True
    assert rasa.received == []


def test_start_again_leaves_the_old_conversation() -> None:
    async def scenario(webchat: WebChatInput, base_url: str) -> Tuple[str, str, bool, List[Dict[str, Any]]]:
        async with client(base_url) as chat:
            old = await chat.session()
            new = await chat.session(None)
            assert webchat.sio is not None
            await webchat.sio.emit("bot_uttered", {"text": "late reply to the old conversation"}, room=old)
            quiet = await chat.nothing_more()
            await webchat.sio.emit("bot_uttered", {"text": "reply to the new one"}, room=new)
            return old, new, quiet, await chat.replies(1)

    old, new, quiet, replies = converse(scenario, FakeRasa())
    assert old != new
    assert quiet, "a reply to the abandoned conversation reached the browser"
    assert replies == [{"text": "reply to the new one"}]


def test_a_reloaded_page_rejoins_its_conversation() -> None:
    async def scenario(webchat: WebChatInput, base_url: str) -> List[Dict[str, Any]]:
        async with client(base_url) as first:
            session_id = await first.session()
        async with client(base_url) as second:
            assert await second.session(session_id) == session_id
            await second.say("hello again", session_id)
            return await second.replies(1)

    assert converse(scenario, FakeRasa())[0]["text"] == "Is the child in immediate danger?"
