"""Typed, immutable records of the knowledge base.

The loader builds them from `knowledge/*.yml`, the build step serialises them
with `to_data` into the SQLite database and the store turns rows back into the
same types with `from_data`, so every layer talks about one set of types.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")
# The `date` type by another name, for classes with a field called `date`.
Date = date

# Route keys an area file may define ("lado": the Local Authority Designated Officer,
# only where a number is sourced; otherwise replies fall back to the front door).
AREA_ROUTE_KEYS = ("front_door", "out_of_hours", "early_help", "escalation", "lado")


# "{route_id}" in an out-of-scope reply: filled with that national route's phone number.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def normalise(text: str) -> str:
    """Lower case, '&' and 'and' dropped, punctuation to spaces, spaces collapsed:
    how area names, aliases and phrases are compared."""
    words = re.sub(r"[\W_]+", " ", text.lower().replace("&", " ")).split()
    return " ".join(w for w in words if w != "and")


@dataclass(frozen=True)
class Document:
    """One source document (an entry of knowledge/sources.yml)."""

    id: str
    title: str
    short_title: str
    publisher: str
    area: str
    date: str
    file: str | None = None
    url: str | None = None
    review_by: Date | None = None


@dataclass(frozen=True)
class Source:
    """Where one fact comes from: a section of a document, or a checked web address."""

    title: str
    doc: str | None = None
    section: str | None = None
    url: str | None = None
    checked: date | None = None

    @property
    def label(self) -> str:
        """A short plain-English citation, e.g. 'Coventry Neglect Toolkit — Types of neglect'."""
        if self.doc is None:
            checked = f" (checked {self.checked.isoformat()})" if self.checked else ""
            where = f"{self.url} — {self.section}" if self.section else str(self.url)
            return f"{where}{checked}"
        return f"{self.title} — {self.section}" if self.section else self.title


def cite(sources: tuple[Source, ...]) -> str:
    """Join the labels of several sources, dropping repeats, in the order given."""
    return "; ".join(dict.fromkeys(source.label for source in sources))


@dataclass(frozen=True)
class Route:
    """A way to get help: an area's front door, out-of-hours, early help or escalation
    route, or a national route (999, 101, NSPCC, Childline).

    `phone` is None when no reliable number is known; `fallback` then says what to do.
    """

    key: str
    name: str
    how: str
    sources: tuple[Source, ...]
    review_date: date
    area: str | None = None
    phone: str | None = None
    url: str | None = None
    fallback: str | None = None
    note: str | None = None
    checked: date | None = None

    @property
    def citation(self) -> str:
        return cite(self.sources)


@dataclass(frozen=True)
class DayHours:
    start: str  # "HH:MM", Europe/London
    end: str


@dataclass(frozen=True)
class OfficeHours:
    """When an area's front door is open. `known` is False when the hours are assumed."""

    known: bool
    note: str
    days: Mapping[str, DayHours]  # keys: mon tue wed thu fri sat sun; a missing day is closed


@dataclass(frozen=True)
class Tool:
    """A neglect tool an area uses, pointing at its guide card."""

    name: str
    summary: str
    sources: tuple[Source, ...]
    guide: str | None = None


@dataclass(frozen=True)
class Partnership:
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    aliases: tuple[str, ...]
    partnership: Partnership
    office_hours: OfficeHours
    routes: Mapping[str, Route]
    tools: tuple[Tool, ...]
    sources: tuple[Source, ...]
    review_date: date
    level_names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NextStep:
    """One thing to do at a level; `route` is filled in when the level is read for an area."""

    text: str
    sources: tuple[Source, ...]
    route_key: str | None = None
    route: Route | None = None


@dataclass(frozen=True)
class Level:
    n: int
    id: str
    name: str
    summary: str
    next_steps: tuple[NextStep, ...]
    sources: tuple[Source, ...]
    review_date: date

    @property
    def citation(self) -> str:
        return cite(self.sources)


@dataclass(frozen=True)
class GuidanceItem:
    """One answer to a practitioner's question (knowledge/guidance/<id>.yml)."""

    id: str
    topic: str  # items of one topic answer the same questions; area and role pick among them
    title: str
    summary: str
    sources: tuple[Source, ...]
    review_date: date
    area: str = "all"
    detail: str | None = None
    keywords: tuple[str, ...] = ()
    guide: str | None = None
    role: str | None = None
    position: int = 10  # order among the items of one topic and area, lowest first
    # What practitioners ask that this topic answers (the NLU examples and the topic ranker's data).
    questions: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        return cite(self.sources)


@dataclass(frozen=True)
class Guide:
    """A one-minute guide card for a guide, toolkit or report the sources mention."""

    id: str
    title: str
    area: str
    what: str
    why: str
    todo: str
    more: str
    sources: tuple[Source, ...]
    review_date: date
    url: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        return cite(self.sources)


@dataclass(frozen=True)
class RoleStep:
    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    aliases: tuple[str, ...]
    summary: str
    guidance: tuple[str, ...]
    steps: tuple[RoleStep, ...]
    sources: tuple[Source, ...]
    review_date: date


@dataclass(frozen=True)
class LexiconEntry:
    """Phrases practitioners type that point at one target (a route key or a guidance id)."""

    target: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    routes: tuple[LexiconEntry, ...]
    terms: tuple[LexiconEntry, ...]

    def term(self, phrase: str) -> str | None:
        """The guidance id a jargon phrase relates to, if any (case-insensitive)."""
        wanted = phrase.strip().lower()
        return next((e.target for e in self.terms if wanted in e.phrases), None)

    def route(self, phrase: str) -> str | None:
        """The route key (or national route id) a route phrase points at, if any (case-insensitive)."""
        wanted = phrase.strip().lower()
        return next((e.target for e in self.routes if wanted in e.phrases), None)


@dataclass(frozen=True)
class OutOfScope:
    """What to say to a message the assistant does not cover (knowledge/out_of_scope.yml).

    `text` may name national routes as "{route_id}", filled with their phone numbers;
    `routes` are national routes described after it. `local` is an area route shown for
    the practitioner's area; when the area has none, `local_missing` (with "{area}") is
    said and `local_fallback` shown instead; with no area known, `ask_area` asks for it.
    `areas`, when given, is the prompt above one button per covered area.
    """

    id: str
    intent: str
    title: str
    text: str
    sources: tuple[Source, ...]
    review_date: date
    routes: tuple[str, ...] = ()
    local: str | None = None
    local_fallback: str | None = None
    local_missing: str | None = None
    ask_area: str | None = None
    areas: str | None = None

    @property
    def citation(self) -> str:
        return cite(self.sources)


@dataclass(frozen=True)
class Knowledge:
    """Everything the loader read from a knowledge directory."""

    documents: tuple[Document, ...]
    national: tuple[Route, ...]
    areas: tuple[Area, ...]
    levels: tuple[Level, ...]
    guidance: tuple[GuidanceItem, ...]
    guides: tuple[Guide, ...]
    roles: tuple[Role, ...]
    lexicon: Lexicon
    out_of_scope: tuple[OutOfScope, ...] = ()


@dataclass(frozen=True)
class ContactPlan:
    """Who to contact for an area at a given moment.

    `now_route` is the front door in office hours and the out-of-hours route
    outside them; when it has no phone, its `fallback` says what to do. With no
    area, only the national routes are known and `needs_area` is True.
    """

    area: Area | None
    local_time: datetime
    in_office_hours: bool
    office_hours_known: bool
    office_hours_note: str
    now_route: Route
    emergency: Route
    nspcc: Route
    non_emergency: Route
    front_door: Route | None = None
    out_of_hours: Route | None = None
    early_help: Route | None = None
    escalation: Route | None = None
    needs_area: bool = False


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "guidance" or "guide"
    id: str
    title: str
    summary: str
    score: float


def to_data(value: Any) -> Any:
    """Turn a model (or anything inside one) into JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_data(cls: type[T], data: Any) -> T:
    """Rebuild a model from `to_data` output, guided by the class's type hints."""
    return typing.cast(T, _decode(cls, data))


def _decode(hint: Any, data: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        return _decode(next(a for a in args if a is not type(None)), data)
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in data)
    if origin in (dict, Mapping):
        return types.MappingProxyType({_decode(args[0], k): _decode(args[1], v) for k, v in data.items()})
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        fields = [f.name for f in dataclasses.fields(hint) if f.name in data]
        return typing.cast(Any, hint)(**{name: _decode(hints[name], data[name]) for name in fields})
    if hint is date:
        return date.fromisoformat(data)
    if hint is int:
        return int(data)
    return data
