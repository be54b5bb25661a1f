"""Delete conversations older than a number of days from Rasa's SQL tracker store.

A conversation (all events of one `sender_id`) is deleted when its LAST event
is older than the cutoff, so a conversation still in use is never cut in half.
Works on the embedded SQLite file and on any SQLAlchemy URL (PostgreSQL at
scale). Run it from cron or `make purge`:

    python -m bot.retention --days 30 [--db build/tracker.db] [--dry-run]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

DEFAULT_DAYS = 30
DEFAULT_DB = "build/tracker.db"

# Conversations whose newest event is older than the cutoff.
_EXPIRED = (
    "SELECT sender_id FROM events WHERE sender_id IS NOT NULL GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
)


class RetentionError(Exception):
    """The tracker store cannot be purged (missing file, no events table, bad URL)."""


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int


def purge(db_url_or_path: str | Path, days: int, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete (or with dry_run only count) the conversations whose last event is
    more than `days` days before `now` (default: the current time; a naive
    datetime is taken as UTC)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of at least 1, not {days!r}")
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    cutoff = (now - timedelta(days=days)).timestamp()
    engine = create_engine(_url(db_url_or_path), future=True)
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                raise RetentionError(f"no 'events' table in {_safe(db_url_or_path)}: is this Rasa's tracker store?")
            result = _count(connection, cutoff)
            if not dry_run and result.conversations:
                connection.execute(text(f"DELETE FROM events WHERE sender_id IN ({_EXPIRED})"), {"cutoff": cutoff})
            return result
    except SQLAlchemyError as error:
        raise RetentionError(f"cannot purge {_safe(db_url_or_path)}: {error}") from error
    finally:
        engine.dispose()


def _count(connection: Connection, cutoff: float) -> PurgeResult:
    row = connection.execute(
        text(
            f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM events WHERE sender_id IN ({_EXPIRED})"
        ),
        {"cutoff": cutoff},
    ).one()
    return PurgeResult(conversations=int(row[0]), events=int(row[1]))


def _url(db_url_or_path: str | Path) -> str:
    """A SQLAlchemy URL as given, or a path to an existing SQLite file.

    A missing file is an error: SQLite would silently create an empty one and
    the purge would report nothing to delete.
    """
    value = str(db_url_or_path)
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError as error:
            raise RetentionError(f"not a database URL: {_safe(value)}") from error
        return value
    path = Path(value)
    if not path.is_file():
        raise RetentionError(f"no tracker database at {path}")
    return f"sqlite:///{path.resolve()}"


def _safe(db_url_or_path: str | Path) -> str:
    """The URL without its password, for messages and logs."""
    value = str(db_url_or_path)
    if "://" not in value:
        return value
    try:
        return make_url(value).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _days_from_env() -> int:
    raw = os.environ.get("RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_DAYS
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"RETENTION_DAYS must be a whole number of days, not {raw!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.retention",
        description="Delete conversations whose last message is older than --days from the tracker store.",
    )
    parser.add_argument(
        "--days", type=int, default=None, help=f"keep this many days (default: $RETENTION_DAYS or {DEFAULT_DAYS})"
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("TRACKER_DB") or DEFAULT_DB,
        help=f"SQLite file or SQLAlchemy URL (default: $TRACKER_DB or {DEFAULT_DB})",
    )
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    args = parser.parse_args(argv)
    days = args.days if args.days is not None else _days_from_env()
    try:
        result = purge(args.db, days, dry_run=args.dry_run)
    except (ValueError, RetentionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{verb} {result.conversations} conversation(s), {result.events} event(s), "
        f"with no activity in the last {days} day(s) from {_safe(args.db)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
