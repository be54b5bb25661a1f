"""Tracker and lock stores: the embedded default and the scaled set-up.

- `SQLiteLockStore` (the embedded default, one machine): the conversation
  locks in a small SQLite file, so that the Sanic workers of one Rasa server
  (separate processes, one per core) never handle two messages of one
  conversation at once. Rasa's in-memory lock store is per process, so Rasa
  allows one worker only with it. Every read-modify-write of a lock is one
  `BEGIN IMMEDIATE` transaction: atomic across processes.

- `AtomicRedisLockStore`: Rasa's open-source RedisLockStore reads a lock,
  changes it in Python and writes it back (RasaHQ/rasa#9213), so two replicas
  handling messages of one conversation at the same moment can both get the
  lock and a user turn is lost. Here every change is a single Redis command:
  tickets come from INCR (unique, ordered) and live in a sorted set; a ticket
  expires through its own key's TTL. Nothing is read-modified-written.
- `StrictSQLTrackerStore` (the embedded SQLite default and the scaled
  PostgreSQL set-up): Rasa logs an unreachable or corrupt tracker database and
  carries on in memory, so conversations are silently neither kept nor
  shared. This store checks the database at start and exits with a clear
  message instead; `ping()` is what the readiness check calls. It also
  forgets: when a turn set the `forget_conversation` slot ("forget this
  conversation", "stop"), it deletes every stored event of that conversation
  instead of saving the turn. And it keeps the session Rasa works on short
  (`session_checkpoint`): on every message Rasa reads the whole current
  session from the database, rebuilds every event and re-derives the dialogue
  state from all of them, so a turn cost grew by about 1 ms per earlier turn
  (py-spy, docs/benchmarks.md). Nothing is deleted: older sessions stay
  stored, and readers that need the whole conversation (the web chat's
  restore) read it with `retrieve_full_tracker`. It also rebuilds events
  without Rasa's per-event search of every Event subclass (`events`).
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

COUNTER_TTL_SECONDS = 24 * 3600
ISSUE_TICKET_LUA = """
local number = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3] .. number, ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], number, number)
redis.call('EXPIRE', KEYS[2], ARGV[3])
return number
"""


class AtomicRedisLockStore(RedisLockStore):
    """A ticket lock whose every change is one atomic Redis command.

    Configure in endpoints: `lock_store: {type: bot.stores.AtomicRedisLockStore,
    url: <host>, port: 6379, db: 1, password: ${REDIS_PASSWORD}}`.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs.pop("type", None)
        super().__init__(**kwargs)

    def _key(self, conversation_id: str, part: str) -> str:
        return f"{self.key_prefix}{conversation_id}:{part}"

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._issue(
                keys=[self._key(conversation_id, "counter"), self._key(conversation_id, "tickets"),
                      self._key(conversation_id, "ticket:")],
                args=[time.time() + lock_lifetime, int(lock_lifetime * 1000), COUNTER_TTL_SECONDS],
            ))
        except Exception as error:  # Rasa expects LockError from issue_ticket
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @property
    def _issue(self) -> Any:
        """The Lua script that takes a number and queues it, as one atomic step:
        a number taken but not yet queued would let a later ticket be served
        first, and two replicas would then hold the lock together."""
        script = getattr(self, "_issue_script", None)
        if script is None:
            script = self._issue_script = self.red.register_script(ISSUE_TICKET_LUA)
        return script

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        numbers = [int(n) for n in self.red.zrange(self._key(conversation_id, "tickets"), 0, -1)]
        if not numbers:
            return None
        expiries = self.red.mget([self._key(conversation_id, f"ticket:{n}") for n in numbers])
        tickets = deque(
            Ticket(number, float(expires)) for number, expires in zip(numbers, expiries) if expires
        )
        expired = [str(n) for n, e in zip(numbers, expiries) if not e]
        if expired:
            self.red.zrem(self._key(conversation_id, "tickets"), *expired)
        return TicketLock(conversation_id, tickets) if tickets else None

    def update_lock(self, conversation_id: str) -> None:
        self.get_lock(conversation_id)  # drops expired tickets, atomically per ticket

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("tickets are written one Redis command at a time")

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        pipe = self.red.pipeline(transaction=True)
        pipe.zrem(self._key(conversation_id, "tickets"), str(ticket_number))
        pipe.delete(self._key(conversation_id, f"ticket:{ticket_number}"))
        pipe.execute()

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Never delete the whole lock: another replica may have just taken a
        # ticket. An empty sorted set disappears from Redis by itself.
        self.finish_serving(conversation_id, ticket_number)

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self._key(conversation_id, "tickets"))


class SQLiteLockStore(LockStore):
    """Conversation locks shared by the processes of one machine, in a SQLite file.

    Configure in endpoints: `lock_store: {type: bot.stores.SQLiteLockStore, db: <path>}`.
    Each process opens its own connection (a forked worker must not share its
    parent's). Rasa's base class reads a lock, changes it in Python and saves
    it; here each of those sequences runs inside one write transaction.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, db: str | None = None) -> None:
        path = db or (endpoint_config.kwargs.get("db") if endpoint_config is not None else None)
        if not path:
            raise ValueError("SQLiteLockStore needs `db`: the path of its SQLite file")
        self.path = Path(str(path))
        self._connection: sqlite3.Connection | None = None
        self._pid = -1
        self._depth = 0
        self._open()  # fails at start, not at the first message, on a path that cannot be written

    def _open(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            # Locks live only while a message is handled: a write need not reach the disk before
            # the next one (no fsync per lock; in WAL mode the file stays sound after a crash).
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, data TEXT NOT NULL)")
            self._connection, self._pid, self._depth = connection, os.getpid(), 0
        return self._connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested calls (cleanup -> finish_serving) join the outer one."""
        connection = self._open()
        if self._depth:
            self._depth += 1
            try:
                yield connection
            finally:
                self._depth -= 1
            return
        connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        row = self._open().execute("SELECT data FROM locks WHERE conversation_id = ?", (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def save_lock(self, lock: TicketLock) -> None:
        self._open().execute("INSERT OR REPLACE INTO locks (conversation_id, data) VALUES (?, ?)",
                             (lock.conversation_id, lock.dumps()))

    def delete_lock(self, conversation_id: str) -> None:
        self._open().execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._transaction():
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._transaction():
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._transaction():
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._transaction():
            super().cleanup(conversation_id, ticket_number)


class TrackerStoreUnreachable(SystemExit):
    """Raised at start when the tracker database cannot be reached.

    A SystemExit, because Rasa catches ordinary exceptions here and carries on
    with an in-memory store that no other replica can see.
    """


FORGET_SLOT = "forget_conversation"
# Set while the "am I worried?" questions are offered beside an answer (data/stories).
OFFER_SLOT = "triage_offered"


def wants_forgetting(tracker: DialogueStateTracker) -> bool:
    """True when the latest turn set the forget slot (see domain: it maps from the
    intent), and did not unset it again ("stop" in the triage asks first)."""
    for event in reversed(tracker.events):
        if isinstance(event, SlotSet) and event.key == FORGET_SLOT:
            return bool(event.value)
        if isinstance(event, UserUttered):
            return False
    return False


@cache
def _event_class(type_name: str) -> type[Event] | None:
    """Rasa's own lookup (`Event.resolve_by_type`), once per type name: it walks
    every subclass of Event, asking `inspect` of each, for every stored event
    (13 % of a typed turn in py-spy, 29 % at turn 150)."""
    try:
        return Event.resolve_by_type(type_name)
    except ValueError:
        return None


def events(dicts: Iterable[dict[str, Any]]) -> list[Event]:
    """Stored events rebuilt as Rasa's `deserialise_events` does (unknown ones left out)."""
    rebuilt = []
    for data in dicts:
        name = data.get("event")
        cls = _event_class(name) if isinstance(name, str) else None
        event = cls._from_parameters(data) if cls is not None else None
        if event is not None:
            rebuilt.append(event)
        elif name is not None:
            logger.warning("tracker store: a stored event of unknown type %r was left out", name)
    return rebuilt


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """An event as a row of Rasa's `events` table, as `SQLTrackerStore.save` writes it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


# A session this long (about ten questions and answers) is carried over into a
# new one at the next message; the cost of a turn then stays near that of turn 10.
CHECKPOINT_AFTER_EVENTS = 100


def session_checkpoint(
    tracker: DialogueStateTracker, domain: Domain, now: float, after_events: int = CHECKPOINT_AFTER_EVENTS
) -> list[Event] | None:
    """The events that start a new session carrying this one's state over, or None.

    None unless the session is long, at rest between turns (the last action
    listened, no form active: a form's own state lives in its events) and not
    expired: an expired session is left to Rasa, which starts a fresh one
    without carrying anything over (domain `session_config`). The events are
    those of Rasa's own session start with the slots carried over: a session
    start, every slot that differs from its initial value, then listening.
    The forget slot is never carried: it belongs to the turn that set it. Nor is a session
    carried over while an offer waits for its answer (OFFER_SLOT): the stories that take a
    typed "yes" or "no" to it (data/stories) read the turn before.
    """
    if len(tracker.events) < after_events:
        return None
    last = tracker.events[-1]
    if not isinstance(last, ActionExecuted) or last.action_name != ACTION_LISTEN_NAME:
        return None
    if tracker.active_loop_name or tracker.followup_action or tracker.get_slot(OFFER_SLOT):
        return None
    last_message = tracker.get_last_event_for(UserUttered)
    config = domain.session_config
    if last_message is None or (
        config.are_sessions_enabled() and now - last_message.timestamp > config.session_expiration_time * 60
    ):
        return None
    # After every stored event, even if another replica's clock is a little ahead:
    # Rasa finds the latest session by the timestamp of its start.
    start = max([now] + [event.timestamp for event in tracker.events]) + 1e-6
    carried = [
        SlotSet(name, slot.value, timestamp=start)
        for name, slot in tracker.slots.items()
        if name != FORGET_SLOT and slot.value != slot.initial_value
    ]
    return [SessionStarted(timestamp=start), *carried, ActionExecuted(ACTION_LISTEN_NAME, timestamp=start)]


def _sqlite_connected(connection: Any, record: Any) -> None:
    """A new SQLite connection of the tracker store: no fsync per commit (see
    `StrictSQLTrackerStore._share_between_processes`), and the process that opened it."""
    connection.execute("PRAGMA synchronous=NORMAL")
    record.info["pid"] = os.getpid()


def _checked_out_in_its_process(connection: Any, record: Any, proxy: Any) -> None:
    """Never hand a forked process its parent's connection: SQLAlchemy then opens a new one."""
    import sqlalchemy.exc

    if record.info.get("pid") != os.getpid():
        record.dbapi_connection = proxy.dbapi_connection = None
        raise sqlalchemy.exc.DisconnectionError("a connection opened by another process")


class StrictSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that refuses to run without a working database, forgets on
    request and keeps the session Rasa reads short."""

    engine: Any  # Rasa's SQLAlchemy engine; for a SQLite file, rebuilt with a pool (`_share_between_processes`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._checkpointing: set[str] = set()
        try:
            super().__init__(*args, **kwargs)
            self.ping(thorough=True)
            self._share_between_processes()
            self._index_sessions()
        except Exception as error:
            logger.critical("tracker store unusable: %s", type(error).__name__)
            raise TrackerStoreUnreachable(
                f"The tracker database cannot be reached or used ({type(error).__name__}: {error}). "
                "Refusing to start: conversations would be neither kept nor shared."
            ) from error

    def ping(self, thorough: bool = False) -> None:
        """Raise if the database does not answer a read of the events table.

        For SQLite the file must still exist (a deleted file would be recreated
        empty) and, at start (`thorough`), pass SQLite's quick integrity check.
        """
        import sqlalchemy as sa

        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            if not Path(url.database).is_file():
                raise FileNotFoundError(f"the SQLite tracker database {url.database} is missing")
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT max(id) FROM events")).fetchall()
            if thorough and url.get_backend_name() == "sqlite":
                result = connection.execute(sa.text("PRAGMA quick_check")).scalar()
                if result != "ok":
                    raise RuntimeError(f"the SQLite tracker database failed its integrity check: {result}")

    def _share_between_processes(self) -> None:
        """For a SQLite file: write-ahead logging, so that one worker's reads never wait for
        another's write (a property of the file, set once); and connections kept open.

        SQLAlchemy 1.4 opens a new connection to a SQLite file for every use (NullPool),
        and each new connection reads the schema again: about a third of reading and
        saving a turn. The engine is rebuilt with a pool of connections, each checked to
        belong to the process that opened it (SQLAlchemy's recipe for pools and forked
        processes) and set to SQLite's `synchronous=NORMAL`: in WAL mode a commit then
        waits for no fsync, the file stays sound after a crash, and only a power cut can
        lose the latest turns.
        """
        import sqlalchemy as sa

        url = self.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return
        with self.engine.connect() as connection:
            connection.execute(sa.text("PRAGMA journal_mode=WAL"))
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=8,
                                       connect_args={"check_same_thread": False, "timeout": 10.0})
        sa.event.listen(self.engine, "connect", _sqlite_connected)
        sa.event.listen(self.engine, "checkout", _checked_out_in_its_process)
        self.sessionmaker.configure(bind=self.engine)

    def _index_sessions(self) -> None:
        """Indexes for Rasa's selection of a conversation's latest session (`_queries`): its
        start is the latest `session_started` of the sender, and its events those stored since.
        Rasa's table indexes the sender alone, so both scanned every event of the conversation
        on every message, however many sessions it had.

        Created once, on any SQL database. The workers (and replicas) start at the same time
        and may race to create them: an index another process has just created is no error.
        """
        import sqlalchemy as sa

        table = self.SQLEvent.__table__
        for index in (sa.Index("events_sender_type_time", table.c.sender_id, table.c.type_name, table.c.timestamp),
                      sa.Index("events_sender_time", table.c.sender_id, table.c.timestamp)):
            try:
                index.create(self.engine, checkfirst=True)
            except sa.exc.DBAPIError:
                names = {i["name"] for i in sa.inspect(self.engine).get_indexes(table.name)}
                if index.name not in names:
                    raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn, or, when it asked to forget the conversation, delete all of it."""
        if wants_forgetting(tracker):
            self.forget(tracker.sender_id)
            return
        await self._store(tracker)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's current session; a long one is first carried over into a new one.

        Rasa's processor calls this under the conversation's lock, as the first
        step of a turn, so the new session is written before anything else of
        the turn. (Rasa's session is found by its start's timestamp; the
        checkpoint's events are stored through Rasa's own `save`, which writes
        the events the stored session does not have yet.)
        """
        tracker = self._load(sender_id, all_sessions=False)
        if tracker is None or sender_id in self._checkpointing:
            return tracker
        checkpoint = session_checkpoint(tracker, self.domain, time.time())
        if checkpoint is None:
            return tracker
        self._checkpointing.add(sender_id)  # an event broker's diff re-reads the stored session
        try:
            for event in checkpoint:
                tracker.update(event)
            await self._store(tracker)
        finally:
            self._checkpointing.discard(sender_id)
        logger.debug("tracker store: a long session was carried over into a new one (%d events)", len(checkpoint))
        return DialogueStateTracker.from_events(sender_id, checkpoint, self.domain.slots)

    def latest_events(self, sender_id: str, limit: int = 100) -> list[Event]:
        """The last `limit` stored events of a conversation, across sessions, oldest first
        (what was offered in the latest turn, without rebuilding the whole session)."""
        with self.session_scope() as session:
            rows = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .order_by(self.SQLEvent.id.desc())
                .limit(limit)
                .all()
            )
            dicts = [json.loads(row.data) for row in reversed(rows)]
        return events(dicts)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every session of the conversation (nothing is carried over here)."""
        return self._load(conversation_id, all_sessions=True)

    @cached_property
    def _queries(self) -> dict[str, Any]:
        """Rasa's selection of a conversation's events (`_event_query`: those from the start of
        its latest session, by timestamp, or all of them; in stored order) and their count, as
        Core statements built once: the same SQL, without building a query and ORM objects on
        every message (together a third of reading a turn)."""
        import sqlalchemy as sa

        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        every = sa.select(table.c.data).where(table.c.sender_id == sender)
        start = (sa.select(sa.func.max(table.c.timestamp))
                 .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
                 .scalar_subquery())
        session = every.where(sa.or_(table.c.timestamp >= start, start.is_(None)))
        return {
            "all": every.order_by(table.c.id),
            "session": session.order_by(table.c.id),
            "count": sa.select(sa.func.count()).select_from(session.subquery()),
            "insert": table.insert(),
        }

    def _load(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        """The stored events rebuilt with `events`; None when nothing is stored."""
        with self.engine.connect() as connection:
            rows = connection.execute(self._queries["all" if all_sessions else "session"], {"sender_id": sender_id})
            dicts = [json.loads(data) for data, in rows]
        if not dicts or self.domain is None:
            return None
        return DialogueStateTracker.from_events(sender_id, events(dicts), self.domain.slots)

    async def _store(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `SQLTrackerStore.save` in Core statements: stream the events to the broker, then
        insert those after the ones the current session already holds, in one transaction."""
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            stored = connection.execute(self._queries["count"], {"sender_id": tracker.sender_id}).scalar_one()
            rows = [_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                connection.execute(self._queries["insert"], rows)

    def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; return how many were deleted."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("tracker store: a conversation was forgotten on request (%d events deleted)", deleted)
        return int(deleted)


def unwrapped(store: Any) -> Any:
    """The configured tracker store inside Rasa's wrappers (`FailSafeTrackerStore`, and
    the agent's own), so that its own methods (`ping`, `latest_events`) can be called."""
    for _ in range(2):
        store = getattr(store, "_tracker_store", store)
    return store


async def latest_turn_events(store: Any, sender_id: str) -> list[Event]:
    """The stored events of a conversation's latest turns: a short query where the store
    has one, else the current session."""
    latest = getattr(unwrapped(store), "latest_events", None)
    if latest is not None:
        return list(latest(sender_id))
    tracker = await store.retrieve(sender_id)
    return list(tracker.events) if tracker is not None else []

