"""Read-only queries over the compiled knowledge database.

Open it once with `KnowledgeStore.open(path)` and hand the store to whoever
needs it. Every method returns the frozen models of `bot.knowledge.models`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
import json
import re
import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import pathname2url
from zoneinfo import ZoneInfo

from bot.knowledge.models import (
    Area,
    ContactPlan,
    Document,
    GuidanceItem,
    Guide,
    Level,
    Lexicon,
    LexiconEntry,
    OfficeHours,
    OutOfScope,
    Role,
    Route,
    SearchHit,
    Source,
    from_data,
    normalise,
)

REBUILD = "rebuild it with `python -m bot.knowledge build` (or `make knowledge`)"
TABLES = (
    "meta",
    "sources",
    "areas",
    "routes",
    "national_routes",
    "levels",
    "next_steps",
    "guidance",
    "guides",
    "roles",
    "lexicon",
    "out_of_scope",
)
LONDON = "Europe/London"
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Search accepts any text: only word tokens reach FTS5, each quoted, a bounded number of them.
MAX_QUERY_CHARS = 2000
MAX_TOKENS = 16
MAX_TOKEN_CHARS = 40
MAX_LIMIT = 50
T = TypeVar("T")


class KnowledgeUnavailable(Exception):
    """The knowledge database is missing, corrupt or empty; the message says how to rebuild it."""


def query_tokens(text: str) -> list[str]:
    """Distinct lower-case word tokens of `text`, safe to quote into an FTS5 MATCH."""
    words = re.split(r"[\W_]+", text[:MAX_QUERY_CHARS].lower())
    tokens = [w for w in dict.fromkeys(words) if w and len(w) <= MAX_TOKEN_CHARS and (len(w) > 1 or w.isdigit())]
    return tokens[:MAX_TOKENS]


def is_open(hours: OfficeHours, local: datetime) -> bool:
    """Whether `local` (a Europe/London time) falls within the office hours."""
    span = hours.days.get(DAY_KEYS[local.weekday()])
    return span is not None and span.start <= local.strftime("%H:%M") < span.end


def plan_contacts(area: Area | None, national: Mapping[str, Route], when: datetime) -> ContactPlan:
    """Who to contact for `area` at `when` (timezone-aware, read in Europe/London).

    `national` holds the national routes by id ("emergency", "nspcc", "non_emergency").
    A pure function of the records, so the Rasa server can use it without the database.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("contacts() needs a timezone-aware datetime")
    local = when.astimezone(ZoneInfo(LONDON))
    emergency, nspcc, non_emergency = (national[k] for k in ("emergency", "nspcc", "non_emergency"))
    if area is None:
        return ContactPlan(
            area=None,
            local_time=local,
            in_office_hours=False,
            office_hours_known=False,
            office_hours_note="",
            now_route=nspcc,
            emergency=emergency,
            nspcc=nspcc,
            non_emergency=non_emergency,
            needs_area=True,
        )
    in_hours = is_open(area.office_hours, local)
    front_door, out_of_hours = area.routes.get("front_door"), area.routes.get("out_of_hours")
    now = (front_door or out_of_hours) if in_hours else (out_of_hours or front_door)
    if now is None:  # the validator requires one of the two for every area
        raise KnowledgeUnavailable(f"area {area.id} has no front door or out-of-hours route: {REBUILD}")
    return ContactPlan(
        area=area,
        local_time=local,
        in_office_hours=in_hours,
        office_hours_known=area.office_hours.known,
        office_hours_note=area.office_hours.note,
        now_route=now,
        emergency=emergency,
        nspcc=nspcc,
        non_emergency=non_emergency,
        front_door=front_door,
        out_of_hours=out_of_hours,
        early_help=area.routes.get("early_help"),
        escalation=area.routes.get("escalation"),
    )


class KnowledgeStore:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._lock = threading.Lock()
        self.path = path
        # Decoded records by query: the database is read-only and a rebuild
        # replaces the file (this connection keeps the one it opened), so a
        # query's answer never changes while the store is open. Decoding the
        # JSON into typed records is most of a query's cost (an area: ~1 ms).
        self._decoded: dict[tuple[Any, ...], list[Any]] = {}

    @classmethod
    def open(cls, path: Path) -> KnowledgeStore:
        """Open the database read-only, checking that it is a complete build."""
        if not path.is_file():
            raise KnowledgeUnavailable(f"knowledge database {path} is missing: {REBUILD}")
        if path.stat().st_size == 0:
            raise KnowledgeUnavailable(f"knowledge database {path} is empty: {REBUILD}")
        uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise KnowledgeUnavailable(f"knowledge database {path} cannot be opened ({exc}): {REBUILD}") from exc
        try:
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = sorted(set(TABLES) - names)
            if missing:
                raise KnowledgeUnavailable(f"knowledge database {path} is incomplete (no {', '.join(missing)}): {REBUILD}")
            if not connection.execute("SELECT 1 FROM guidance LIMIT 1").fetchone() or not connection.execute(
                "SELECT 1 FROM national_routes WHERE id = 'emergency'"
            ).fetchone():
                raise KnowledgeUnavailable(f"knowledge database {path} has no content: {REBUILD}")
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise KnowledgeUnavailable(f"knowledge database {path} is corrupt ({exc}): {REBUILD}") from exc
        except KnowledgeUnavailable:
            connection.close()
            raise
        return cls(connection, path)

    def close(self) -> None:
        self._db.close()

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _models(self, cls: type[T], sql: str, *params: Any) -> list[T]:
        key = (cls, sql, params)
        decoded = self._decoded.get(key)
        if decoded is None:
            decoded = [from_data(cls, json.loads(row[0])) for row in self._rows(sql, *params)]
            if decoded:  # only real records: ids typed by users must not grow the cache
                self._decoded[key] = decoded
        return list(decoded)

    def _model(self, cls: type[T], sql: str, *params: Any) -> T | None:
        found = self._models(cls, sql, *params)
        return found[0] if found else None

    # Areas and contacts

    def areas(self) -> list[Area]:
        return self._models(Area, "SELECT data FROM areas ORDER BY name")

    def _area_phrases(self) -> list[tuple[str, Area]]:
        """Every area's id, name and aliases, normalised once (the store never changes)."""
        key = ("area phrases",)
        if key not in self._decoded:
            self._decoded[key] = [(normalise(p), a) for a in self.areas() for p in (a.id, a.name, *a.aliases)]
        return self._decoded[key]

    def area(self, area_id: str) -> Area | None:
        return self._model(Area, "SELECT data FROM areas WHERE id = ?", area_id)

    def resolve_area(self, text: str) -> Area | None:
        """The area named by `text` (id, name or alias, also inside a longer sentence).

        When the text names two different areas it returns None, so the caller asks.
        """
        wanted = normalise(text)
        if not wanted:
            return None
        phrases = self._area_phrases()
        exact = {a.id: a for p, a in phrases if p == wanted}
        if exact:
            return next(iter(exact.values())) if len(exact) == 1 else None
        padded = f" {wanted} "
        found = {a.id: a for p, a in phrases if p and f" {p} " in padded}
        return next(iter(found.values())) if len(found) == 1 else None

    def national(self, route_id: str) -> Route:
        route = self._model(Route, "SELECT data FROM national_routes WHERE id = ?", route_id)
        if route is None:
            raise KeyError(f"no national route {route_id!r}")
        return route

    def national_routes(self) -> list[Route]:
        return self._models(Route, "SELECT data FROM national_routes ORDER BY id")

    def route(self, area_id: str | None, key: str) -> Route | None:
        """An area's route by key, or a national route by id when `area_id` is None."""
        if area_id is None:
            return self._model(Route, "SELECT data FROM national_routes WHERE id = ?", key)
        return self._model(Route, "SELECT data FROM routes WHERE area = ? AND key = ?", area_id, key)

    def contacts(self, area_id: str | None, when: datetime) -> ContactPlan:
        """Who to contact now; `when` must be timezone-aware (it is read in Europe/London)."""
        national = {k: self.national(k) for k in ("emergency", "nspcc", "non_emergency")}
        return plan_contacts(self.area(area_id) if area_id else None, national, when)

    # Guidance and guides

    def items_for_topic(self, topic: str, area_id: str | None = None) -> list[GuidanceItem]:
        """Items answering `topic`: general ones first, then those for `area_id`."""
        return self._models(
            GuidanceItem,
            "SELECT data FROM guidance WHERE topic = ? AND (area = 'all' OR area = ?) "
            "ORDER BY area != 'all', position, id",
            topic,
            area_id or "all",
        )

    def guidance(self) -> list[GuidanceItem]:
        """Every guidance item, in topic order."""
        return self._models(GuidanceItem, "SELECT data FROM guidance ORDER BY topic, area != 'all', position, id")

    def item(self, item_id: str) -> GuidanceItem | None:
        return self._model(GuidanceItem, "SELECT data FROM guidance WHERE id = ?", item_id)

    def guide(self, guide_id: str) -> Guide | None:
        return self._model(Guide, "SELECT data FROM guides WHERE id = ?", guide_id)

    def guides(self, area_id: str | None = None) -> list[Guide]:
        if area_id is None:
            return self._models(Guide, "SELECT data FROM guides ORDER BY title")
        return self._models(
            Guide, "SELECT data FROM guides WHERE area = 'all' OR area = ? ORDER BY area != 'all', title", area_id
        )

    def find_guide(self, text: str) -> Guide | None:
        """A guide by id, title or alias (also inside a sentence), else the best full-text match."""
        wanted = normalise(text)
        if not wanted:
            return None
        guides = self.guides()
        names = sorted(
            ((normalise(n), g) for g in guides for n in (g.id, g.title, *g.aliases)), key=lambda p: -len(p[0])
        )
        for name, guide in names:
            if name == wanted:
                return guide
        for name, guide in names:
            if name and f" {name} " in f" {wanted} ":
                return guide
        hits = self._search(text, 1, kinds=("guide",))
        return self.guide(hits[0].id) if hits else None

    def search(self, text: str, limit: int = 5) -> list[SearchHit]:
        """Full-text search over guidance and guides; any text is accepted, never raises."""
        return self._search(text, limit, kinds=("guidance", "guide"))

    def _search(self, text: str, limit: int, kinds: tuple[str, ...]) -> list[SearchHit]:
        tokens = query_tokens(text) if isinstance(text, str) else []
        limit = max(0, min(int(limit), MAX_LIMIT))
        if not tokens or not limit:
            return []
        match = " OR ".join(f'"{t}"' for t in tokens)
        queries = {
            "guidance": "SELECT t.id, t.title, t.summary, bm25(guidance_fts, 10.0, 4.0, 1.0, 6.0) "
            "FROM guidance_fts JOIN guidance t ON t.rowid = guidance_fts.rowid "
            "WHERE guidance_fts MATCH ? ORDER BY 4 LIMIT ?",
            "guide": "SELECT t.id, t.title, t.what, bm25(guides_fts, 10.0, 8.0, 2.0, 1.0, 1.0, 1.0) "
            "FROM guides_fts JOIN guides t ON t.rowid = guides_fts.rowid "
            "WHERE guides_fts MATCH ? ORDER BY 4 LIMIT ?",
        }
        hits = [
            SearchHit(kind=kind, id=row[0], title=row[1], summary=row[2], score=row[3])
            for kind in kinds
            for row in self._rows(queries[kind], match, limit)
        ]
        return sorted(hits, key=lambda h: h.score)[:limit]

    def out_of_scope(self, intent: str) -> OutOfScope | None:
        """The reply for a message outside what the assistant covers, by its intent."""
        return self._model(OutOfScope, "SELECT data FROM out_of_scope WHERE intent = ?", intent)

    # Levels, roles, lexicon

    def level(self, n: int, area_id: str | None) -> Level:
        """Level `n` named as the area names it, its next steps resolved to routes."""
        level = self._model(Level, "SELECT data FROM levels WHERE n = ?", n)
        if level is None:
            raise KeyError(f"no level {n}")
        area = self.area(area_id) if area_id else None
        steps = tuple(
            dataclasses.replace(s, route=self._step_route(s.route_key, area)) for s in level.next_steps
        )
        name = area.level_names.get(n, level.name) if area else level.name
        return dataclasses.replace(level, name=name, next_steps=steps)

    def _step_route(self, key: str | None, area: Area | None) -> Route | None:
        if key is None:
            return None
        national = self.route(None, key)
        if national is not None:
            return national
        return area.routes.get(key) if area else None

    def roles(self) -> list[Role]:
        return self._models(Role, "SELECT data FROM roles ORDER BY name")

    def role(self, text: str) -> Role | None:
        """The role named by `text` (id, name or alias, also inside a sentence)."""
        wanted = normalise(text)
        if not wanted:
            return None
        names = sorted(
            ((normalise(n), r) for r in self.roles() for n in (r.id, r.name, *r.aliases)), key=lambda p: -len(p[0])
        )
        return next((r for n, r in names if n == wanted), None) or next(
            (r for n, r in names if n and f" {n} " in f" {wanted} "), None
        )

    def lexicon(self) -> Lexicon:
        grouped: dict[tuple[str, str], list[str]] = {}
        for kind, phrase, target in self._rows("SELECT kind, phrase, target FROM lexicon ORDER BY rowid"):
            grouped.setdefault((kind, target), []).append(phrase)
        entries = {
            kind: tuple(LexiconEntry(target=t, phrases=tuple(p)) for (k, t), p in grouped.items() if k == kind)
            for kind in ("route", "term")
        }
        return Lexicon(routes=entries["route"], terms=entries["term"])

    def document(self, doc_id: str) -> Document | None:
        """A source document of knowledge/sources.yml (its title and, when known, its address)."""
        return self._model(Document, "SELECT data FROM sources WHERE id = ?", doc_id)

    def documents(self) -> list[Document]:
        """The source documents (knowledge/sources.yml), with their own review dates."""
        return self._models(Document, "SELECT data FROM sources ORDER BY id")

    def cite(self, doc: str, section: str | None = None) -> str:
        """A short citation for a section of a source document, as items cite theirs:
        e.g. "Coventry Neglect Toolkit — Early help"."""
        rows = self._rows("SELECT short_title FROM sources WHERE id = ?", doc)
        return Source(title=rows[0][0] if rows else doc, doc=doc, section=section).label

    # Housekeeping

    def stale(self, today: date) -> list[str]:
        """Ids of everything past its review date (routes as `area.key`)."""
        tables = ("areas", "routes", "national_routes", "levels", "guidance", "guides", "roles", "out_of_scope")
        sql = " UNION ".join(f"SELECT id FROM {t} WHERE review_date < ?" for t in tables)
        return sorted(row[0] for row in self._rows(sql, *[today.isoformat()] * len(tables)))

    def meta(self) -> dict[str, str]:
        return dict(self._rows("SELECT key, value FROM meta"))
