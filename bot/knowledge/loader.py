"""Read the YAML files of a knowledge directory.

`read_raw` only parses YAML (the validator checks the raw records, so it can
name the file, item and field of each problem); `load` turns a directory that
validates into typed models.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.knowledge.models import (
    Area,
    DayHours,
    Document,
    GuidanceItem,
    Guide,
    Knowledge,
    Level,
    Lexicon,
    LexiconEntry,
    NextStep,
    OfficeHours,
    OutOfScope,
    Partnership,
    Role,
    RoleStep,
    Route,
    Source,
    Tool,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
DAYS = (*WEEKDAYS, "sat", "sun")


class KnowledgeError(Exception):
    """The knowledge directory cannot be read into models (run the validator for details)."""


@dataclass(frozen=True)
class Record:
    """One raw record and the file (relative to the knowledge directory) it came from."""

    file: str
    data: Any


@dataclass
class RawKnowledge:
    sources: list[Record] = field(default_factory=list)
    national: list[Record] = field(default_factory=list)
    areas: list[Record] = field(default_factory=list)
    levels: list[Record] = field(default_factory=list)
    guidance: list[Record] = field(default_factory=list)
    guides: list[Record] = field(default_factory=list)
    roles: list[Record] = field(default_factory=list)
    out_of_scope: list[Record] = field(default_factory=list)
    lexicon: Record | None = None
    errors: list[str] = field(default_factory=list)


LIST_FILES = {
    "sources.yml": "sources",
    "national.yml": "national",
    "levels.yml": "levels",
    "roles.yml": "roles",
    "out_of_scope.yml": "out_of_scope",
}
RECORD_DIRS = {"areas": "areas", "guidance": "guidance", "guides": "guides"}


def knowledge_files(knowledge_dir: Path) -> list[Path]:
    """The YAML files this loader reads (other sub-directories, e.g. triage/, belong to others)."""
    files = [knowledge_dir / name for name in (*LIST_FILES, "lexicon.yml")]
    files += [p for directory in RECORD_DIRS for p in sorted((knowledge_dir / directory).glob("*.yml"))]
    return [p for p in files if p.is_file()]


def content_hash(knowledge_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in knowledge_files(knowledge_dir):
        digest.update(path.relative_to(knowledge_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_raw(knowledge_dir: Path) -> RawKnowledge:
    raw = RawKnowledge()
    if not knowledge_dir.is_dir():
        raw.errors.append(f"{knowledge_dir}: not a directory")
        return raw
    for name, attr in LIST_FILES.items():
        data = _read(knowledge_dir / name, raw)
        if data is None:
            continue
        if not isinstance(data, list):
            raw.errors.append(f"{name}: expected a list of records")
            continue
        getattr(raw, attr).extend(Record(name, item) for item in data)
    for directory, attr in RECORD_DIRS.items():
        for path in sorted((knowledge_dir / directory).glob("*.yml")):
            data = _read(path, raw, knowledge_dir)
            if data is not None:
                getattr(raw, attr).append(Record(path.relative_to(knowledge_dir).as_posix(), data))
    data = _read(knowledge_dir / "lexicon.yml", raw)
    if data is not None:
        raw.lexicon = Record("lexicon.yml", data)
    return raw


def _read(path: Path, raw: RawKnowledge, root: Path | None = None) -> Any:
    name = path.relative_to(root).as_posix() if root else path.name
    if not path.is_file():
        raw.errors.append(f"{name}: missing")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raw.errors.append(f"{name}: not valid YAML: {exc}".replace("\n", " "))
        return None
    if data is None:
        raw.errors.append(f"{name}: empty")
    return data


def load(knowledge_dir: Path) -> Knowledge:
    """Typed models for a knowledge directory; validate it first for precise errors."""
    raw = read_raw(knowledge_dir)
    if raw.errors or raw.lexicon is None:
        raise KnowledgeError("; ".join(raw.errors))
    try:
        return _build(raw, raw.lexicon.data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KnowledgeError(f"{knowledge_dir}: cannot load ({exc!r}); run `python -m bot.knowledge check`") from exc


def _build(raw: RawKnowledge, lexicon: dict[str, Any]) -> Knowledge:
    documents = tuple(_document(r.data) for r in raw.sources)
    by_id = {d.id: d for d in documents}

    def sources(items: Any) -> tuple[Source, ...]:
        return tuple(_source(item, by_id) for item in items)

    return Knowledge(
        documents=documents,
        national=tuple(_route(r.data, r.data["id"], None, sources, how_field="when_to_use") for r in raw.national),
        areas=tuple(_area(r.data, sources) for r in raw.areas),
        levels=tuple(_level(r.data, sources) for r in raw.levels),
        guidance=tuple(_guidance(r.data, sources) for r in raw.guidance),
        guides=tuple(_guide(r.data, sources) for r in raw.guides),
        roles=tuple(_role(r.data, sources) for r in raw.roles),
        lexicon=_lexicon(lexicon),
        out_of_scope=tuple(_out_of_scope(r.data, sources) for r in raw.out_of_scope),
    )


def _document(d: dict[str, Any]) -> Document:
    return Document(
        id=d["id"],
        title=d["title"],
        short_title=d["short_title"],
        publisher=d["publisher"],
        area=d["area"],
        date=str(d["date"]),
        file=d.get("file"),
        url=d.get("url"),
        review_by=d.get("review_by"),
    )


def _source(d: dict[str, Any], documents: dict[str, Document]) -> Source:
    if "doc" in d:
        return Source(title=documents[d["doc"]].short_title, doc=d["doc"], section=d.get("section"))
    return Source(title=d.get("title") or d["url"], url=d["url"], section=d.get("section"), checked=d["checked"])


def _route(d: dict[str, Any], key: str, area: str | None, sources: Any, how_field: str = "how") -> Route:
    return Route(
        key=key,
        area=area,
        name=d["name"],
        how=d[how_field],
        phone=d.get("phone"),
        url=d.get("url"),
        fallback=d.get("fallback"),
        note=d.get("note"),
        sources=sources(d["sources"]),
        checked=d.get("checked"),
        review_date=d["review_date"],
    )


def _office_hours(d: dict[str, Any]) -> OfficeHours:
    days: dict[str, DayHours] = {}
    if "weekdays" in d:
        days.update({day: DayHours(**d["weekdays"]) for day in WEEKDAYS})
    days.update({day: DayHours(**d[day]) for day in DAYS if d.get(day)})
    return OfficeHours(known=d["known"], note=d["note"], days=MappingProxyType(days))


def _area(d: dict[str, Any], sources: Any) -> Area:
    routes = {key: _route(r, key, d["id"], sources) for key, r in d["routes"].items()}
    return Area(
        id=d["id"],
        name=d["name"],
        aliases=tuple(d.get("aliases") or ()),
        partnership=Partnership(name=d["partnership"]["name"], url=d["partnership"].get("url")),
        office_hours=_office_hours(d["office_hours"]),
        routes=MappingProxyType(routes),
        tools=tuple(
            Tool(name=t["name"], summary=t["summary"], guide=t.get("guide"), sources=sources(t["sources"]))
            for t in d.get("tools") or ()
        ),
        level_names=MappingProxyType({int(k): v for k, v in (d.get("level_names") or {}).items()}),
        sources=sources(d["sources"]),
        review_date=d["review_date"],
    )


def _level(d: dict[str, Any], sources: Any) -> Level:
    return Level(
        n=d["level"],
        id=d["id"],
        name=d["name"],
        summary=d["summary"],
        next_steps=tuple(
            NextStep(text=s["text"], route_key=s.get("route"), sources=sources(s["sources"])) for s in d["next_steps"]
        ),
        sources=sources(d["sources"]),
        review_date=d["review_date"],
    )


def _guidance(d: dict[str, Any], sources: Any) -> GuidanceItem:
    return GuidanceItem(
        id=d["id"],
        topic=d["topic"],
        title=d["title"],
        summary=d["summary"],
        detail=d.get("detail"),
        keywords=tuple(d.get("keywords") or ()),
        guide=d.get("guide"),
        area=d["area"],
        role=d.get("role"),
        position=d.get("position", 10),
        questions=tuple(d.get("questions") or ()),
        sources=sources(d["sources"]),
        review_date=d["review_date"],
    )


def _guide(d: dict[str, Any], sources: Any) -> Guide:
    return Guide(
        id=d["id"],
        title=d["title"],
        area=d["area"],
        what=d["what"],
        why=d["why"],
        todo=d["todo"],
        more=d["more"],
        url=d.get("url"),
        aliases=tuple(d.get("aliases") or ()),
        sources=sources(d["sources"]),
        review_date=d["review_date"],
    )


def _role(d: dict[str, Any], sources: Any) -> Role:
    return Role(
        id=d["id"],
        name=d["name"],
        aliases=tuple(d.get("aliases") or ()),
        summary=d["summary"],
        guidance=tuple(d.get("guidance") or ()),
        steps=tuple(RoleStep(text=s["text"], sources=sources(s["sources"])) for s in d.get("steps") or ()),
        sources=sources(d["sources"]),
        review_date=d["review_date"],
    )


def _out_of_scope(d: dict[str, Any], sources: Any) -> OutOfScope:
    return OutOfScope(
        id=d["id"],
        intent=d["intent"],
        title=d["title"],
        text=d["text"],
        routes=tuple(d.get("routes") or ()),
        local=d.get("local"),
        local_fallback=d.get("local_fallback"),
        local_missing=d.get("local_missing"),
        ask_area=d.get("ask_area"),
        areas=d.get("areas"),
        sources=sources(d["sources"]),
        review_date=d["review_date"],
    )


def _lexicon(d: dict[str, Any]) -> Lexicon:
    return Lexicon(
        routes=tuple(LexiconEntry(target=k, phrases=tuple(v)) for k, v in d["routes"].items()),
        terms=tuple(LexiconEntry(target=t["guidance"], phrases=tuple(t["phrases"])) for t in d["terms"]),
    )
