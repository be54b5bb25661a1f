"""Run a channel's blueprint in a real Sanic app on a free loopback port.

``serving(app)`` runs it in the current event loop (async tests);
``ServerThread(app)`` runs it in a thread of its own (browser tests, where
Playwright's sync API owns the main thread).
"""
from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from contextlib import asynccontextmanager
from typing import Any
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urljoin

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic


def make_app(channel: InputChannel, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Sanic:
    """The app as Rasa builds it: the blueprint under /webhooks/<url_prefix>."""
    # Sanic 21.12 rewrites some of its own methods when an app starts ("touch-up");
    # test mode keeps the originals so that several apps can start in one process.
    Sanic.test_mode = True
    app = Sanic(f"test_{uuid.uuid4().hex}", configure_logging=False)
    app.blueprint(channel.blueprint(on_new_message), url_prefix=urljoin("/webhooks/", channel.url_prefix()))
    return app


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[str]:
    """Yields the base URL, e.g. http://127.0.0.1:40123."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        # Drop open connections (websockets too), as when the server process ends.
        for connection in list(server.connections):
            if connection.transport is not None:
                connection.transport.abort()
        server.close()
        await server.wait_closed()
        await server.after_stop()


class ServerThread:
    """A Sanic app served from a background thread until ``stop()``."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.base_url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("the test server did not start within 20 s")
        if self._error is not None:
            raise RuntimeError("the test server failed to start") from self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with serving(self.app) as base_url:
                self.base_url = base_url
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)
