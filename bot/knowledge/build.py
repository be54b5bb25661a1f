"""Compile a validated knowledge directory into one SQLite database.

The database is a build output: it is written to a temporary file beside the
target and renamed into place, so a running server never sees half a build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.knowledge.loader import content_hash
from bot.knowledge.snapshot import Snapshot
from bot.knowledge.models import Knowledge, Route, to_data
from bot.knowledge.validate import Report, validate

SCHEMA_VERSION = "1"


class BuildRefused(Exception):
    """The knowledge did not validate; `report` holds the errors."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.errors)} validation error(s)")
        self.report = report


def build(knowledge_dir: Path, out: Path, today: date) -> Report:
    """Validate `knowledge_dir` and, if it has no errors, write the database to `out`."""
    report = validate(knowledge_dir, today)
    if report.errors:
        raise BuildRefused(report)
    write_database(Snapshot(knowledge_dir).records, out, content_hash(knowledge_dir))
    return report


def _json(value: Any) -> str:
    return json.dumps(to_data(value), ensure_ascii=False, sort_keys=True)


def write_database(knowledge: Knowledge, out: Path, digest: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        db = sqlite_utils.Database(tmp)
        _fill(db, knowledge, digest)
        db.close()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _insert(db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]], pk: str | tuple[str, ...]) -> None:
    db[table].insert_all(list(rows), pk=pk)  # type: ignore[union-attr]


def _fill(db: sqlite_utils.Database, k: Knowledge, digest: str) -> None:
    _insert(
        db,
        "sources",
        (
            {"id": d.id, "file": d.file, "title": d.title, "short_title": d.short_title, "publisher": d.publisher,
             "area": d.area, "date": d.date, "url": d.url, "review_by": to_data(d.review_by), "data": _json(d)}
            for d in k.documents
        ),
        pk="id",
    )
    _insert(
        db,
        "areas",
        (
            {"id": a.id, "name": a.name, "aliases": json.dumps(a.aliases), "partnership": a.partnership.name,
             "partnership_url": a.partnership.url, "review_date": a.review_date.isoformat(), "data": _json(a)}
            for a in k.areas
        ),
        pk="id",
    )
    routes = [r for a in k.areas for r in a.routes.values()]
    _insert(db, "routes", ({"id": f"{r.area}.{r.key}", **_route_row(r)} for r in routes), pk="id")
    _insert(db, "national_routes", ({"id": r.key, **_route_row(r)} for r in k.national), pk="id")
    _insert(
        db,
        "levels",
        ({"n": lv.n, "id": lv.id, "name": lv.name, "summary": lv.summary, "review_date": lv.review_date.isoformat(),
          "data": _json(lv)} for lv in k.levels),
        pk="n",
    )
    _insert(
        db,
        "next_steps",
        ({"level": lv.n, "position": i, "text": s.text, "route": s.route_key, "data": _json(s)}
         for lv in k.levels for i, s in enumerate(lv.next_steps)),
        pk=("level", "position"),
    )
    _insert(
        db,
        "guidance",
        ({"id": g.id, "topic": g.topic, "area": g.area, "role": g.role, "guide": g.guide, "position": g.position, "title": g.title,
          "summary": g.summary, "detail": g.detail or "", "keywords": " ".join(g.keywords),
          "review_date": g.review_date.isoformat(), "data": _json(g)} for g in k.guidance),
        pk="id",
    )
    _insert(
        db,
        "guides",
        ({"id": g.id, "area": g.area, "title": g.title, "what": g.what, "why": g.why, "todo": g.todo,
          "more": g.more, "url": g.url, "aliases": " ".join(g.aliases), "review_date": g.review_date.isoformat(),
          "data": _json(g)} for g in k.guides),
        pk="id",
    )
    _insert(
        db,
        "roles",
        ({"id": r.id, "name": r.name, "aliases": json.dumps(r.aliases), "summary": r.summary,
          "review_date": r.review_date.isoformat(), "data": _json(r)} for r in k.roles),
        pk="id",
    )
    _insert(
        db,
        "out_of_scope",
        ({"id": o.id, "intent": o.intent, "title": o.title, "text": o.text,
          "review_date": o.review_date.isoformat(), "data": _json(o)} for o in k.out_of_scope),
        pk="id",
    )
    _insert(
        db,
        "lexicon",
        [{"kind": "route", "phrase": p, "target": e.target} for e in k.lexicon.routes for p in e.phrases]
        + [{"kind": "term", "phrase": p, "target": e.target} for e in k.lexicon.terms for p in e.phrases],
        pk="phrase",
    )
    db["guidance"].enable_fts(  # type: ignore[union-attr]
        ["title", "summary", "detail", "keywords"], create_triggers=False, tokenize="porter"
    )
    db["guides"].enable_fts(  # type: ignore[union-attr]
        ["title", "aliases", "what", "why", "todo", "more"], create_triggers=False, tokenize="porter"
    )
    _insert(
        db,
        "meta",
        [
            {"key": "built_at", "value": datetime.now(timezone.utc).isoformat(timespec="seconds")},
            {"key": "content_hash", "value": digest},
            {"key": "schema_version", "value": SCHEMA_VERSION},
        ],
        pk="key",
    )


def _route_row(r: Route) -> dict[str, Any]:
    return {"area": r.area, "key": r.key, "name": r.name, "phone": r.phone, "url": r.url, "how": r.how,
            "fallback": r.fallback, "note": r.note, "checked": to_data(r.checked),
            "review_date": r.review_date.isoformat(), "data": _json(r)}
