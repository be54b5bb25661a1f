"""Read the YAML files of a knowledge directory into typed records.

`read_raw` only parses YAML; `parse` checks each record against its file model
(bot/knowledge/files.py) and says what is wrong with each one, naming the file,
item and field; `load` turns a directory that parses into the typed records of
bot/knowledge/models.py. The validator adds the checks that span files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import yaml
from pydantic import ValidationError

from bot.knowledge import files
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
from bot.schema import StrictModel, load_yaml

M = TypeVar("M", bound=StrictModel)


class KnowledgeError(Exception):
    """The knowledge directory cannot be read into models (run the validator for details)."""


@dataclass(frozen=True)
class Record:
    """One raw record and the file (relative to the knowledge directory) it came from."""

    file: str
    data: Any

    @property
    def where(self) -> str:
        """The file and, when the record names one, its id: how every message starts."""
        item_id = self.data.get("id") if isinstance(self.data, dict) else None
        return f"{self.file}: {item_id}" if item_id else self.file


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


@dataclass(frozen=True)
class Entry(Generic[M]):
    """A record that parsed, beside its raw form (for the file and the prose checks)."""

    record: Record
    model: M

    @property
    def where(self) -> str:
        return self.record.where


@dataclass
class Parsed:
    sources: list[Entry[files.DocumentFile]] = field(default_factory=list)
    national: list[Entry[files.NationalRouteFile]] = field(default_factory=list)
    areas: list[Entry[files.AreaFile]] = field(default_factory=list)
    levels: list[Entry[files.LevelFile]] = field(default_factory=list)
    guidance: list[Entry[files.GuidanceFile]] = field(default_factory=list)
    guides: list[Entry[files.GuideFile]] = field(default_factory=list)
    roles: list[Entry[files.RoleFile]] = field(default_factory=list)
    out_of_scope: list[Entry[files.OutOfScopeFile]] = field(default_factory=list)
    lexicon: Entry[files.LexiconFile] | None = None
    errors: list[str] = field(default_factory=list)


# Each kind of record, the attribute of RawKnowledge and Parsed that holds it, and its model.
MODELS: dict[str, type[StrictModel]] = {
    "sources": files.DocumentFile,
    "national": files.NationalRouteFile,
    "areas": files.AreaFile,
    "levels": files.LevelFile,
    "guidance": files.GuidanceFile,
    "guides": files.GuideFile,
    "roles": files.RoleFile,
    "out_of_scope": files.OutOfScopeFile,
}
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
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raw.errors.append(f"{name}: not valid YAML: {exc}".replace("\n", " "))
        return None
    if data is None:
        raw.errors.append(f"{name}: empty")
    return data


def _entry(record: Record, model: type[M], errors: list[str]) -> Entry[M] | None:
    if not isinstance(record.data, dict):
        errors.append(f"{record.file}: each record must be a mapping")
        return None
    try:
        return Entry(record, model.parse_obj(record.data))
    except ValidationError as error:
        errors.extend(f"{record.where}: {problem}" for problem in files.problems(error))
        return None


def parse(raw: RawKnowledge, kinds: tuple[str, ...] = tuple(MODELS)) -> Parsed:
    """Every record of `kinds` checked against its file model; those that fail are
    left out and each of their problems is in `errors`."""
    parsed = Parsed(errors=list(raw.errors))
    for attr in kinds:
        entries = (_entry(record, MODELS[attr], parsed.errors) for record in getattr(raw, attr))
        getattr(parsed, attr).extend(entry for entry in entries if entry is not None)
    if raw.lexicon is not None:
        parsed.lexicon = _entry(raw.lexicon, files.LexiconFile, parsed.errors)
    return parsed


def load(knowledge_dir: Path) -> Knowledge:
    """Typed records for a knowledge directory; validate it first for every problem at once."""
    parsed = parse(read_raw(knowledge_dir))
    if parsed.errors or parsed.lexicon is None:
        raise KnowledgeError("; ".join(parsed.errors) or f"{knowledge_dir}: no lexicon.yml")
    try:
        return _build(parsed, parsed.lexicon.model)
    except KeyError as exc:
        raise KnowledgeError(f"{knowledge_dir}: {exc} is not in sources.yml; run `python -m bot.knowledge check`") from exc


def read_levels(knowledge_dir: Path) -> tuple[dict[str, Document], dict[int, Level]]:
    """The documents (sources.yml) and the levels (levels.yml) alone: what the triage
    rubric needs, without the rest of the knowledge."""
    raw = RawKnowledge()
    for name in ("sources.yml", "levels.yml"):
        data = _read(knowledge_dir / name, raw)
        if isinstance(data, list):
            getattr(raw, LIST_FILES[name]).extend(Record(name, item) for item in data)
        elif data is not None:
            raw.errors.append(f"{name}: expected a list of records")
    parsed = parse(raw, ("sources", "levels"))
    if parsed.errors:
        raise KnowledgeError("; ".join(parsed.errors))
    documents: dict[str, Document] = {str(e.model.id): _document(e.model) for e in parsed.sources}
    sources = _citing(documents)
    try:
        levels: dict[int, Level] = {int(e.model.level): _level(e.model, sources) for e in parsed.levels}
    except KeyError as exc:
        raise KnowledgeError(f"levels.yml: {exc} is not in sources.yml") from exc
    return documents, levels


def _build(parsed: Parsed, lexicon: files.LexiconFile) -> Knowledge:
    documents = tuple(_document(e.model) for e in parsed.sources)
    sources = _citing({d.id: d for d in documents})

    return Knowledge(
        documents=documents,
        national=tuple(_route(e.model, e.model.id, None, sources) for e in parsed.national),
        areas=tuple(_area(e.model, sources) for e in parsed.areas),
        levels=tuple(_level(e.model, sources) for e in parsed.levels),
        guidance=tuple(_guidance(e.model, sources) for e in parsed.guidance),
        guides=tuple(_guide(e.model, sources) for e in parsed.guides),
        roles=tuple(_role(e.model, sources) for e in parsed.roles),
        lexicon=_lexicon(lexicon),
        out_of_scope=tuple(_out_of_scope(e.model, sources) for e in parsed.out_of_scope),
    )


def _document(d: files.DocumentFile) -> Document:
    return Document(
        id=d.id,
        title=d.title,
        short_title=d.short_title,
        publisher=d.publisher,
        area=d.area,
        date=str(d.date),
        file=d.file,
        url=d.url,
        review_by=d.review_by,
    )


def source_of(ref: files.Ref, documents: Mapping[str, Document]) -> Source:
    """A reference as the record it cites: a document's section (titled by its short title)
    or a checked web address."""
    if isinstance(ref, files.DocRef):
        return Source(title=documents[ref.doc].short_title, doc=ref.doc, section=ref.section)
    return Source(title=ref.title or ref.url, url=ref.url, section=ref.section, checked=ref.checked)


# References -> the sources they cite, for one set of documents.
Sources = Callable[[list[files.Ref]], tuple[Source, ...]]


def _citing(documents: Mapping[str, Document]) -> Sources:
    def sources(refs: list[files.Ref]) -> tuple[Source, ...]:
        return tuple(source_of(ref, documents) for ref in refs)

    return sources


def _route(d: files.NationalRouteFile | files.AreaRouteFile, key: str, area: str | None, sources: Sources) -> Route:
    return Route(
        key=key,
        area=area,
        name=d.name,
        how=d.when_to_use if isinstance(d, files.NationalRouteFile) else d.how,
        phone=d.phone,
        url=d.url,
        fallback=d.fallback,
        note=d.note,
        sources=sources(d.sources),
        checked=d.checked,
        review_date=d.review_date,
    )


def _office_hours(d: files.OfficeHoursFile) -> OfficeHours:
    days = {day: DayHours(start=span.start, end=span.end) for day, span in d.days().items()}
    return OfficeHours(known=d.known, note=d.note, days=MappingProxyType(days))


def _area(d: files.AreaFile, sources: Sources) -> Area:
    return Area(
        id=d.id,
        name=d.name,
        aliases=tuple(d.aliases),
        partnership=Partnership(name=d.partnership.name, url=d.partnership.url),
        office_hours=_office_hours(d.office_hours),
        routes=MappingProxyType({key: _route(r, key, d.id, sources) for key, r in d.routes.items()}),
        tools=tuple(Tool(name=t.name, summary=t.summary, guide=t.guide, sources=sources(t.sources)) for t in d.tools),
        level_names=MappingProxyType({int(n): str(name) for n, name in d.level_names.items()}),
        sources=sources(d.sources),
        review_date=d.review_date,
    )


def _level(d: files.LevelFile, sources: Sources) -> Level:
    return Level(
        n=d.level,
        id=d.id,
        name=d.name,
        summary=d.summary,
        next_steps=tuple(NextStep(text=s.text, route_key=s.route, sources=sources(s.sources)) for s in d.next_steps),
        sources=sources(d.sources),
        review_date=d.review_date,
    )


def _guidance(d: files.GuidanceFile, sources: Sources) -> GuidanceItem:
    return GuidanceItem(
        id=d.id,
        topic=d.topic,
        title=d.title,
        summary=d.summary,
        detail=d.detail,
        keywords=tuple(d.keywords),
        guide=d.guide,
        area=d.area,
        role=d.role,
        position=d.position,
        questions=tuple(d.questions),
        sources=sources(d.sources),
        review_date=d.review_date,
    )


def _guide(d: files.GuideFile, sources: Sources) -> Guide:
    return Guide(
        id=d.id,
        title=d.title,
        area=d.area,
        what=d.what,
        why=d.why,
        todo=d.todo,
        more=d.more,
        url=d.url,
        aliases=tuple(d.aliases),
        sources=sources(d.sources),
        review_date=d.review_date,
    )


def _role(d: files.RoleFile, sources: Sources) -> Role:
    return Role(
        id=d.id,
        name=d.name,
        aliases=tuple(d.aliases),
        summary=d.summary,
        guidance=tuple(d.guidance),
        steps=tuple(RoleStep(text=s.text, sources=sources(s.sources)) for s in d.steps),
        sources=sources(d.sources),
        review_date=d.review_date,
    )


def _out_of_scope(d: files.OutOfScopeFile, sources: Sources) -> OutOfScope:
    return OutOfScope(
        id=d.id,
        intent=d.intent,
        title=d.title,
        text=d.text,
        routes=tuple(d.routes),
        local=d.local,
        local_fallback=d.local_fallback,
        local_missing=d.local_missing,
        ask_area=d.ask_area,
        areas=d.areas,
        sources=sources(d.sources),
        review_date=d.review_date,
    )


def _lexicon(d: files.LexiconFile) -> Lexicon:
    return Lexicon(
        routes=tuple(LexiconEntry(target=k, phrases=tuple(v)) for k, v in d.routes.items()),
        terms=tuple(LexiconEntry(target=t.guidance, phrases=tuple(t.phrases)) for t in d.terms),
    )
