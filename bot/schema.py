"""The base of the declarative knowledge models (pydantic): unknown fields are
refused and a loaded model cannot be changed, so a typo in a knowledge file is
an error naming the file and field, never a silently ignored setting.

Also the field types every knowledge file shares (text, ids, dates written as
YAML dates), the strict YAML reader (a duplicate key is an error, not the last
one silently kept) and the one way a validation error is put into words.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Extra, ValidationError, validator


class StrictModel(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


_ID = re.compile(r"[a-z][a-z0-9_]*")
# What a missing field should hold, said beside "missing".
MISSING_HINTS = {
    "phone": "write null when no reliable number is known",
    "checked": "the date this was last checked, e.g. 2026-11-22",
    "date": "as the document gives it, or 'not given'",
}

Validator = Callable[[Any], Any]


class Checked:
    """A field type whose only validator is `check` (pydantic v1's custom-type protocol),
    so a YAML value of the wrong kind is refused with our message, never coerced."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Validator]:
        yield cls.check

    @classmethod
    def check(cls, value: Any) -> Any:
        raise NotImplementedError


class Text(str, Checked):
    """Non-empty text."""

    @classmethod
    def check(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be non-empty text")
        return value


class Line(str, Checked):
    """Non-empty text as one line: YAML's folded and wrapped text with its runs of
    spaces and line breaks made single spaces (what a reply shows)."""

    @classmethod
    def check(cls, value: Any) -> str:
        return " ".join(Text.check(value).split())


class Quoted(str, Checked):
    """Text that YAML must not read as something else: yes, no, on, off and numbers need quotes."""

    @classmethod
    def check(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be quoted text (YAML reads yes, no, on, off and numbers otherwise), got {value!r}")
        return value


class Count(int, Checked):
    """A whole number >= 0, written as one (2, never "2" or true)."""

    @classmethod
    def check(cls, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"must be a whole number >= 0, got {value!r}")
        return value


class Id(str, Checked):
    @classmethod
    def check(cls, value: Any) -> str:
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise ValueError(f"{value!r} must be snake_case text")
        return value


class Day(date, Checked):
    """A date written as an unquoted ISO date (YAML reads it as a date; quoted, it is text)."""

    @classmethod
    def check(cls, value: Any) -> date:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"{value!r} must be an unquoted ISO date like 2027-05-22")
        return value



def non_empty(*fields: str) -> Any:
    """A validator for a model: each of `fields`, a list, must hold something ("missing" if not).
    Use as a class attribute: `_given = non_empty("sources")`."""

    def check(cls: Any, value: Any) -> Any:
        if value is not None and not value:
            raise ValueError("missing")
        return value

    return validator(*fields, allow_reuse=True)(check)


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last one silently)."""


def _construct_strict_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_strict_mapping)


def load_yaml(text: str) -> Any:
    """Parse YAML text strictly (raises yaml.YAMLError, a duplicate key included)."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(path: Path, error: type[ValueError]) -> Any:
    """Read one knowledge YAML file strictly; any I/O or syntax problem raises `error`."""
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def problems(error: ValidationError) -> list[str]:
    """Each pydantic error as "path: field: message", the path in YAML's terms
    ("routes.front_door: phone: missing (write null when no reliable number is known)");
    an error about a whole record or mapping names only its path."""
    messages = []
    for e in error.errors():
        loc = [part for part in e["loc"] if part != "__root__"]
        whole = "__root__" in e["loc"] or not loc or isinstance(loc[-1], int)
        field = None if whole else str(loc.pop())
        message = e["msg"]
        if e["type"] == "value_error.missing":
            hint = MISSING_HINTS.get(field or "")
            message = f"missing ({hint})" if hint else "missing"
        elif e["type"] == "value_error.extra":
            message = "unknown field (a typo?)"
        path = ""
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        where = ": ".join(p for p in (path, field) if p)
        messages.append(f"{where}: {message}" if where else message)
    return list(dict.fromkeys(messages))
