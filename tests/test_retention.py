"""Purging old conversations from the SQL tracker store (bot/retention.py)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.retention import PurgeResult, RetentionError, main, purge

# Relative to the real clock, because the CLI purges against the current time.
NOW = datetime.now(timezone.utc).replace(microsecond=0)

# The events table as Rasa 3.6's SQLTrackerStore creates it.
SCHEMA = """
CREATE TABLE events (
    id INTEGER NOT NULL PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)
"""


def days_ago(days: float) -> float:
    return (NOW - timedelta(days=days)).timestamp()


@pytest.fixture()
def tracker(tmp_path: Path) -> Path:
    """Three conversations: old (last event 40 days ago), recent (2 days ago), and
    mixed (started 90 days ago, last event 1 day ago)."""
    path = tmp_path / "tracker.db"
    events = [
        ("old", "user", days_ago(45)),
        ("old", "bot", days_ago(45)),
        ("old", "action", days_ago(40)),
        ("recent", "user", days_ago(2)),
        ("recent", "bot", days_ago(2)),
        ("mixed", "user", days_ago(90)),
        ("mixed", "bot", days_ago(90)),
        ("mixed", "user", days_ago(1)),
    ]
    with sqlite3.connect(path) as db:
        db.execute(SCHEMA)
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, '{}')",
            events,
        )
    return path


def senders(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id").fetchall())


def test_old_conversations_are_deleted_and_recent_ones_kept(tracker: Path) -> None:
    assert purge(tracker, days=30, now=NOW) == PurgeResult(conversations=1, events=3)
    assert senders(tracker) == {"recent": 2, "mixed": 3}


def test_a_conversation_with_old_and_recent_events_is_kept_whole(tracker: Path) -> None:
    purge(tracker, days=30, now=NOW)
    assert senders(tracker)["mixed"] == 3


def test_dry_run_counts_but_deletes_nothing(tracker: Path) -> None:
    before = senders(tracker)
    assert purge(tracker, days=30, now=NOW, dry_run=True) == PurgeResult(conversations=1, events=3)
    assert senders(tracker) == before


@pytest.mark.parametrize(
    ("days", "result", "left"),
    [
        (1, PurgeResult(2, 5), {"mixed"}),
        (3, PurgeResult(1, 3), {"recent", "mixed"}),
        (41, PurgeResult(0, 0), {"old", "recent", "mixed"}),
    ],
)
def test_the_cutoff_follows_days(tracker: Path, days: int, result: PurgeResult, left: set[str]) -> None:
    assert purge(tracker, days=days, now=NOW) == result
    assert set(senders(tracker)) == left


def test_purging_twice_deletes_nothing_more(tracker: Path) -> None:
    purge(tracker, days=30, now=NOW)
    assert purge(tracker, days=30, now=NOW) == PurgeResult(0, 0)


def test_a_naive_now_is_taken_as_utc(tracker: Path) -> None:
    assert purge(tracker, days=30, now=NOW.replace(tzinfo=None), dry_run=True) == PurgeResult(1, 3)


def test_sqlalchemy_urls_work(tracker: Path) -> None:
    assert purge(f"sqlite:///{tracker}", days=30, now=NOW) == PurgeResult(1, 3)


@pytest.mark.parametrize("days", [0, -1, True, 1.5])
def test_days_below_one_or_not_whole_are_rejected(tracker: Path, days: object) -> None:
    with pytest.raises(ValueError, match="days"):
        purge(tracker, days=days, now=NOW)  # type: ignore[arg-type]
    assert len(senders(tracker)) == 3


def test_a_missing_database_is_an_error_not_a_new_empty_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(RetentionError, match="no tracker database"):
        purge(missing, days=30)
    assert not missing.exists()


def test_a_database_without_events_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE something (id INTEGER)")
    with pytest.raises(RetentionError, match="no 'events' table"):
        purge(path, days=30)


def test_a_bad_url_is_an_error_without_the_password() -> None:
    with pytest.raises(RetentionError) as error:
        purge("postgresql://rasa:s3cret@127.0.0.1:1/rasa", days=30)
    assert "s3cret" not in str(error.value)


def test_cli_purges_with_days_from_the_environment(
    tracker: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 40-day-old conversation: kept with 60 days, deleted with the default 30.
    monkeypatch.setenv("RETENTION_DAYS", "60")
    assert main(["--db", str(tracker)]) == 0
    assert "deleted 0 conversation(s)" in capsys.readouterr().out
    monkeypatch.delenv("RETENTION_DAYS")
    assert main(["--db", str(tracker), "--dry-run"]) == 0
    assert "would delete 1 conversation(s), 3 event(s)" in capsys.readouterr().out
    assert len(senders(tracker)) == 3
    assert main(["--db", str(tracker), "--days", "30"]) == 0
    assert "deleted 1 conversation(s), 3 event(s)" in capsys.readouterr().out
    assert set(senders(tracker)) == {"recent", "mixed"}


def test_cli_reports_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--db", str(tmp_path / "nope.db")]) == 2
    assert "no tracker database" in capsys.readouterr().err
    assert main(["--db", str(tmp_path / "nope.db"), "--days", "0"]) == 2
    monkeypatch.setenv("RETENTION_DAYS", "thirty")
    with pytest.raises(SystemExit, match="RETENTION_DAYS"):
        main(["--db", str(tmp_path / "nope.db")])
