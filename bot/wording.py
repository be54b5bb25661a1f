"""The reply wording bot/render.py assembles, read from knowledge/wording.yml.

Each line is a template with named placeholders ("NSPCC helpline for adults:
{phone}."), reviewed as content; the code supplies only values (numbers,
names, titles, citations) from the knowledge records. A template that names
a placeholder the call does not give, or a call that gives one the template
does not name, is an error: a reviewer's typo never reaches a practitioner as
"{phnoe}", and a fact the code passes is never silently dropped.
"""
from __future__ import annotations

import re
import string
from pathlib import Path

from pydantic import ValidationError, validator

from bot.schema import StrictModel, read_yaml

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The one number wording may hold: the emergency line. Every other number is a
# fact with a source, so it comes from knowledge/ through a placeholder.
_NUMBER = re.compile(r"(?<![\w{])\d[\d ]{1,}\d(?![\w}])")


class WordingError(ValueError):
    """knowledge/wording.yml is malformed (the message names the line)."""


def placeholders(template: str) -> frozenset[str]:
    """The named placeholders of a template ("{phone}" -> {"phone"})."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


class Wording(StrictModel):
    lines: dict[str, str]

    @validator("lines")
    def _well_formed(cls, lines: dict[str, str]) -> dict[str, str]:  # noqa: N805 - pydantic
        for key, template in lines.items():
            if not _NAME.match(key):
                raise ValueError(f"{key!r}: a line's name is lower case words joined by '_'")
            try:
                names = placeholders(template)
            except ValueError as error:
                raise ValueError(f"{key}: {error} (write a literal brace as {{{{ or }}}})") from None
            bad = sorted(n for n in names if not _NAME.match(n))
            if bad:
                raise ValueError(f"{key}: placeholders are plain names, not {bad}")
            numbers = [n for n in _NUMBER.findall(template) if n.strip() != "999"]
            if numbers:
                raise ValueError(f"{key}: holds {numbers}; a number is a fact, given from knowledge/ as a placeholder")
        return lines

    def say(self, key: str, **values: object) -> str:
        """The line `key` with its placeholders filled; every placeholder must be given, and nothing else."""
        template = self.lines.get(key)
        if template is None:
            raise WordingError(f"knowledge/wording.yml has no line {key!r}")
        wanted, given = placeholders(template), frozenset(values)
        if wanted != given:
            raise WordingError(f"{key}: the line names {sorted(wanted)}, the code gives {sorted(given)}")
        return template.format(**values)


def load(path: Path) -> Wording:
    try:
        return Wording.parse_obj(read_yaml(path, WordingError))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise WordingError(f"{path.name}: {problems}") from None


def default() -> Wording:
    """knowledge/wording.yml (bot/knowledge/snapshot.py), read once per process."""
    from bot.knowledge.snapshot import snapshot

    return snapshot().wording


def say(key: str, **values: object) -> str:
    """A line of knowledge/wording.yml, filled in."""
    return default().say(key, **values)
