"""knowledge/out_of_scope.yml through the loader, validator, build and store:
one broken copy of the minimal valid knowledge per defect, and the real file."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.build import build
from bot.knowledge.store import KnowledgeStore
from bot.knowledge.validate import validate
from tests.test_knowledge_support import KNOWLEDGE, copy_minimal, read, write

TODAY = date(2026, 11, 22)


def edit(change: Callable[[list[dict[str, Any]]], None], relative: str = "out_of_scope.yml") -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        data = read(root / relative)
        change(data)  # type: ignore[arg-type]
        write(root / relative, data)

    return mutate


DEFECTS: list[tuple[str, Callable[[Path], None], str]] = [
    ("no sources", edit(lambda d: d[0].pop("sources")), "out_of_scope.yml: scope_one: sources: missing"),
    ("no review date", edit(lambda d: d[0].pop("review_date")), "scope_one: review_date: missing"),
    ("no text", edit(lambda d: d[0].pop("text")), "scope_one: text: missing"),
    ("placeholder of an unknown route", edit(lambda d: d[0].update(text="Call {nowhere}.")),
     "scope_one: text: {nowhere} is not a national route with a phone number"),
    ("unknown national route", edit(lambda d: d[0].update(routes=["adult_line"])),
     "scope_one: routes: 'adult_line' is not a national route id"),
    ("unknown area route key", edit(lambda d: d[0].update(local="helpdesk")),
     "scope_one: local: 'helpdesk' is not an area route key"),
    ("local route without what to say when it is missing", edit(lambda d: d[0].pop("local_missing")),
     "scope_one: local_missing: missing"),
    ("two records for one intent", edit(lambda d: d.append({**d[0], "id": "scope_two"})),
     "scope_two: intent: 'out_of_scope_adult' is also the intent of scope_one"),
    ("an invented number in the text", edit(lambda d: d[0].update(text="Call 0800 123 4567.")),
     "scope_one: text: mentions '0800 123 4567', which is not the phone of any route"),
    ("a typo in a field name", edit(lambda d: d[0].update(rotues=["nspcc"])),
     "scope_one: rotues: unknown field (a typo?)"),
    ("a required national route without a phone", edit(lambda d: d[2].update(phone=None), "national.yml"),
     "nspcc: phone: this national route needs a phone number"),
    ("an optional national route without a phone or fallback",
     edit(lambda d: d.append({**d[2], "id": "adult_line", "phone": None}), "national.yml"),
     "adult_line: fallback: required when phone is null"),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_the_validator_names_each_defect(tmp_path: Path, name: str, mutate: Callable[[Path], None],
                                         expected: str) -> None:
    root = copy_minimal(tmp_path / "knowledge")
    assert validate(root, TODAY).errors == []
    mutate(root)
    errors = validate(root, TODAY).errors
    assert any(expected in e for e in errors), errors


def test_a_national_route_with_no_number_but_a_fallback_is_valid(tmp_path: Path) -> None:
    root = copy_minimal(tmp_path / "knowledge")
    national = read(root / "national.yml")
    national.append({**national[2], "id": "adult_line", "phone": None, "fallback": "Ask the council."})  # type: ignore[attr-defined]
    write(root / "national.yml", national)
    assert validate(root, TODAY).errors == []


def test_the_real_records_build_and_are_found_by_intent(tmp_path: Path) -> None:
    out = tmp_path / "knowledge.db"
    assert not build(KNOWLEDGE, out, TODAY).errors
    store = KnowledgeStore.open(out)
    try:
        for intent in ("out_of_scope_adult", "out_of_scope_allegation", "out_of_scope_child",
                       "out_of_scope_medical", "out_of_scope_language", "inform_area"):
            record = store.out_of_scope(intent)
            assert record is not None and record.sources, intent
        assert store.out_of_scope("ask_question") is None
        assert {r.key for r in store.national_routes()} >= {"emergency", "childline", "nhs_111", "adult_social_care"}
        assert store.national("adult_social_care").phone is None
    finally:
        store.close()
