"""Check a knowledge directory before it is built.

Each record is parsed with its file model (bot/knowledge/files.py), which
names the file, item and field of every problem; this module adds the checks
that span records and files: ids that must exist, one phrase for one thing,
a number in prose that must be a route's, review dates. Errors block the
build; warnings (content past its review date) do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.knowledge import files
from bot.knowledge.files import REQUIRED_NATIONAL
from bot.knowledge.loader import Entry, Parsed, Record, parse, read_raw
from bot.knowledge.models import AREA_ROUTE_KEYS, PLACEHOLDER, normalise
from bot.knowledge.snapshot import Snapshot
from bot.redaction import phones_in

# Something in prose that looks like a UK phone number (checked against the known routes).
NUMBER_IN_TEXT = re.compile(r"(?<![\d,.])0\d{2,4}(?: ?\d){4,8}(?!\d)")


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Checker:
    """Collects the messages of the checks that span records."""

    def __init__(self, today: date, errors: list[str]) -> None:
        self.today = today
        self.errors = errors
        self.warnings: list[str] = []
        self.doc_review_by: dict[str, date] = {}
        self.docs: set[str] = set()

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def dated(self, where: str, model: BaseModel) -> None:
        """Every dated part of a record (the record, each of an area's routes): its
        sources exist, and its review date is neither past nor later than theirs."""
        for path, part in _parts(model):
            at = f"{where}: {path}" if path else where
            refs = getattr(part, "sources", None) or []
            for i, ref in enumerate(refs):
                if isinstance(ref, files.DocRef) and ref.doc not in self.docs:
                    self.error(f"{at}: sources[{i}]", f"doc {ref.doc!r} is not in sources.yml")
            review_date = getattr(part, "review_date", None)
            if review_date is None:
                continue
            if review_date < self.today:
                self.warnings.append(f"{at}: review_date {review_date.isoformat()} is past: stale, due for review")
            for ref in refs:
                review_by = self.doc_review_by.get(ref.doc) if isinstance(ref, files.DocRef) else None
                if review_by and review_date > review_by:
                    self.error(
                        at,
                        f"review_date: {review_date.isoformat()} is later than the review date of its source "
                        f"{ref.doc} ({review_by.isoformat()}): use {review_by.isoformat()}",
                    )


def _parts(model: BaseModel, path: str = "") -> Iterator[tuple[str, BaseModel]]:
    """A model and every model inside it, each with its path ("routes.front_door", "tools[0]")."""
    yield path, model
    for name in model.__fields__:
        value = getattr(model, name)
        inner = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        if isinstance(value, BaseModel) and name != "sources":
            yield from _parts(value, f"{path}.{name}" if path else name)
        for key, item in inner:
            if isinstance(item, BaseModel) and name != "sources":
                at = f"{path}.{name}" if path else name
                yield from _parts(item, f"{at}[{key}]" if isinstance(key, int) else f"{at}.{key}")


def _ids(records: Iterable[Record], seen: dict[str, str], check: _Checker) -> None:
    for record in records:
        item_id = record.data.get("id") if isinstance(record.data, dict) else None
        if not isinstance(item_id, str):
            continue
        if item_id in seen:
            check.error(record.file, f"{item_id}: duplicate id (also in {seen[item_id]})")
        seen[item_id] = record.file


def validate(knowledge_dir: Path, today: date) -> Report:
    """Check every file, item and cross-reference of a knowledge directory."""
    raw = read_raw(knowledge_dir)
    parsed = parse(raw)
    check = _Checker(today, parsed.errors)

    kinds = {
        "source": raw.sources,
        "national route": raw.national,
        "area": raw.areas,
        "level": raw.levels,
        "guidance": raw.guidance,
        "guide": raw.guides,
        "role": raw.roles,
        "out of scope": raw.out_of_scope,
    }
    seen: dict[str, str] = {}
    for records in kinds.values():
        _ids(records, seen, check)
    for kind in ("area", "guidance", "guide"):  # one record per file: the id names the file
        for record in kinds[kind]:
            stem = Path(record.file).stem
            if isinstance(record.data, dict) and record.data.get("id") != stem:
                check.error(record.file, f"id {record.data.get('id')!r} must match the file name {stem!r}")

    # Ids are taken from the raw records, so a record that failed to parse does
    # not also make every reference to it an error.
    def ids(kind: str) -> set[str]:
        return {r.data["id"] for r in kinds[kind] if isinstance(r.data, dict) and isinstance(r.data.get("id"), str)}

    check.docs, area_ids, guidance_ids, guide_ids, role_ids = (
        ids(k) for k in ("source", "area", "guidance", "guide", "role")
    )
    route_keys = set(AREA_ROUTE_KEYS) | ids("national route")
    for required in REQUIRED_NATIONAL:
        if required not in ids("national route"):
            check.error("national.yml", f"{required}: missing national route (every area needs it)")

    _check_documents(check, parsed, area_ids)
    for entries in (parsed.national, parsed.areas, parsed.levels, parsed.guidance, parsed.guides, parsed.roles,
                    parsed.out_of_scope, [parsed.lexicon] if parsed.lexicon else []):
        for entry in entries:
            check.dated(entry.where, entry.model)
    # Phones too come from the raw records (as redaction reads them): one bad field in an
    # area must not make its numbers, quoted elsewhere, look unknown.
    phones = {phone.replace(" ", "") for r in [*raw.national, *raw.areas] for phone in phones_in(r.data)}
    prose = [r for records in kinds.values() for r in records] + ([raw.lexicon] if raw.lexicon else [])
    _check_numbers_in_text(check, prose, phones)
    _check_refs(check, parsed, area_ids, guide_ids, guidance_ids, role_ids, route_keys)
    _check_levels(check, parsed)
    _check_questions(check, parsed.guidance)
    _check_out_of_scope(check, parsed)
    _check_phrases(check, parsed)
    # The parts the dialogue reads from their files: rubric, questions, quiz, escalation, safety, wording.
    check.errors.extend(Snapshot(knowledge_dir).problems())
    return Report(errors=check.errors, warnings=check.warnings)


def _check_documents(check: _Checker, parsed: Parsed, area_ids: set[str]) -> None:
    for entry in parsed.sources:
        if entry.model.area != "all" and entry.model.area not in area_ids:
            check.error(entry.where, f"area: {entry.model.area!r} is not 'all' or an area id")
        if entry.model.review_by is not None:
            check.doc_review_by[entry.model.id] = entry.model.review_by


def _check_refs(
    check: _Checker,
    parsed: Parsed,
    area_ids: set[str],
    guide_ids: set[str],
    guidance_ids: set[str],
    role_ids: set[str],
    route_keys: set[str],
) -> None:
    """Every id a record names is the id of a record of that kind."""

    def must(where: str, field_name: str, value: str | None, known: set[str], kind: str) -> None:
        if value is not None and value not in known:
            check.error(where, f"{field_name}: {value!r} is not {kind}")

    areas = area_ids | {"all"}
    for g in parsed.guidance:
        must(g.where, "area", g.model.area, areas, "'all' or an area id")
        must(g.where, "guide", g.model.guide, guide_ids, "a guide id")
        must(g.where, "role", g.model.role, role_ids, "a role id in roles.yml")
    for guide in parsed.guides:
        must(guide.where, "area", guide.model.area, areas, "'all' or an area id")
    for a in parsed.areas:
        for i, tool in enumerate(a.model.tools):
            must(f"{a.where}: tools[{i}]", "guide", tool.guide, guide_ids, "a guide id")
    for r in parsed.roles:
        for gid in r.model.guidance:
            must(r.where, "guidance", gid, guidance_ids, "a guidance id")
    for level in parsed.levels:
        for i, step in enumerate(level.model.next_steps):
            must(f"{level.where}: next_steps[{i}]", "route", step.route, route_keys, "a route key or national route id")
    if parsed.lexicon is not None:
        lexicon = parsed.lexicon.model
        for key in lexicon.routes:
            if key not in route_keys:
                check.error("lexicon.yml", f"routes: {key!r} is not a route key or national route id")
        for i, term in enumerate(lexicon.terms):
            must(f"lexicon.yml: terms[{i}]", "guidance", term.guidance, guidance_ids, "a guidance id")


def _check_numbers_in_text(check: _Checker, records: list[Record], phones: set[str]) -> None:
    """A phone number written in any text must be the phone of a route, so editing a
    number in one place cannot leave an old copy behind in prose."""

    def texts(value: Any, path: str) -> Iterable[tuple[str, str]]:
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key not in ("phone", "url", "sources"):
                    yield from texts(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                yield from texts(inner, f"{path}[{i}]")

    for record in records:
        for field_path, text in texts(record.data, ""):
            for number in NUMBER_IN_TEXT.findall(text):
                if number.replace(" ", "") not in phones:
                    check.error(record.where, f"{field_path}: mentions {number!r}, which is not the phone of any route")


def _check_levels(check: _Checker, parsed: Parsed) -> None:
    numbers = sorted(e.model.level for e in parsed.levels)
    if numbers != [1, 2, 3, 4]:
        check.error("levels.yml", f"level: must define levels 1, 2, 3 and 4 once each (found {numbers})")


def _check_questions(check: _Checker, guidance: list[Entry[files.GuidanceFile]]) -> None:
    """A question trains one topic: the same question in two topics would teach both."""
    asked: dict[str, str] = {}  # a question, normalised -> the topic it trains
    for entry in guidance:
        for question in entry.model.questions:
            other = asked.setdefault(" ".join(question.lower().split()), entry.model.topic)
            if other != entry.model.topic:
                check.error(entry.where, f"questions: {question!r} is also a question of the topic {other!r}")


def _check_out_of_scope(check: _Checker, parsed: Parsed) -> None:
    """Each reply names an intent of its own, and only routes that exist; a "{route}" in
    its text must be a national route with a phone number."""
    phones = {e.model.id: e.model.phone for e in parsed.national}
    intents: dict[str, str] = {}
    for entry in parsed.out_of_scope:
        where, d = entry.where, entry.model
        if d.intent in intents:
            check.error(where, f"intent: {d.intent!r} is also the intent of {intents[d.intent]}")
        intents.setdefault(d.intent, d.id)
        for name in PLACEHOLDER.findall(d.text):
            if not phones.get(name):
                check.error(where, f"text: {{{name}}} is not a national route with a phone number")
        for route in d.routes:
            if route not in phones:
                check.error(where, f"routes: {route!r} is not a national route id")


def _check_phrases(check: _Checker, parsed: Parsed) -> None:
    """One phrase must name one thing: an area, a role, a route or a term."""
    owners: dict[str, str] = {}
    written: set[str] = set()

    def claim(phrase: str, owner: str) -> None:
        """Spelling variants ("out-of-hours", "out of hours") may share an owner, never a meaning."""
        key = normalise(phrase)
        if key in owners and owners[key] != owner:
            check.error(owner.split(" ")[0], f"phrase {phrase!r} of {owner} is also used by {owners[key]}")
        elif phrase in written:
            check.error(owner.split(" ")[0], f"phrase {phrase!r} of {owner} is listed twice")
        written.add(phrase)
        owners.setdefault(key, owner)

    for area in parsed.areas:
        for phrase in [area.model.name, *area.model.aliases]:
            claim(phrase, f"{area.record.file} (area {area.model.id})")
    for role in parsed.roles:
        for phrase in role.model.aliases:
            claim(phrase, f"{role.record.file} (role {role.model.id})")
    if parsed.lexicon is not None:
        for key, phrases in parsed.lexicon.model.routes.items():
            for phrase in phrases:
                claim(phrase, f"lexicon.yml (route {key})")
        for term in parsed.lexicon.model.terms:
            for phrase in term.phrases:
                claim(phrase, f"lexicon.yml (term {term.guidance})")
