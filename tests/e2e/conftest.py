"""Fixtures that run the real assistant (action server + Rasa server)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.processes import Assistant, MODEL, make_assistant

IN_HOURS = "2026-11-18T11:00:00+00:00"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """One assistant for the whole session, as `make run` starts it."""
    assert MODEL.exists(), "no trained model: run `make setup` first"
    # A weekday morning, so the routing to in-hours contacts is deterministic
    # (out-of-hours routing is tested on the knowledge store directly).
    running = make_assistant(tmp_path_factory.mktemp("assistant"),
                             {"ASSISTANT_NOW": IN_HOURS})
    running.start_actions()
    running.start_rasa()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
