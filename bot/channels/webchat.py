"""The web chat: Rasa's socket.io channel, guarded, that also serves its own page.

Rasa mounts a custom channel's blueprint under ``/webhooks/<name()>``, so with
the default server the page is at ``http://<host>:5005/webhooks/webchat/``
(the socket.io endpoint stays at ``/socket.io``). The page, its script and
style, and the socket.io client from ``node_modules`` (installed by
``npm ci``) are read once when the blueprint is built and served from memory
under fixed names only, so no request can reach another file.

Sessions: the server issues every conversation id. ``session_confirm`` sends
the browser a token ``<id>.<signature>``: ``<id>`` is 128 random bits (32 hex
characters, the tracker's sender id and the socket.io room) and
``<signature>`` is HMAC-SHA256 of it under the server's session secret. A
browser resumes a conversation only by sending a token the server issued;
anything else gets a fresh conversation. The secret comes from
``session_secret`` in credentials.yml, else ``WEBCHAT_SESSION_SECRET``, else
the file ``build/webchat_session_secret`` (generated once, mode 0600, shared
by every server process of the checkout).

Greeting: when ``session_request`` starts a NEW conversation (not a resumed
one), the channel hands Rasa ``/greet`` (the ``greeting`` setting) through
the guard as a channel-made payload (metadata ``channel_payload: true``), so
the assistant's own greeting and its buttons appear as the page loads and
are recorded in the conversation.

Restoring a conversation: when ``session_request`` resumes a conversation
(a reload, a dropped connection), the server reads that conversation -- the
one the verified token names, and no other -- from the tracker store and
sends it to that socket alone as ``session_history``: each user message as
stored (the redacted text; a button press as the button's title) and each
bot message as it was sent. Each message the guard hands Rasa is also sent
back to the page as ``user_stored`` (``{"text": ...}``), so the user's own
bubble shows the redacted text the tracker keeps, not what was typed.

Structured replies: a bot message whose ``custom`` payload is a triage
result or a guidance answer (``bot.render``) is sent as that payload and its
buttons only; its plain-text fallback is for REST and the terminal.

The page's own Back button sends ``/go_back`` (``PAGE_PAYLOADS``): an intent
with no entities, passed through as a channel-made payload.

Origins: socket.io connections are accepted only from the assistant's own
origin (python-engineio's same-origin check: ``Origin`` must equal
``<scheme>://<Host header>``, the scheme being ``X-Forwarded-Proto`` or
``http``, or the ``X-Forwarded-Proto``/``X-Forwarded-Host`` pair a proxy
sets), unless credentials.yml lists the allowed origins in
``cors_allowed_origins``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import inspect
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Awaitable, Callable, Mapping, Sequence

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import CHANNEL_PAYLOAD, MessageGuard, guard_from_credentials, payload_as_text
from bot.paths import ROOT
from bot.render import is_structured

logger = logging.getLogger(__name__)

SECRET_ENV = "WEBCHAT_SESSION_SECRET"
# What a new conversation starts with, as if a button had been pressed: the
# assistant's own greeting (the 999 line, what it can do, its first buttons).
DEFAULT_GREETING = "/greet"
MIN_SECRET_LENGTH = 32
# Payloads the page itself sends, with the title its bubble shows: intents with no
# entities, so nothing typed can reach a slot through them.
PAGE_PAYLOADS = {"/go_back": "Back"}
STORED_EVT = "user_stored"  # the text the guard handed Rasa, for the user's own bubble
HISTORY_EVT = "session_history"  # a resumed conversation, for the page to redraw

# The conversation of a sender id, as the page redraws it; None when it cannot be read.
HistoryFn = Callable[[str], Awaitable[list[dict[str, Any]] | None]]

# "<32 hex id>.<43 base64url HMAC-SHA256>": exactly what SessionTokens.issue makes.
_TOKEN = re.compile(r"(?P<id>[0-9a-f]{32})\.(?P<signature>[A-Za-z0-9_-]{43})")
_TOKEN_LENGTH = 32 + 1 + 43
# Domain separation: this key signs nothing else, but a purpose label costs nothing.
_TOKEN_PURPOSE = b"neglect-assistant webchat session v1\x00"

# scheme://host[:port], as a browser sends it in Origin (no path, no trailing slash, no wildcard).
_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?", re.IGNORECASE
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}

_SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        logger.error("webchat: cannot read %s; it will not be served", path)
        return None


def default_secret_file() -> Path:
    return ROOT / "build" / "webchat_session_secret"


class SessionTokens:
    """Issues and checks the signed conversation tokens ``<id>.<signature>``."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the web chat session secret must be at least {MIN_SECRET_LENGTH} characters")
        self._secret = secret

    def _signature(self, session_id: str) -> str:
        digest = hmac.new(self._secret, _TOKEN_PURPOSE + session_id.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def issue(self) -> tuple[str, str]:
        """A fresh conversation: ``(sender id, token)``; the id has 128 bits from ``secrets``."""
        session_id = secrets.token_hex(16)
        return session_id, f"{session_id}.{self._signature(session_id)}"

    def verify(self, token: Any) -> str | None:
        """The sender id of a token this server issued, else None (never raises)."""
        if not isinstance(token, str) or len(token) != _TOKEN_LENGTH:
            return None
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        session_id = match.group("id")
        if hmac.compare_digest(match.group("signature"), self._signature(session_id)):
            return session_id
        return None


def _checked_secret(value: Any, source: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{source} must be a string")
    if len(value.strip()) < MIN_SECRET_LENGTH:
        raise ValueError(f"{source} must be at least {MIN_SECRET_LENGTH} characters (use e.g. 'openssl rand -hex 32')")
    return value.strip().encode("utf-8")


def _read_secret_file(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if path.stat().st_mode & 0o077:
        logger.warning("webchat: %s can be read by other users; it should be mode 0600", path)
    return _checked_secret(text, f"the session secret in {path} (delete the file to have a new one generated)")


def _file_secret(path: Path) -> bytes:
    """The secret kept in ``path``; generated there first if absent (atomically, mode 0600)."""
    existing = _read_secret_file(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A hard link appears complete or not at all, and never replaces an existing
            # file: when several processes start together, the first one's secret wins.
            os.link(temporary, path)
            logger.info("webchat: generated a session secret in %s", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    secret = _read_secret_file(path)
    if secret is None:  # deleted again in between: nothing sensible to do
        raise RuntimeError(f"webchat: the session secret {path} vanished while it was created")
    return secret


def load_session_secret(
    configured: str | None = None,
    secret_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """``session_secret`` from credentials.yml, else ``$WEBCHAT_SESSION_SECRET``, else the secret file."""
    if configured not in (None, ""):
        return _checked_secret(configured, "session_secret in credentials.yml")
    from_environment = (os.environ if environ is None else environ).get(SECRET_ENV)
    if from_environment:
        return _checked_secret(from_environment, SECRET_ENV)
    return _file_secret(secret_file or default_secret_file())


def allowed_origins(value: None | str | Sequence[str]) -> list[str] | None:
    """The ``cors_allowed_origins`` setting, normalised; None (not set, or empty) means same origin only.

    Never returns ``[]``, which would switch python-engineio's Origin check off.
    """
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("cors_allowed_origins must be a list of origins such as https://chat.example.org")
    origins: list[str] = []
    for item in items:
        match = _ORIGIN.fullmatch(item.strip()) if isinstance(item, str) else None
        if match is None:
            raise ValueError(
                f"cors_allowed_origins: {item!r} is not an origin: write scheme://host[:port], "
                "e.g. https://chat.example.org, with no path, no trailing slash and no '*'"
            )
        scheme, host, port = match.group("scheme").lower(), match.group("host").lower(), match.group("port")
        origin = f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"
        if origin not in origins:
            origins.append(origin)
    return origins or None


def _quick_replies(buttons: Any) -> list[dict[str, Any]]:
    """Rasa buttons as the socket.io channel sends them."""
    return [
        {"content_type": "text", "title": button.get("title"), "payload": button.get("payload")}
        for button in buttons or []
        if isinstance(button, Mapping)
    ]


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output; a structured result or answer is sent as its data and buttons, without the
    fallback text."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if is_structured(message.get("custom")):
            reply: dict[str, Any] = {"custom": message["custom"]}
            if message.get("buttons"):
                reply["quick_replies"] = _quick_replies(message["buttons"])
            await self._send_message(recipient_id, reply)
            return
        await super().send_response(recipient_id, message)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        # Rasa's version spreads the payload into emit()'s arguments; the page reads it under "custom".
        await self._send_message(recipient_id, {"custom": json_message})


def conversation_history(events: Any) -> list[dict[str, Any]]:
    """A conversation as the page redraws it, from the tracker's events.

    User messages are the text Rasa stored (already redacted by the guard); a
    button press is shown by the title of the button offered for it, and a
    payload nobody offered a title for (the channel's own greeting) is left out.
    Bot messages are the ones the tracker recorded, as the page receives them.
    """
    items: list[dict[str, Any]] = []
    titles: dict[str, str] = dict(PAGE_PAYLOADS)
    for event in events:
        if isinstance(event, UserUttered):
            text = (event.text or "").strip()
            if not text:
                continue
            if text.startswith("/"):
                title = titles.get(text)
                if title is None:
                    continue
                text = title
            items.append({"role": "user", "text": text})
        elif isinstance(event, BotUttered):
            data = event.data or {}
            buttons = data.get("buttons") or []
            for button in buttons:
                if isinstance(button, Mapping) and isinstance(button.get("payload"), str):
                    titles[button["payload"].strip()] = str(button.get("title") or payload_as_text(button["payload"]))
            if is_structured(data.get("custom")):
                messages: list[dict[str, Any]] = [{"custom": data["custom"]}]
            elif event.text:
                # Split as Rasa's socket.io output splits it, the buttons on the last part.
                messages = [{"text": part} for part in event.text.strip().split("\n\n")]
            else:
                continue
            if buttons:
                messages[-1]["quick_replies"] = _quick_replies(buttons)
            items.extend({"role": "bot", "message": message} for message in messages)
    return items


async def history_from_tracker_store(sender_id: str) -> list[dict[str, Any]] | None:
    """The conversation `sender_id` as the running Rasa server's tracker store holds it
    (``[]`` when it holds none, e.g. after "forget this conversation"; None when it cannot be read)."""
    from sanic import Sanic

    try:
        agent = getattr(Sanic.get_app().ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return None
        tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)  # every session of it
    except Exception as error:  # noqa: BLE001 - the page then starts empty; the conversation is intact
        logger.warning("webchat: cannot read the conversation to restore it (%s)", type(error).__name__)
        return None
    return conversation_history(tracker.events) if tracker is not None else []


async def _resolved(value: Any) -> Any:
    """python-socketio made some server methods coroutines after 5.9; accept either."""
    return await value if inspect.isawaitable(value) else value


class WebChatInput(SocketIOInput):
    """Socket.io channel for the page in ``webchat/``; every message goes through the guard.

    credentials.yml keys: Rasa's socket.io keys (``user_message_evt``,
    ``bot_message_evt``, ``session_persistence``, ``socketio_path``,
    ``namespace``, ``jwt_key``, ``jwt_method``), the guard's keys,
    ``session_secret`` (at least 32 characters; default
    ``$WEBCHAT_SESSION_SECRET``, else ``build/webchat_session_secret``),
    ``cors_allowed_origins`` (default: the assistant's own origin only),
    ``greeting`` (the payload a new conversation starts with, default
    ``/greet``; empty for none), and
    ``page_dir`` / ``client_script`` to serve the page from elsewhere.
    Client metadata is not forwarded. ``history`` (tests) reads a
    conversation to restore; by default from the running server's tracker store.
    """

    def __init__(
        self,
        guard: MessageGuard,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: str | None = None,
        session_persistence: bool = True,
        socketio_path: str = "/socket.io",
        jwt_key: str | None = None,
        jwt_method: str = "HS256",
        page_dir: Path | None = None,
        client_script: Path | None = None,
        session_secret: str | None = None,
        secret_file: Path | None = None,
        cors_allowed_origins: None | str | Sequence[str] = None,
        greeting: str | None = DEFAULT_GREETING,
        history: HistoryFn = history_from_tracker_store,
    ) -> None:
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            session_persistence,
            socketio_path,
            jwt_key,
            jwt_method,
        )
        self.guard = guard
        self.page_dir = page_dir or ROOT / "webchat"
        self.client_script = client_script or ROOT / "node_modules/socket.io-client/dist/socket.io.min.js"
        # Read when the blueprint is built, so that creating the channel touches no file.
        self.session_secret = session_secret
        self.secret_file = secret_file
        self.cors_allowed_origins = allowed_origins(cors_allowed_origins)
        self.sessions: SessionTokens | None = None
        if greeting and not greeting.startswith("/"):
            raise ValueError(f"greeting must be a payload such as /greet, not {greeting!r}")
        self.greeting = greeting or None
        self.history = history

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = credentials or {}
        page_dir = settings.get("page_dir")
        client_script = settings.get("client_script")
        return cls(
            guard_from_credentials(settings),
            user_message_evt=settings.get("user_message_evt", "user_uttered"),
            bot_message_evt=settings.get("bot_message_evt", "bot_uttered"),
            namespace=settings.get("namespace"),
            session_persistence=bool(settings.get("session_persistence", True)),
            socketio_path=settings.get("socketio_path", "/socket.io"),
            jwt_key=settings.get("jwt_key"),
            jwt_method=settings.get("jwt_method", "HS256"),
            page_dir=Path(page_dir) if page_dir else None,
            client_script=Path(client_script) if client_script else None,
            session_secret=settings.get("session_secret"),
            cors_allowed_origins=settings.get("cors_allowed_origins"),
            greeting=settings.get("greeting", DEFAULT_GREETING),
        )

    def load_assets(self) -> dict[str, Asset]:
        """The files the page needs, by URL name; the page learns the socket settings from its body tag."""
        assets: dict[str, Asset] = {}
        page = _read(self.page_dir / "index.html")
        if page is not None:
            settings = {
                "__SOCKETIO_PATH__": self.socketio_path or "/socket.io",
                "__USER_MESSAGE_EVT__": self.user_message_evt,
                "__BOT_MESSAGE_EVT__": self.bot_message_evt,
            }
            text = page.decode("utf-8")
            for placeholder, value in settings.items():
                text = text.replace(placeholder, html.escape(value, quote=True))
            assets["index.html"] = Asset(text.encode("utf-8"), "text/html; charset=utf-8")
        for name, content_type in (
            ("chat.js", "text/javascript; charset=utf-8"),
            ("chat.css", "text/css; charset=utf-8"),
        ):
            body = _read(self.page_dir / name)
            if body is not None:
                assets[name] = Asset(body, content_type)
        client = _read(self.client_script)
        if client is None:
            logger.error("webchat: the socket.io client is missing; run 'npm ci' in the project root")
        else:
            assets["socket.io.min.js"] = Asset(client, "text/javascript; charset=utf-8")
        return assets

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Rebuilt rather than extended: Rasa's version calls the (later async) enter_room
        # without await, trusts the session id each message carries, and owns "/".
        sessions = SessionTokens(load_session_secret(self.session_secret, self.secret_file))
        self.sessions = sessions
        # None is python-engineio's same-origin check; never [] (that switches the check off).
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins)
        webchat = SocketBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)
        self.sio = sio
        namespace = self.namespace
        greeting = self.greeting

        async def stored_then_handled(message: UserMessage) -> None:
            # What the guard hands Rasa is what the tracker stores: the page shows it in the user's bubble.
            await sio.emit(STORED_EVT, {"text": message.text}, room=message.sender_id, namespace=namespace)
            await on_new_message(message)

        guarded = self.guard.wrap(stored_then_handled)
        assets = self.load_assets()

        def serve(name: str) -> HTTPResponse:
            asset = assets.get(name)
            if asset is None:
                return response.text("Not found", status=404, headers=_SECURITY_HEADERS)
            headers = dict(_SECURITY_HEADERS)
            if name == "index.html":
                headers["Content-Security-Policy"] = _PAGE_POLICY
            return response.raw(asset.body, content_type=asset.content_type, headers=headers)

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(request.path + "/")
            return serve("index.html")

        @webchat.route("/health", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webchat.route("/<name:str>", methods=["GET"])
        async def asset(_: Request, name: str) -> HTTPResponse:
            # The router hands ".../webchat/" here with an empty name.
            return serve(name or "index.html")

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(
                token and rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
            )

        async def greet(sender_id: str, payload: str) -> None:
            # Made by the channel, not typed: the guard passes it through as a payload.
            output = WebChatOutput(sio, self.bot_message_evt)
            await guarded(
                UserMessage(
                    payload,
                    output,
                    sender_id,
                    input_channel=self.name(),
                    metadata={CHANNEL_PAYLOAD: True},
                )
            )

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            # The browser sends back the token it was given ("session_id", as in Rasa's protocol).
            requested = data.get("session_id") if isinstance(data, dict) else None
            resumed = sessions.verify(requested)
            new = resumed is None
            if resumed is None:
                if requested:
                    logger.info("webchat: a session token this server did not issue was refused; new session")
                session_id, token = sessions.issue()
            else:
                session_id, token = resumed, str(requested)
            if self.session_persistence:
                for room in await _resolved(sio.rooms(sid, namespace=namespace)) or []:
                    if room != sid:
                        await _resolved(sio.leave_room(sid, room, namespace=namespace))
                await _resolved(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)
            if not new and self.session_persistence:
                # Only the conversation this verified token names, and only to this socket.
                items = await self.history(session_id)
                if items is not None:
                    await sio.emit(HISTORY_EVT, {"messages": items}, room=sid, namespace=namespace)
                new = items == []  # a forgotten conversation starts again with the greeting
            if new and greeting:
                await greet(session_id if self.session_persistence else sid, greeting)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if self.session_persistence:
                session = await sio.get_session(sid, namespace=namespace)
                sender_id = session.get("session_id")
                if not sender_id:
                    logger.warning("webchat: message before session_request; ignored")
                    return
            else:
                sender_id = sid
            text = data.get("message") if isinstance(data, dict) else None
            text = text if isinstance(text, str) else ""
            output = WebChatOutput(sio, self.bot_message_evt)
            page_made = text.strip() in PAGE_PAYLOADS
            message = UserMessage(
                text,
                output,
                sender_id,
                input_channel=self.name(),
                metadata={CHANNEL_PAYLOAD: True} if page_made else None,
            )
            await guarded(message)

        return webchat
