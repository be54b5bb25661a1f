"""The web chat: Rasa's socket.io channel, guarded, that also serves its own page.

Rasa mounts a custom channel's blueprint under ``/webhooks/<name()>``, so with
the default server the page is at ``http://<host>:5005/webhooks/webchat/``
(the socket.io endpoint stays at ``/socket.io``). The page, its script and
style, and the socket.io client from ``node_modules`` (installed by
``npm ci``) are read once when the blueprint is built and served from memory
under fixed names only, so no request can reach another file.
"""

from __future__ import annotations

import html
import inspect
import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import MessageGuard, guard_from_credentials

logger = logging.getLogger(__name__)

# Client-chosen conversation ids are accepted only in this shape; others get a fresh one.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

_SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'"
)


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


def _read(path: Path) -> Optional[bytes]:
    try:
        return path.read_bytes()
    except OSError:
        logger.error("webchat: cannot read %s; it will not be served", path)
        return None


async def _resolved(value: Any) -> Any:
    """python-socketio made some server methods coroutines after 5.9; accept either."""
    return await value if inspect.isawaitable(value) else value


class WebChatInput(SocketIOInput):
    """Socket.io channel for the page in ``webchat/``; every message goes through the guard.

    credentials.yml keys: Rasa's socket.io keys (``user_message_evt``,
    ``bot_message_evt``, ``session_persistence``, ``socketio_path``,
    ``namespace``, ``jwt_key``, ``jwt_method``), the guard's keys, and
    ``page_dir`` / ``client_script`` to serve the page from elsewhere.
    Client metadata is not forwarded.
    """

    def __init__(
        self,
        guard: MessageGuard,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: Optional[str] = None,
        session_persistence: bool = True,
        socketio_path: str = "/socket.io",
        jwt_key: Optional[str] = None,
        jwt_method: str = "HS256",
        page_dir: Optional[Path] = None,
        client_script: Optional[Path] = None,
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
        self.page_dir = page_dir or project_root() / "webchat"
        self.client_script = client_script or project_root() / "node_modules/socket.io-client/dist/socket.io.min.js"

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
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
        )

    def load_assets(self) -> Dict[str, Asset]:
        """The files the page needs, by URL name; the page learns the socket settings from its body tag."""
        assets: Dict[str, Asset] = {}
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
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        webchat = SocketBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)
        self.sio = sio
        guarded = self.guard.wrap(on_new_message)
        assets = self.load_assets()
        namespace = self.namespace

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
        async def connect(sid: str, environ: Dict[str, Any], auth: Optional[Dict[str, Any]] = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(
                token and rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
            )

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            if isinstance(requested, str) and _SESSION_ID.fullmatch(requested):
                session_id = requested
            else:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                for room in await _resolved(sio.rooms(sid, namespace=namespace)) or []:
                    if room != sid:
                        await _resolved(sio.leave_room(sid, room, namespace=namespace))
                await _resolved(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

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
            output = SocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(text if isinstance(text, str) else "", output, sender_id, input_channel=self.name())
            await guarded(message)

        return webchat
