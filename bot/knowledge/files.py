"""The shape of each knowledge file, as declarative models (pydantic, unknown
fields refused).

`bot.knowledge.validate` parses every record with these models and turns each
pydantic error into a message naming the file, the item and the field
("areas/coventry.yml: coventry: routes.front_door: phone: missing (write null
when no reliable number is known)"); the loader builds the typed records of
`bot.knowledge.models` from the parsed models, never from raw YAML. The checks
that span files (an id that must exist, a review date no later than its
source's) stay in the validator.

Each model is named after its record with `File` (`AreaFile`): it is the file's
shape. The record the rest of the code uses is in `bot.knowledge.models`
(`Area`): it carries what the file refers to by id resolved (a `Source` with its
document's title, a `Route` with its key and area), and the database stores it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError, root_validator, validator

from bot.knowledge.models import AREA_ROUTE_KEYS
from bot.schema import Checked, Day, Id, Line, StrictModel, Text, non_empty, problems, read_yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# A web address as the sources print it, with or without the scheme; never a "#" placeholder.
_URL = re.compile(r"(https?://)?[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?", re.IGNORECASE)


class Phrase(str, Checked):
    """A phrase practitioners type, written lower case (names, aliases, lexicon entries)."""

    @classmethod
    def check(cls, value: Any) -> str:
        Text.check(value)
        if value != value.lower().strip():
            raise ValueError(f"{value!r} must be lower case without surrounding spaces")
        return str(value)


class Url(str, Checked):
    @classmethod
    def check(cls, value: Any) -> str:
        if not isinstance(value, str) or not _URL.fullmatch(value):
            raise ValueError(f"{value!r} is not a web address (placeholders like '#' are not links: use null)")
        return value


class Phone(str, Checked):
    """A UK phone number as the sources print it (spaces allowed)."""

    @classmethod
    def check(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} must be quoted text, e.g. \"020 8547 5008\"")
        problem = phone_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Time(str, Checked):
    @classmethod
    def check(cls, value: Any) -> str:
        if not isinstance(value, str) or not _HHMM.fullmatch(value):
            raise ValueError(f"{value!r} must be a quoted \"HH:MM\" time (unquoted, YAML reads 17:00 as a number)")
        return value


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


class DocRef(StrictModel):
    """A section of a document of sources.yml."""

    doc: Id
    section: Line


class WebRef(StrictModel):
    """A web address read on a given day."""

    url: Url
    checked: Day
    section: Text | None = None
    title: Text | None = None


if TYPE_CHECKING:
    Ref = DocRef | WebRef
else:

    class Ref(Checked):
        """Either kind of source reference, parsed as the kind its keys name, so an
        error says what that kind lacks rather than listing both kinds' fields."""

        @classmethod
        def check(cls, value: Any) -> DocRef | WebRef:
            model = DocRef if isinstance(value, dict) and "doc" in value else WebRef
            if not isinstance(value, dict) or not ({"doc", "url"} & set(value)):
                raise ValueError("needs doc (a sources.yml id) and section, or url and checked")
            try:
                return model.parse_obj(value)
            except ValidationError as error:
                raise ValueError("; ".join(problems(error))) from None


class Item(StrictModel):
    """What every record carries: an id, where it comes from, and when it is due for review."""

    id: Id
    sources: list[Ref]
    review_date: Day

    _given = non_empty("sources")


class DocumentFile(StrictModel):
    """One source document (an entry of sources.yml)."""

    id: Id
    file: Text
    title: Text
    short_title: Text
    publisher: Text
    area: Id
    date: Text | Day
    url: Url | None = None
    review_by: Day | None = None


class _Route(StrictModel):
    name: Text
    url: Url | None = None
    fallback: Text | None = None
    note: Text | None = None
    sources: list[Ref]
    review_date: Day

    _given = non_empty("sources")

    @root_validator(skip_on_failure=True)
    def _fallback_without_phone(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic
        if values.get("phone") is None and values.get("fallback") is None and values.get("id") not in REQUIRED_NATIONAL:
            raise ValueError("fallback: required when phone is null (say what to do instead)")
        return values


# The national routes the contact plan relies on: each needs a phone number.
REQUIRED_NATIONAL = ("emergency", "non_emergency", "nspcc")


class NationalRouteFile(_Route):
    id: Id
    when_to_use: Text
    phone: Phone | None = None
    checked: Day | None = None

    @validator("phone", always=True)
    def _required_phone(cls, value: str | None, values: dict[str, Any]) -> str | None:  # noqa: N805 - pydantic
        if value is None and values.get("id") in REQUIRED_NATIONAL:
            raise ValueError("this national route needs a phone number (the contact plan relies on it)")
        return value


class AreaRouteFile(_Route):
    how: Text
    phone: Phone | None = ...  # type: ignore[assignment]  # required, but may be null
    checked: Day


class PartnershipFile(StrictModel):
    name: Text
    url: Url | None = None


class Span(StrictModel):
    start: Time
    end: Time

    @root_validator(skip_on_failure=True)
    def _forwards(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic
        if values["start"] >= values["end"]:
            raise ValueError(f"start {values['start']} is not before end {values['end']}")
        return values


class OfficeHoursFile(StrictModel):
    """When the front door is open: every weekday alike, or day by day (a missing day is closed)."""

    known: bool
    note: Text
    weekdays: Span | None = None
    mon: Span | None = None
    tue: Span | None = None
    wed: Span | None = None
    thu: Span | None = None
    fri: Span | None = None
    sat: Span | None = None
    sun: Span | None = None

    @validator("known", pre=True)
    def _boolean(cls, value: Any) -> bool:  # noqa: N805 - pydantic
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    @root_validator(pre=True)
    def _some_hours(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic
        if not any(key == "weekdays" or key in DAYS for key in values):
            raise ValueError("no opening hours given")
        return values

    def days(self) -> dict[str, Span]:
        spans = {day: self.weekdays for day in WEEKDAYS} if self.weekdays else {}
        spans.update({day: getattr(self, day) for day in DAYS if getattr(self, day)})
        return {day: span for day, span in spans.items() if span is not None}


class ToolFile(StrictModel):
    name: Text
    summary: Text
    guide: Id | None = None
    sources: list[Ref]


class AreaFile(Item):
    name: Text
    aliases: list[Phrase] = []
    partnership: PartnershipFile
    office_hours: OfficeHoursFile
    routes: dict[str, AreaRouteFile]
    tools: list[ToolFile] = []
    level_names: dict[Literal[1, 2, 3, 4], Text] = {}

    @validator("routes", pre=True)
    def _route_keys(cls, value: Any) -> Any:  # noqa: N805 - pydantic
        if not isinstance(value, dict):
            return value
        unknown = [key for key in value if key not in AREA_ROUTE_KEYS]
        if unknown:
            raise ValueError(f"unknown route key {unknown[0]!r} (use {', '.join(AREA_ROUTE_KEYS)})")
        if not ({"front_door", "out_of_hours"} & set(value)):
            raise ValueError("no emergency route: add front_door or out_of_hours (phone null + fallback if unknown)")
        return value


class NextStepFile(StrictModel):
    text: Text
    route: Id | None = None
    sources: list[Ref]


class LevelFile(Item):
    level: Literal[1, 2, 3, 4]
    name: Text
    summary: Text
    next_steps: list[NextStepFile]

    _given = non_empty("next_steps")


class GuidanceFile(Item):
    topic: Id
    title: Text
    summary: Text
    detail: Text | None = None
    questions: list[Text] = []
    keywords: list[Text] = []
    guide: Id | None = None
    area: Id = Id("all")
    role: Id | None = None
    position: int = 10

    @validator("position", pre=True)
    def _whole(cls, value: Any) -> int:  # noqa: N805 - pydantic
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("must be a whole number (lower comes first)")
        return value


class GuideFile(Item):
    title: Text
    area: Id
    what: Text
    why: Text
    todo: Text
    more: Text
    url: Url | None = None
    aliases: list[Phrase] = []


class RoleStepFile(StrictModel):
    text: Text
    sources: list[Ref]


class RoleFile(Item):
    name: Text
    aliases: list[Phrase]
    summary: Text
    guidance: list[Id]
    steps: list[RoleStepFile] = []

    _given = non_empty("aliases", "guidance")


class OutOfScopeFile(Item):
    """What to say to a message the assistant does not cover (see models.OutOfScope)."""

    intent: Id
    title: Text
    text: Text
    routes: list[Id] = []
    local: Id | None = None
    local_fallback: Id | None = None
    local_missing: Text | None = None
    ask_area: Text | None = None
    areas: Text | None = None

    @root_validator(skip_on_failure=True)
    def _local_needs_its_texts(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic
        if values.get("local") is not None:
            missing = [key for key in ("local_fallback", "local_missing", "ask_area") if values.get(key) is None]
            if missing:
                raise ValueError(f"{missing[0]}: missing (needed when local is given)")
        for key in ("local", "local_fallback"):
            if values.get(key) is not None and values[key] not in AREA_ROUTE_KEYS:
                raise ValueError(f"{key}: {values[key]!r} is not an area route key ({', '.join(AREA_ROUTE_KEYS)})")
        return values


class Term(StrictModel):
    guidance: Id
    phrases: list[Phrase]


class LexiconFile(StrictModel):
    """Phrases practitioners type for routes (route key -> phrases) and for jargon terms."""

    review_date: Day
    routes: dict[Id, list[Phrase]]
    terms: list[Term]

    @validator("routes")
    def _phrases(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:  # noqa: N805 - pydantic
        empty = [key for key, phrases in value.items() if not phrases]
        if empty:
            raise ValueError(f"{empty[0]}: must not be empty")
        return value


# --- The channels' own replies (knowledge/safety/fallback.yml), read by bot/channels/guard.py ---


class _Reply(StrictModel):
    text: Text
    sources: list[DocRef] = []
    note: Text | None = None
    review_date: Day


class FallbackFile(StrictModel):
    """knowledge/safety/fallback.yml as written: the safe reply must give 999."""

    safe_reply: _Reply
    empty_prompt: _Reply

    @validator("safe_reply")
    def _gives_999(cls, value: _Reply) -> _Reply:  # noqa: N805 - pydantic
        if "999" not in value.text:
            raise ValueError("text: must give the emergency route (999)")
        return value


def load_fallback(path: Path) -> FallbackFile:
    try:
        return FallbackFile.parse_obj(read_yaml(path, ValueError))
    except ValidationError as error:
        raise ValueError(f"{path}: " + "; ".join(problems(error))) from None
