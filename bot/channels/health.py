"""A readiness check for load balancers: /webhooks/health/ready.

200 when the model is loaded and the tracker database answers; 503 when not
(Rasa would otherwise keep answering from memory, invisible to other
replicas). /webhooks/health/live is 200 while the process serves requests.
"""
from __future__ import annotations

import asyncio
from typing import Any
from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.stores import unwrapped


class HealthInput(InputChannel):
    """Not a conversation channel: it only reports whether this replica is ready."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        health = Blueprint("health_check", __name__)

        @health.route("/live", methods=["GET"])
        async def live(_: Request) -> HTTPResponse:
            return response.json({"status": "live"})

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "loading"}, status=503)
            store = unwrapped(agent.tracker_store)
            ping = getattr(store, "ping", None)
            if ping is not None:
                try:
                    await asyncio.get_running_loop().run_in_executor(None, ping)
                except Exception as error:  # any failure means "not ready"
                    return response.json({"status": "tracker store unreachable",
                                          "error": type(error).__name__}, status=503)
            return response.json({"status": "ready", "tracker_store": type(store).__name__})

        return health
