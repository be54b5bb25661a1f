"""Fixtures that run the real assistant (action server + Rasa server)."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.e2e.servers import Assistant, MODEL, make_assistant


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """One assistant for the whole session, as `make run` starts it."""
    assert MODEL.exists(), "no trained model: run `make setup` first"
    running = make_assistant(tmp_path_factory.mktemp("assistant"))
    running.start_actions()
    running.start_rasa()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
