"""The tracker store's Core statements (bot/stores.py `_queries`, `_store`) read and write
what Rasa's own SQLTrackerStore does: the same rows, the same session."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import StrictSQLTrackerStore

DOMAIN = Domain.from_dict({"slots": {"area": {"type": "text", "mappings": [{"type": "custom"}]}},
                           "intents": ["greet", "ask_question"]})


def conversation(sessions: int = 2, turns: int = 3) -> DialogueStateTracker:
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    clock = 1_000.0
    for session in range(sessions):
        tracker.update(SessionStarted(timestamp=clock))
        tracker.update(ActionExecuted("action_listen", timestamp=clock))
        for turn in range(turns):
            clock += 1
            tracker.update(UserUttered(f"question {session}.{turn}", {"name": "ask_question", "confidence": 0.9},
                                       timestamp=clock))
            tracker.update(ActionExecuted("action_answer_question", timestamp=clock))
            tracker.update(SlotSet("area", "coventry", timestamp=clock))
            tracker.update(BotUttered(f"answer {turn}", timestamp=clock))
            tracker.update(ActionExecuted("action_listen", timestamp=clock))
        clock += 1
    return tracker


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id").fetchall()


def test_a_turn_is_stored_and_read_back_as_rasa_does(tmp_path: Path) -> None:
    ours = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    for store in (ours, rasas):
        asyncio.run(store.save(conversation()))
        # As Rasa handles a message: the latest session is read, the turn added, the tracker saved.
        tracker = asyncio.run(store.retrieve("someone"))
        assert tracker is not None
        tracker.update(UserUttered("one more", {"name": "greet", "confidence": 0.8}, timestamp=2_000.0))
        tracker.update(ActionExecuted("utter_greet", timestamp=2_000.0))
        asyncio.run(store.save(tracker))
    assert rows(tmp_path / "ours.db") == rows(tmp_path / "rasa.db")
    assert len(rows(tmp_path / "ours.db")) == len(conversation().events) + 2  # only the new events were added
    read, expected = asyncio.run(ours.retrieve("someone")), asyncio.run(rasas.retrieve("someone"))
    assert read is not None and expected is not None
    assert [e.as_dict() for e in read.events] == [e.as_dict() for e in expected.events]
    assert isinstance(read.events[0], SessionStarted) and read.events[0].timestamp == 1_004.0  # the latest session
    full = asyncio.run(ours.retrieve_full_tracker("someone"))
    assert full is not None and len(full.events) == len(conversation().events) + 2


def test_nothing_stored_reads_as_none(tmp_path: Path) -> None:
    ours = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    assert asyncio.run(ours.retrieve("nobody")) is None


def test_sqlite_connections_are_kept_open_without_an_fsync_per_commit(tmp_path: Path) -> None:
    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    asyncio.run(store.save(conversation()))
    assert asyncio.run(store.retrieve("someone")) is not None
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert store.engine.pool.checkedin() >= 1  # a pool, not a new connection per use


def test_a_forked_process_opens_its_own_connection(tmp_path: Path) -> None:
    """A Sanic worker forked after the store opened a connection never uses its parent's."""
    import multiprocessing

    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    asyncio.run(store.save(conversation()))

    def child(results: Any) -> None:
        tracker = asyncio.run(store.retrieve("someone"))
        assert tracker is not None
        tracker.update(UserUttered("from the child", {"name": "greet", "confidence": 0.8}, timestamp=3_000.0))
        asyncio.run(store.save(tracker))
        results.put(len(tracker.events))

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=child, args=(results,))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    assert results.get(timeout=5) > 0
    assert "from the child" in [json.loads(row[5]).get("text") for row in rows(tmp_path / "ours.db")]
    tracker = asyncio.run(store.retrieve("someone"))  # the parent's pooled connection still works
    assert tracker is not None and tracker.latest_message is not None
    assert tracker.latest_message.text == "from the child"


def test_the_latest_session_is_found_by_index(tmp_path: Path) -> None:
    """Rasa indexes the sender alone; finding a session's start scanned the whole conversation."""
    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))  # a second start: no error
    with sqlite3.connect(tmp_path / "ours.db") as connection:
        names = {name for name, in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        plan = " ".join(str(row) for row in connection.execute(
            "EXPLAIN QUERY PLAN SELECT max(timestamp) FROM events WHERE sender_id = 'x' AND type_name = 'session_started'"))
    assert {"events_sender_type_time", "events_sender_time"} <= names
    assert "events_sender_type_time" in plan
    asyncio.run(store.save(conversation()))
    assert asyncio.run(store.retrieve("someone")) is not None


def test_workers_starting_together_may_race_to_create_the_indexes(tmp_path: Path, monkeypatch: Any) -> None:
    """Two Sanic workers start at once: the second to create an index finds it made, and starts."""
    import sqlalchemy as sa

    first = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    assert first is not None
    # As if this process checked before the other created them: it tries to create them again.
    monkeypatch.setattr(sa.Index, "create", lambda self, bind, checkfirst=False: bind.execute(
        sa.schema.CreateIndex(self)))
    second = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    asyncio.run(second.save(conversation()))
    assert asyncio.run(second.retrieve("someone")) is not None
