"""Rasa's REST channel, guarded: ``POST /webhooks/rest/webhook``.

The name stays ``rest`` so the URL and every REST client keep working.

The sender id names the conversation (the tracker), so it is checked before
anything reaches Rasa: a request without a usable ``sender`` -- missing,
empty, not a string, over 128 characters, or with control characters -- gets
``400`` and a JSON body ``{"error": "invalid_sender", "message": "..."}``
instead of being filed under Rasa's shared ``default`` conversation. A body
that is not a JSON object gets ``400`` with ``"error": "invalid_body"``.
Clients must send an unguessable id per conversation (e.g. a random UUID):
whoever knows a sender id can continue that conversation.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import MessageGuard, guard_from_credentials

MAX_SENDER_LENGTH = 128


class BadRestRequest(SanicException):
    """A request refused before it reaches Rasa; answered with a 400 JSON body."""

    status_code = 400
    quiet = True

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


def sender_problem(sender: Any) -> str | None:
    """What is wrong with a posted ``sender``, or None if it can name a conversation."""
    if sender is None:
        return "'sender' is required: send an unguessable id for each conversation, e.g. a random UUID"
    if not isinstance(sender, str):
        return f"'sender' must be a string, not {type(sender).__name__}"
    if not sender.strip():
        return "'sender' must not be empty"
    if len(sender) > MAX_SENDER_LENGTH:
        return f"'sender' must be at most {MAX_SENDER_LENGTH} characters"
    if not sender.isprintable():
        return "'sender' must not contain control or other non-printing characters"
    return None


def _body(request: Request) -> dict[str, Any]:
    """The JSON object posted; anything else is refused (it has no sender)."""
    try:
        body = request.json
    except InvalidUsage:  # Sanic's "Failed when parsing body as json"
        body = None
    if not isinstance(body, dict):
        raise BadRestRequest("invalid_body", 'the body must be a JSON object: {"sender": "...", "message": "..."}')
    return body


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
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(guard_from_credentials(credentials))

    async def _extract_sender(self, req: Request) -> str | None:
        # Rasa's handler calls this first, before it builds a message (streaming or not),
        # so raising here refuses the request before anything reaches Rasa or the tracker.
        sender = _body(req).get("sender")
        problem = sender_problem(sender)
        if problem is not None:
            raise BadRestRequest("invalid_sender", problem)
        return sender

    def _extract_message(self, req: Request) -> str | None:
        message = _body(req).get("message")
        return message if isinstance(message, str) else None

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Client metadata is never forwarded: it could carry identifying details."""
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = super().blueprint(self.guard.wrap(on_new_message))

        @rest.exception(BadRestRequest)
        async def refuse(_: Request, error: BadRestRequest) -> HTTPResponse:
            # Scoped to this blueprint's routes by Sanic; the text never quotes the request.
            return response.json({"error": error.error, "message": error.message}, status=400)

        return rest
