"""Rasa's REST channel, guarded: ``POST /webhooks/rest/webhook``.

The name stays ``rest`` so the URL and every REST client keep working.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request

from bot.channels.guard import MessageGuard, guard_from_credentials


def _body(request: Request) -> Dict[str, Any]:
    """The JSON object posted, or an empty one (an empty or non-object body gets the empty-input prompt)."""
    body = request.json
    return body if isinstance(body, dict) else {}


class SafeRestInput(RestInput):
    """``RestInput`` whose messages pass through the :class:`MessageGuard`.

    Configured in credentials.yml as ``bot.channels.rest.SafeRestInput`` with
    the guard's keys (``reply_deadline_seconds``, ``knowledge_dir``).
    """

    def __init__(self, guard: MessageGuard) -> None:
        self.guard = guard

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls(guard_from_credentials(credentials))

    async def _extract_sender(self, req: Request) -> Optional[str]:
        sender = _body(req).get("sender")
        return str(sender) if sender is not None else None

    def _extract_message(self, req: Request) -> Optional[str]:
        message = _body(req).get("message")
        return message if isinstance(message, str) else None

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[str, Any]]:
        """Client metadata is never forwarded: it could carry identifying details."""
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(self.guard.wrap(on_new_message))
