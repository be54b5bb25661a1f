"""Check a knowledge directory before it is built.

Errors block the build; warnings (content past its review date) do not.
Every message names the file, the item id and the field, so a reviewer can
go straight to the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.knowledge.loader import DAYS, Record, read_raw
from bot.knowledge.models import AREA_ROUTE_KEYS, PLACEHOLDER, normalise

ID = re.compile(r"[a-z][a-z0-9_]*")
HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# A web address as the sources print it, with or without the scheme; never a "#" placeholder.
URL = re.compile(r"(https?://)?[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?", re.IGNORECASE)
# Something in prose that looks like a UK phone number (checked against the known routes).
NUMBER_IN_TEXT = re.compile(r"(?<![\d,.])0\d{2,4}(?: ?\d){4,8}(?!\d)")
# The national routes the contact plan relies on.
REQUIRED_NATIONAL = ("emergency", "non_emergency", "nspcc")
ITEM = {"id", "sources", "review_date"}
ROUTE_FIELDS = {"name", "phone", "url", "how", "fallback", "note", "sources", "checked", "review_date"}
FIELDS = {
    "source": {"id", "file", "title", "short_title", "publisher", "area", "date", "url", "review_by"},
    "national route": ITEM | {"name", "phone", "url", "when_to_use", "note", "fallback", "checked"},
    "area": ITEM | {"name", "aliases", "partnership", "office_hours", "routes", "tools", "level_names"},
    "level": ITEM | {"level", "name", "summary", "next_steps"},
    "guidance": ITEM | {"topic", "questions", "title", "summary", "detail", "keywords", "guide", "area", "role", "position"},
    "guide": ITEM | {"title", "area", "what", "why", "todo", "more", "url", "aliases"},
    "role": ITEM | {"name", "aliases", "summary", "guidance", "steps"},
    "out of scope": ITEM | {"intent", "title", "text", "routes", "local", "local_fallback", "local_missing",
                            "ask_area", "areas"},
}


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def phone_problem(phone: str) -> str | None:
    """Why a phone number is not in UK format, or None when it is.

    Spaces are ignored, so numbers can be written as the sources print them
    (e.g. "0345 8 503 503").
    """
    digits = phone.replace(" ", "")
    if not re.fullmatch(r"[0-9]+", digits):
        return f"{phone!r} is not a UK phone number (only digits and spaces)"
    if digits in ("999", "101", "111"):
        return None
    valid_lengths = {"0800": (8, 10, 11), "0808": (10, 11), "01": (10, 11), "02": (11,), "03": (11,)}
    for prefix, lengths in valid_lengths.items():
        if digits.startswith(prefix):
            return None if len(digits) in lengths else f"{phone!r} has {len(digits)} digits"
    return f"{phone!r} is not a UK number this knowledge base accepts (999, 101, 111, 0800/0808, 01, 02, 03)"


class _Checker:
    """Collects precise error messages while walking the raw records."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.doc_review_by: dict[str, date] = {}

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def text(self, where: str, data: dict[str, Any], key: str, required: bool = True) -> None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(where, f"{key}: missing")
        elif not isinstance(value, str) or not value.strip():
            self.error(where, f"{key}: must be non-empty text")

    def strings(self, where: str, data: dict[str, Any], key: str, required: bool = False, lower: bool = False) -> list[str]:
        value = data.get(key)
        if value is None:
            if required:
                self.error(where, f"{key}: missing")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(where, f"{key}: must be a list of non-empty texts")
            return []
        if required and not value:
            self.error(where, f"{key}: must not be empty")
        if lower:
            for v in value:
                if v != v.lower().strip():
                    self.error(where, f"{key}: {v!r} must be lower case without surrounding spaces")
        return value

    def url(self, where: str, data: dict[str, Any], key: str = "url") -> None:
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not URL.fullmatch(value)):
            self.error(where, f"{key}: {value!r} is not a web address (placeholders like '#' are not links: use null)")

    def review_date(self, where: str, data: dict[str, Any], key: str = "review_date") -> None:
        value = data.get(key)
        if value is None:
            self.error(where, f"{key}: missing")
        elif not isinstance(value, date) or isinstance(value, datetime):
            self.error(where, f"{key}: {value!r} must be an unquoted ISO date like 2027-05-22")
        else:
            if value < self.today:
                self.warnings.append(f"{where}: {key} {value.isoformat()} is past: stale, due for review")
            for doc in self._cited_docs(data.get("sources")):
                review_by = self.doc_review_by.get(doc)
                if review_by and value > review_by:
                    self.error(
                        where,
                        f"{key}: {value.isoformat()} is later than the review date of its source "
                        f"{doc} ({review_by.isoformat()}): use {review_by.isoformat()}",
                    )

    @staticmethod
    def _cited_docs(sources: Any) -> list[str]:
        if not isinstance(sources, list):
            return []
        return [s["doc"] for s in sources if isinstance(s, dict) and isinstance(s.get("doc"), str)]

    def sources(self, where: str, data: dict[str, Any], docs: set[str]) -> None:
        value = data.get("sources")
        if not value:
            self.error(where, "sources: missing")
            return
        if not isinstance(value, list):
            self.error(where, "sources: must be a list")
            return
        for i, ref in enumerate(value):
            at = f"{where}: sources[{i}]"
            if not isinstance(ref, dict):
                self.error(at, "must be {doc, section} or {url, checked}")
            elif "doc" in ref:
                if ref["doc"] not in docs:
                    self.error(at, f"doc {ref['doc']!r} is not in sources.yml")
                self.text(at, ref, "section")
            elif "url" in ref:
                self.url(at, ref)
                checked = ref.get("checked")
                if not isinstance(checked, date):
                    self.error(at, "checked: missing (the date the address was read, e.g. 2026-11-22)")
            else:
                self.error(at, "needs doc (a sources.yml id) or url")

    def ids(self, kind: str, records: Iterable[Record], seen: dict[str, str]) -> None:
        for record in records:
            item_id = record.data.get("id") if isinstance(record.data, dict) else None
            if not isinstance(item_id, str) or not ID.fullmatch(item_id):
                self.error(record.file, f"{kind} id {item_id!r} must be snake_case text")
                continue
            if item_id in seen:
                self.error(record.file, f"{item_id}: duplicate id (also in {seen[item_id]})")
            seen[item_id] = record.file


def validate(knowledge_dir: Path, today: date) -> Report:
    """Check every file, item and cross-reference of a knowledge directory."""
    raw = read_raw(knowledge_dir)
    check = _Checker(today)
    check.errors.extend(raw.errors)

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
    for kind, records in kinds.items():
        for record in records:
            if not isinstance(record.data, dict):
                check.error(record.file, f"each {kind} must be a mapping")
        kinds[kind] = [r for r in records if isinstance(r.data, dict)]
    seen: dict[str, str] = {}
    for kind, records in kinds.items():
        check.ids(kind, records, seen)
    for kind in ("area", "guidance", "guide"):  # one record per file: the id names the file
        for record in kinds[kind]:
            stem = Path(record.file).stem
            if record.data.get("id") != stem:
                check.error(record.file, f"id {record.data.get('id')!r} must match the file name {stem!r}")

    for kind, records in kinds.items():
        for record in records:
            unknown = sorted(set(record.data) - FIELDS[kind])
            if unknown:
                check.error(_where(record), f"unknown field(s) {unknown} (a typo?)")

    def ids(kind: str) -> set[str]:
        return {r.data["id"] for r in kinds[kind] if isinstance(r.data.get("id"), str)}

    docs, area_ids, guidance_ids, guide_ids, role_ids = (
        ids(k) for k in ("source", "area", "guidance", "guide", "role")
    )
    route_keys = set(AREA_ROUTE_KEYS) | ids("national route")

    _check_documents(check, kinds["source"], area_ids)
    phones = _check_national(check, kinds["national route"], docs)
    phones |= _check_areas(check, kinds["area"], docs, guide_ids)
    prose = [r for records in kinds.values() for r in records] + ([raw.lexicon] if raw.lexicon else [])
    _check_numbers_in_text(check, prose, phones)
    _check_levels(check, kinds["level"], docs, route_keys)
    _check_guidance(check, kinds["guidance"], docs, area_ids, guide_ids, role_ids)
    _check_guides(check, kinds["guide"], docs, area_ids)
    _check_roles(check, kinds["role"], docs, guidance_ids)
    _check_out_of_scope(check, kinds["out of scope"], docs, kinds["national route"])
    _check_lexicon(check, raw.lexicon, route_keys, guidance_ids)
    _check_phrases(check, kinds["area"], kinds["role"], raw.lexicon)
    _check_rubric(check, knowledge_dir, kinds["level"])
    _check_wording(check, knowledge_dir)
    return Report(errors=check.errors, warnings=check.warnings)


def _where(record: Record) -> str:
    return f"{record.file}: {record.data.get('id')}"


def _check_documents(check: _Checker, records: list[Record], area_ids: set[str]) -> None:
    for record in records:
        where, d = _where(record), record.data
        for key in ("title", "short_title", "publisher", "file"):
            check.text(where, d, key)
        if d.get("date") is None:
            check.error(where, "date: missing (as the document gives it, or 'not given')")
        if d.get("area") != "all" and d.get("area") not in area_ids:
            check.error(where, f"area: {d.get('area')!r} is not 'all' or an area id")
        check.url(where, d)
        review_by = d.get("review_by")
        if review_by is not None:
            if isinstance(review_by, date):
                check.doc_review_by[d["id"]] = review_by
            else:
                check.error(where, "review_by: must be an unquoted ISO date")


def _check_route(check: _Checker, where: str, d: Any, docs: set[str], national: bool) -> str | None:
    """Check one route; returns its phone number when it has one."""
    if not isinstance(d, dict):
        check.error(where, "must be a mapping")
        return None
    check.text(where, d, "name")
    check.text(where, d, "when_to_use" if national else "how")
    for key in ("fallback", "note"):
        check.text(where, d, key, required=False)
    check.url(where, d)
    check.sources(where, d, docs)
    check.review_date(where, d)
    if not national and not isinstance(d.get("checked"), date):
        check.error(where, "checked: missing (the date this contact was last checked)")
    if not national and "phone" not in d:
        check.error(where, "phone: missing (write null when no reliable number is known)")
    phone = d.get("phone")
    if phone is None:
        if national and d.get("id") in REQUIRED_NATIONAL:
            check.error(where, "phone: this national route needs a phone number (the contact plan relies on it)")
        elif not (isinstance(d.get("fallback"), str) and d["fallback"].strip()):
            check.error(where, "fallback: required when phone is null (say what to do instead)")
        return None
    if not isinstance(phone, str):
        check.error(where, f"phone: {phone!r} must be quoted text, e.g. \"020 8547 5008\"")
        return None
    problem = phone_problem(phone)
    if problem:
        check.error(where, f"phone: {problem}")
        return None
    return phone.replace(" ", "")


def _check_national(check: _Checker, records: list[Record], docs: set[str]) -> set[str]:
    phones = {_check_route(check, _where(r), r.data, docs, national=True) for r in records}
    ids = {r.data.get("id") for r in records}
    for required in REQUIRED_NATIONAL:
        if required not in ids:
            check.error("national.yml", f"{required}: missing national route (every area needs it)")
    return {p for p in phones if p}


def _check_areas(check: _Checker, records: list[Record], docs: set[str], guide_ids: set[str]) -> set[str]:
    phones: set[str] = set()
    for record in records:
        where, d = _where(record), record.data
        check.text(where, d, "name")
        check.strings(where, d, "aliases", lower=True)
        check.sources(where, d, docs)
        check.review_date(where, d)
        partnership = d.get("partnership")
        if not isinstance(partnership, dict):
            check.error(where, "partnership: missing ({name, url})")
        else:
            check.text(f"{where}: partnership", partnership, "name")
            check.url(f"{where}: partnership", partnership)
        _check_office_hours(check, where, d.get("office_hours"))
        routes = d.get("routes")
        if not isinstance(routes, dict):
            check.error(where, "routes: missing")
            routes = {}
        for key, route in routes.items():
            if isinstance(route, dict) and set(route) - ROUTE_FIELDS:
                check.error(where, f"routes.{key}: unknown field(s) {sorted(set(route) - ROUTE_FIELDS)} (a typo?)")
            if key not in AREA_ROUTE_KEYS:
                check.error(where, f"routes: unknown route key {key!r} (use {', '.join(AREA_ROUTE_KEYS)})")
                continue
            phone = _check_route(check, f"{where}: routes.{key}", route, docs, national=False)
            if phone:
                phones.add(phone)
        if not ({"front_door", "out_of_hours"} & set(routes)):
            check.error(where, "routes: no emergency route: add front_door or out_of_hours (phone null + fallback if unknown)")
        tools = d.get("tools") or []
        for i, tool in enumerate(tools if isinstance(tools, list) else []):
            at = f"{where}: tools[{i}]"
            if not isinstance(tool, dict):
                check.error(at, "must be a mapping")
                continue
            check.text(at, tool, "name")
            check.text(at, tool, "summary")
            check.sources(at, tool, docs)
            if tool.get("guide") is not None and tool.get("guide") not in guide_ids:
                check.error(at, f"guide: {tool.get('guide')!r} is not a guide id")
        level_names = d.get("level_names") or {}
        if not isinstance(level_names, dict) or not all(k in (1, 2, 3, 4) and isinstance(v, str) for k, v in level_names.items()):
            check.error(where, "level_names: must map levels 1-4 to names")
    return phones


def _check_office_hours(check: _Checker, where: str, hours: Any) -> None:
    where = f"{where}: office_hours"
    if not isinstance(hours, dict):
        check.error(where, "missing ({known, note, weekdays: {start, end}} or per day)")
        return
    if not isinstance(hours.get("known"), bool):
        check.error(where, "known: must be true or false")
    check.text(where, hours, "note")
    unknown = set(hours) - {"known", "note", "weekdays", *DAYS}
    if unknown:
        check.error(where, f"unknown keys {sorted(unknown)}")
    spans = {k: v for k, v in hours.items() if k == "weekdays" or k in DAYS}
    if not spans:
        check.error(where, "no opening hours given")
    for day, span in spans.items():
        if span is None:
            continue
        start, end = (span.get("start"), span.get("end")) if isinstance(span, dict) else (None, None)
        if not (isinstance(start, str) and HHMM.fullmatch(start) and isinstance(end, str) and HHMM.fullmatch(end)):
            check.error(where, f"{day}: start and end must be quoted \"HH:MM\" times")
        elif start >= end:
            check.error(where, f"{day}: start {start} is not before end {end}")


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
        item_id = record.data.get("id") if isinstance(record.data, dict) else None
        where = f"{record.file}: {item_id}" if item_id else record.file
        for field_path, text in texts(record.data, ""):
            for number in NUMBER_IN_TEXT.findall(text):
                if number.replace(" ", "") not in phones:
                    check.error(where, f"{field_path}: mentions {number!r}, which is not the phone of any route")


def _check_levels(check: _Checker, records: list[Record], docs: set[str], route_keys: set[str]) -> None:
    numbers = []
    for record in records:
        where, d = _where(record), record.data
        numbers.append(d.get("level"))
        for key in ("name", "summary"):
            check.text(where, d, key)
        check.sources(where, d, docs)
        check.review_date(where, d)
        steps = d.get("next_steps")
        if not isinstance(steps, list) or not steps:
            check.error(where, "next_steps: missing")
            continue
        for i, step in enumerate(steps):
            at = f"{where}: next_steps[{i}]"
            if not isinstance(step, dict):
                check.error(at, "must be a mapping")
                continue
            check.text(at, step, "text")
            check.sources(at, step, docs)
            if step.get("route") is not None and step.get("route") not in route_keys:
                check.error(at, f"route: {step.get('route')!r} is not a route key or national route id")
    if sorted(n for n in numbers if isinstance(n, int)) != [1, 2, 3, 4] or len(numbers) != 4:
        check.error("levels.yml", f"level: must define levels 1, 2, 3 and 4 once each (found {numbers})")


def _check_item_refs(check: _Checker, where: str, d: dict[str, Any], area_ids: set[str]) -> None:
    if d.get("area") != "all" and d.get("area") not in area_ids:
        check.error(where, f"area: {d.get('area')!r} is not 'all' or an area id")


def _check_guidance(
    check: _Checker,
    records: list[Record],
    docs: set[str],
    area_ids: set[str],
    guide_ids: set[str],
    role_ids: set[str],
) -> None:
    asked: dict[str, str] = {}  # a question, normalised -> the topic it trains
    for record in records:
        where, d = _where(record), record.data
        if not isinstance(d.get("topic"), str) or not ID.fullmatch(d["topic"]):
            check.error(where, f"topic: {d.get('topic')!r} must be a topic id like definition")
        for question in check.strings(where, d, "questions"):
            key = " ".join(question.lower().split())
            other = asked.setdefault(key, str(d.get("topic")))
            if other != d.get("topic"):
                check.error(where, f"questions: {question!r} is also a question of the topic {other!r}")
        for key in ("title", "summary"):
            check.text(where, d, key)
        check.text(where, d, "detail", required=False)
        check.strings(where, d, "keywords")
        check.sources(where, d, docs)
        check.review_date(where, d)
        _check_item_refs(check, where, d, area_ids)
        if d.get("guide") is not None and d.get("guide") not in guide_ids:
            check.error(where, f"guide: {d.get('guide')!r} is not a guide id")
        if not isinstance(d.get("position", 10), int) or isinstance(d.get("position"), bool):
            check.error(where, "position: must be a whole number (lower comes first)")
        if d.get("role") is not None and d.get("role") not in role_ids:
            check.error(where, f"role: {d.get('role')!r} is not a role id in roles.yml")


def _check_guides(check: _Checker, records: list[Record], docs: set[str], area_ids: set[str]) -> None:
    for record in records:
        where, d = _where(record), record.data
        for key in ("title", "what", "why", "todo", "more"):
            check.text(where, d, key)
        check.strings(where, d, "aliases", lower=True)
        check.url(where, d)
        check.sources(where, d, docs)
        check.review_date(where, d)
        _check_item_refs(check, where, d, area_ids)


def _check_roles(check: _Checker, records: list[Record], docs: set[str], guidance_ids: set[str]) -> None:
    for record in records:
        where, d = _where(record), record.data
        for key in ("name", "summary"):
            check.text(where, d, key)
        check.strings(where, d, "aliases", required=True, lower=True)
        for gid in check.strings(where, d, "guidance", required=True):
            if gid not in guidance_ids:
                check.error(where, f"guidance: {gid!r} is not a guidance id")
        check.sources(where, d, docs)
        check.review_date(where, d)
        steps = d.get("steps") or []
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            at = f"{where}: steps[{i}]"
            if not isinstance(step, dict):
                check.error(at, "must be a mapping")
                continue
            check.text(at, step, "text")
            check.sources(at, step, docs)


def _check_out_of_scope(check: _Checker, records: list[Record], docs: set[str], national: list[Record]) -> None:
    """Each reply names an intent of its own, and only routes that exist; a "{route}" in
    its text must be a national route with a phone number."""
    phones = {r.data.get("id"): r.data.get("phone") for r in national}
    intents: dict[str, str] = {}
    for record in records:
        where, d = _where(record), record.data
        intent = d.get("intent")
        if not isinstance(intent, str) or not ID.fullmatch(intent):
            check.error(where, f"intent: {intent!r} must be an NLU intent name like out_of_scope_adult")
        elif intent in intents:
            check.error(where, f"intent: {intent!r} is also the intent of {intents[intent]}")
        else:
            intents[intent] = str(d.get("id"))
        for key in ("title", "text"):
            check.text(where, d, key)
        for key in ("local_missing", "ask_area", "areas"):
            check.text(where, d, key, required=False)
        if d.get("local") is not None:
            for key in ("local_fallback", "local_missing", "ask_area"):
                check.text(where, d, key)
        for name in PLACEHOLDER.findall(d.get("text") or "") if isinstance(d.get("text"), str) else []:
            if not phones.get(name):
                check.error(where, f"text: {{{name}}} is not a national route with a phone number")
        for route in check.strings(where, d, "routes"):
            if route not in phones:
                check.error(where, f"routes: {route!r} is not a national route id")
        for key in ("local", "local_fallback"):
            if d.get(key) is not None and d.get(key) not in AREA_ROUTE_KEYS:
                check.error(where, f"{key}: {d.get(key)!r} is not an area route key ({', '.join(AREA_ROUTE_KEYS)})")
        check.sources(where, d, docs)
        check.review_date(where, d)


def _check_lexicon(check: _Checker, record: Record | None, route_keys: set[str], guidance_ids: set[str]) -> None:
    if record is None:
        return
    d = record.data
    if not isinstance(d, dict) or not isinstance(d.get("routes"), dict) or not isinstance(d.get("terms"), list):
        check.error("lexicon.yml", "must be a mapping with routes (route key -> phrases) and terms (a list)")
        return
    check.review_date("lexicon.yml", d)
    for key in d["routes"]:
        if key not in route_keys:
            check.error("lexicon.yml", f"routes: {key!r} is not a route key or national route id")
        check.strings(f"lexicon.yml: routes.{key}", d["routes"], key, required=True, lower=True)
    for i, term in enumerate(d["terms"]):
        at = f"lexicon.yml: terms[{i}]"
        if not isinstance(term, dict):
            check.error(at, "must be {guidance, phrases}")
            continue
        if term.get("guidance") not in guidance_ids:
            check.error(at, f"guidance: {term.get('guidance')!r} is not a guidance id")
        check.strings(at, term, "phrases", required=True, lower=True)


def _check_phrases(check: _Checker, areas: list[Record], roles: list[Record], lexicon: Record | None) -> None:
    """One phrase must name one thing: an area, a role, a route or a term."""
    owners: dict[str, str] = {}
    written: set[str] = set()

    def claim(phrase: Any, owner: str) -> None:
        """Spelling variants ("out-of-hours", "out of hours") may share an owner, never a meaning."""
        if not isinstance(phrase, str):
            return
        key = normalise(phrase)
        if key in owners and owners[key] != owner:
            check.error(owner.split(" ")[0], f"phrase {phrase!r} of {owner} is also used by {owners[key]}")
        elif phrase in written:
            check.error(owner.split(" ")[0], f"phrase {phrase!r} of {owner} is listed twice")
        written.add(phrase)
        owners.setdefault(key, owner)

    for record in areas:
        for phrase in [record.data.get("name"), *(record.data.get("aliases") or [])]:
            claim(phrase, f"{record.file} (area {record.data.get('id')})")
    for record in roles:
        for phrase in record.data.get("aliases") or []:
            claim(phrase, f"{record.file} (role {record.data.get('id')})")
    d = lexicon.data if lexicon else None
    if isinstance(d, dict) and isinstance(d.get("routes"), dict) and isinstance(d.get("terms"), list):
        for key, phrases in d["routes"].items():
            for phrase in phrases if isinstance(phrases, list) else []:
                claim(phrase, f"lexicon.yml (route {key})")
        for term in d["terms"]:
            for phrase in (term.get("phrases") or []) if isinstance(term, dict) else []:
                claim(phrase, f"lexicon.yml (term {term.get('guidance')})")


def _check_rubric(check: _Checker, knowledge_dir: Path, levels: list[Record]) -> None:
    rubric = knowledge_dir / "triage" / "rubric.yml"
    if not rubric.is_file():
        check.error("triage/rubric.yml", "missing (the triage rubric, see spec/triage.md)")
        return
    try:
        from bot.triage import RubricError, load_rubric
    except ImportError as exc:
        check.error("triage/rubric.yml", f"cannot be checked: bot.triage is not importable ({exc})")
        return
    try:
        loaded = load_rubric(rubric)
    except RubricError as exc:
        check.error("triage/rubric.yml", str(exc))
        return
    except Exception as exc:  # a broken rubric must block the build, whatever load_rubric raised
        check.error("triage/rubric.yml", f"load_rubric failed: {exc!r}")
        return
    # The level names appear in the rubric (for the quiz) and in levels.yml
    # (for the area's next steps): they must not drift apart.
    for record in levels:
        n, name = record.data.get("level"), record.data.get("name")
        rubric_level = loaded.levels.get(n) if isinstance(n, int) else None
        if rubric_level is not None and rubric_level.name != name:
            check.error(_where(record), f"name {name!r} differs from triage/rubric.yml's {rubric_level.name!r}")


def _check_wording(check: _Checker, knowledge_dir: Path) -> None:
    """wording.yml: the reply templates (bot/wording.py names what is wrong)."""
    from bot.wording import WordingError, load

    path = knowledge_dir / "wording.yml"
    if not path.is_file():
        check.error("wording.yml", "missing (the wording of the replies, see bot/wording.py)")
        return
    try:
        load(path)
    except WordingError as exc:
        check.error("wording.yml", str(exc).removeprefix("wording.yml: "))
