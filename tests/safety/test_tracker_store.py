"""The tracker store: it forgets a conversation on request and refuses a broken database."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import FORGET_SLOT, StrictSQLTrackerStore, TrackerStoreUnreachable, wants_forgetting

DOMAIN = Domain.from_dict({"slots": {FORGET_SLOT: {"type": "bool", "mappings": [{"type": "custom"}]}}})


def turn(tracker: DialogueStateTracker, text: str, *extra: object) -> None:
    tracker.update(UserUttered(text))
    for event in extra:
        tracker.update(event)  # type: ignore[arg-type]
    tracker.update(ActionExecuted("utter_x"))
    tracker.update(BotUttered("reply"))
    tracker.update(ActionExecuted("action_listen"))


def rows(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])


def test_a_turn_that_asks_to_forget_deletes_the_whole_conversation(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    turn(tracker, "my pupil is always hungry")
    asyncio.run(store.save(tracker))
    other = DialogueStateTracker("someone-else", DOMAIN.slots)
    turn(other, "what is neglect")
    asyncio.run(store.save(other))
    assert rows(db) > 0 and asyncio.run(store.retrieve("someone")) is not None

    turn(tracker, "forget this conversation", SlotSet(FORGET_SLOT, True))
    assert wants_forgetting(tracker)
    asyncio.run(store.save(tracker))

    assert asyncio.run(store.retrieve("someone")) is None
    with sqlite3.connect(db) as connection:
        texts = [row[0] for row in connection.execute("SELECT data FROM events")]
    assert not any("hungry" in text or "forget this" in text for text in texts)
    assert asyncio.run(store.retrieve("someone-else")) is not None  # only that conversation goes


def test_only_the_latest_turn_counts() -> None:
    tracker = DialogueStateTracker("x", DOMAIN.slots)
    turn(tracker, "forget it", SlotSet(FORGET_SLOT, True))
    turn(tracker, "hello again")
    assert not wants_forgetting(tracker)


def test_a_corrupt_sqlite_database_refuses_to_start(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TrackerStoreUnreachable):
        StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))


def test_readiness_fails_when_the_database_goes_missing_or_corrupt(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    store.ping()
    db.unlink()
    with pytest.raises(FileNotFoundError):
        store.ping()
    db.write_bytes(b"garbage" * 1000)
    store.engine.dispose()
    with pytest.raises(Exception):
        store.ping()
