"""The validator catches each defect: one broken copy of the minimal valid knowledge per case."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.files import phone_problem
from bot.knowledge.validate import validate
from tests.test_knowledge_support import copy_minimal, read, write

TODAY = date(2026, 11, 22)


def edit(relative: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    """A mutation that loads one YAML file, changes it in place and writes it back."""

    def mutate(root: Path) -> None:
        data = read(root / relative)
        change(data)
        write(root / relative, data)

    return mutate


def front_door(area: dict[str, Any]) -> dict[str, Any]:
    return area["routes"]["front_door"]


def add_file(relative: str, text: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        (root / relative).write_text(text, encoding="utf-8")

    return mutate


DEFECTS: list[tuple[str, Callable[[Path], None], str]] = [
    ("guidance without sources", edit("guidance/item_one.yml", lambda d: d.pop("sources")),
     "guidance/item_one.yml: item_one: sources: missing"),
    ("guidance without review date", edit("guidance/item_one.yml", lambda d: d.pop("review_date")),
     "guidance/item_one.yml: item_one: review_date: missing"),
    ("quoted review date", edit("guidance/item_one.yml", lambda d: d.update(review_date="2027-05-22")),
     "item_one: review_date: '2027-05-22' must be an unquoted ISO date"),
    ("route without review date", edit("areas/testshire.yml", lambda d: front_door(d).pop("review_date")),
     "areas/testshire.yml: testshire: routes.front_door: review_date: missing"),
    ("route without sources", edit("areas/testshire.yml", lambda d: front_door(d).pop("sources")),
     "testshire: routes.front_door: sources: missing"),
    ("unknown source document", edit("guides/guide_one.yml", lambda d: d["sources"][0].update(doc="nope")),
     "guide_one: sources[0]: doc 'nope' is not in sources.yml"),
    ("web source without checked date", edit("national.yml", lambda d: d[2]["sources"][0].pop("checked")),
     "nspcc: sources[0]: checked: missing"),
    ("phone too short", edit("areas/testshire.yml", lambda d: front_door(d).update(phone="01234 5678")),
     "routes.front_door: phone: '01234 5678' has 9 digits"),
    ("phone with letters", edit("areas/testshire.yml", lambda d: front_door(d).update(phone="0800 CALL US")),
     "routes.front_door: phone: '0800 CALL US' is not a UK phone number"),
    ("phone not UK", edit("areas/testshire.yml", lambda d: front_door(d).update(phone="+1 555 0100")),
     "routes.front_door: phone: '+1 555 0100' is not a UK phone number"),
    ("unquoted phone", edit("national.yml", lambda d: d[0].update(phone=999)),
     "emergency: phone: 999 must be quoted text"),
    ("area with no emergency route",
     edit("areas/testshire.yml", lambda d: [d["routes"].pop(k) for k in ("front_door", "out_of_hours")]),
     "testshire: routes: no emergency route"),
    ("no national 999 route", edit("national.yml", lambda d: d.pop(0)),
     "national.yml: emergency: missing national route"),
    ("route phone null without fallback", edit("areas/testshire.yml", lambda d: d["routes"]["out_of_hours"].pop("fallback")),
     "routes.out_of_hours: fallback: required when phone is null"),
    ("route without a phone key", edit("areas/testshire.yml", lambda d: front_door(d).pop("phone")),
     "routes.front_door: phone: missing (write null"),
    ("unknown route key", edit("areas/testshire.yml", lambda d: d["routes"].update(spa=front_door(d))),
     "testshire: routes: unknown route key 'spa'"),
    ("dangling guide id", edit("guidance/item_one.yml", lambda d: d.update(guide="nope")),
     "item_one: guide: 'nope' is not a guide id"),
    ("dangling guide id in an area tool", edit("areas/testshire.yml", lambda d: d["tools"][0].update(guide="nope")),
     "testshire: tools[0]: guide: 'nope' is not a guide id"),
    ("dangling area id", edit("guides/guide_one.yml", lambda d: d.update(area="nowhere")),
     "guide_one: area: 'nowhere' is not 'all' or an area id"),
    ("dangling route key in a level", edit("levels.yml", lambda d: d[2]["next_steps"][0].update(route="nope")),
     "level_3: next_steps[0]: route: 'nope' is not a route key"),
    ("dangling guidance id in the lexicon", edit("lexicon.yml", lambda d: d["terms"][0].update(guidance="nope")),
     "lexicon.yml: terms[0]: guidance: 'nope' is not a guidance id"),
    ("dangling route key in the lexicon", edit("lexicon.yml", lambda d: d["routes"].update(spa=["spa"])),
     "lexicon.yml: routes: 'spa' is not a route key"),
    ("dangling guidance id in a role", edit("roles.yml", lambda d: d[0].update(guidance=["nope"])),
     "role_one: guidance: 'nope' is not a guidance id"),
    ("dangling role id in guidance", edit("guidance/item_one.yml", lambda d: d.update(role="nope")),
     "item_one: role: 'nope' is not a role id"),
    ("duplicate id", add_file("guides/item_one.yml", (Path(__file__).parent / "fixtures/knowledge/minimal/guides/guide_one.yml").read_text().replace("guide_one", "item_one")),
     "item_one: duplicate id"),
    ("id not matching the file name", edit("guides/guide_one.yml", lambda d: d.update(id="guide_two")),
     "guides/guide_one.yml: id 'guide_two' must match the file name"),
    ("placeholder link", edit("guides/guide_one.yml", lambda d: d.update(url="#")),
     "guide_one: url: '#' is not a web address"),
    ("review date later than the source's own", edit("sources.yml", lambda d: d[0].update(review_by=date(2023, 10, 1))),
     "item_one: review_date: 2027-05-22 is later than the review date of its source doc_a (2023-10-01)"),
    ("number in prose that is no route's phone",
     edit("areas/testshire.yml", lambda d: d["routes"]["out_of_hours"].update(fallback="Call 01234 999999.")),
     "routes.out_of_hours.fallback: mentions '01234 999999'"),
    ("old number left in a guidance summary",
     edit("guidance/item_one.yml", lambda d: d.update(summary="Ring 020 7946 0000 for help.")),
     "item_one: summary: mentions '020 7946 0000'"),
    ("one phrase for two things", edit("roles.yml", lambda d: d[0]["aliases"].append("testford")),
     "phrase 'testford' of roles.yml (role role_one) is also used by areas/testshire.yml (area testshire)"),
    ("typo in a field name", edit("guidance/item_one.yml", lambda d: d.update(detial="More.")),
     "guidance/item_one.yml: item_one: detial: unknown field (a typo?)"),
    ("a comma in an unquoted flow-mapping section (YAML splits it into a second key)",
     edit("guidance/item_one.yml", lambda d: d["sources"][0].update({"10 and 16": None})),
     "item_one: sources[0]: 10 and 16: unknown field (a typo?)"),
    ("typo in a route field", edit("areas/testshire.yml", lambda d: front_door(d).update(fallbak="x")),
     "testshire: routes.front_door: fallbak: unknown field (a typo?)"),
    ("phrase listed twice", edit("lexicon.yml", lambda d: d["routes"]["front_door"].append("front door")),
     "phrase 'front door' of lexicon.yml (route front_door) is listed twice"),
    ("alias not lower case", edit("areas/testshire.yml", lambda d: d["aliases"].append("Testville")),
     "testshire: aliases[1]: 'Testville' must be lower case"),
    ("office hours backwards",
     edit("areas/testshire.yml", lambda d: d["office_hours"].update(weekdays={"start": "17:00", "end": "09:00"})),
     "office_hours.weekdays: start 17:00 is not before end 09:00"),
    ("office hours unquoted (YAML reads 17:00 as a number)",
     add_file("areas/testshire.yml", (Path(__file__).parent / "fixtures/knowledge/minimal/areas/testshire.yml").read_text().replace('"17:00"', "17:00")),
     "office_hours.weekdays: end: 1020 must be a quoted \"HH:MM\" time"),
    ("a level missing", edit("levels.yml", lambda d: d.pop(3)),
     "levels.yml: level: must define levels 1, 2, 3 and 4"),
    ("topic not a topic id", edit("guidance/item_one.yml", lambda d: d.update(topic="Definition")),
     "item_one: topic: 'Definition' must be snake_case text"),
    ("a question in two topics", add_file("guidance/item_two.yml", (
        "id: item_two\ntopic: types\ntitle: Item two\nsummary: Another answer.\narea: all\n"
        "sources: [{doc: doc_a, section: Types}]\nreview_date: 2027-05-22\n"
        "questions: [What is item ONE about]\n")),
     "item_two: questions: 'What is item ONE about' is also a question of the topic 'definition'"),
    ("questions not texts", edit("guidance/item_one.yml", lambda d: d.update(questions=["what is it", ""])),
     "item_one: questions[1]: must be non-empty text"),
    ("summary missing", edit("guidance/item_one.yml", lambda d: d.update(summary="  ")),
     "item_one: summary: must be non-empty text"),
    ("broken YAML", add_file("guidance/item_one.yml", "id: item_one\nsummary: [unclosed\n"),
     "guidance/item_one.yml: not valid YAML"),
    ("missing file", lambda root: (root / "roles.yml").unlink(), "roles.yml: missing"),
    ("rubric missing", lambda root: (root / "triage" / "rubric.yml").unlink(), "triage/rubric.yml: missing"),
    ("rubric not matching the spec", add_file("triage/rubric.yml", "levels: nonsense\n"), "triage/rubric.yml: "),
    ("a document the rubric cites missing from sources.yml",
     edit("sources.yml", lambda d: d.remove(next(x for x in d if x["id"] == "kr_neglect_update"))),
     "triage/rubric.yml: disclaimer.sources[0]: unknown source 'kr_neglect_update': not in sources.yml"),
    ("a phone number written into the wording", edit("wording.yml", lambda d: d["lines"].update(nspcc="Call 0808 800 5000.")),
     "wording.yml: lines: nspcc: holds ['0808 800 5000']"),
    ("a broken placeholder in the wording", edit("wording.yml", lambda d: d["lines"].update(nspcc="NSPCC: {phone")),
     "wording.yml: lines: nspcc:"),
    ("an unknown field in the wording", edit("wording.yml", lambda d: d.update(line={})),
     "wording.yml: line: extra fields not permitted"),
    ("no wording", lambda k: (k / "wording.yml").unlink(), "wording.yml: missing"),
    ("a safe reply without 999", edit("safety/fallback.yml", lambda d: d["safe_reply"].update(text="Sorry.")),
     "safety/fallback.yml: safe_reply: text: must give the emergency route (999)"),
    ("a safe reply citing an unknown document",
     edit("safety/fallback.yml", lambda d: d["safe_reply"]["sources"][0].update(doc="blog")),
     "safety/fallback.yml: safe_reply.sources[0]: unknown source 'blog'"),
]


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    return copy_minimal(tmp_path / "knowledge")


def test_minimal_fixture_is_valid(minimal: Path) -> None:
    report = validate(minimal, TODAY)
    assert report.errors == []
    assert report.warnings == []


@pytest.mark.parametrize("mutate, expected", [(m, e) for _, m, e in DEFECTS], ids=[name for name, _, _ in DEFECTS])
def test_validator_catches_defect(minimal: Path, mutate: Callable[[Path], None], expected: str) -> None:
    mutate(minimal)
    errors = validate(minimal, TODAY).errors
    assert any(expected in error for error in errors), errors


def test_stale_content_is_a_warning_not_an_error(minimal: Path) -> None:
    edit("guidance/item_one.yml", lambda d: d.update(review_date=date(2023, 10, 1)))(minimal)
    report = validate(minimal, TODAY)
    assert report.errors == []
    assert report.warnings == ["guidance/item_one.yml: item_one: review_date 2023-10-01 is past: stale, due for review"]


def test_a_broken_dialogue_part_is_a_validation_error_naming_its_file(minimal: Path) -> None:
    """What the rubric's loader says is passed on under the file's name, and the parts
    checked against the rubric (questions, quiz, escalation) are not also reported."""
    edit("triage/rubric.yml", lambda d: d["rules"][0].update(level=7))(minimal)
    errors = validate(minimal, TODAY).errors
    assert errors == ["triage/rubric.yml: rules[0]: level: must be one of (1, 2, 3, 4), got 7"]


@pytest.mark.parametrize("part", ["quiz", "learning/escalation.yml", "safety/emergency_signals.yml",
                                  "safety/privacy.yml", "safety/fallback.yml",
                                  "triage/questions.yml"])
def test_every_dialogue_part_is_required(minimal: Path, part: str) -> None:
    path = minimal / part
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert f"{part}: missing" in validate(minimal, TODAY).errors


def test_an_escalation_step_citing_an_unknown_document_is_refused(minimal: Path) -> None:
    edit("learning/escalation.yml", lambda d: d["steps"][0]["sources"][0].update(doc="blog"))(minimal)
    errors = validate(minimal, TODAY).errors
    assert any(e.startswith("learning/escalation.yml: ") and "'blog' is not in sources.yml" in e for e in errors), errors


@pytest.mark.parametrize(
    "phone, ok",
    [
        ("999", True),
        ("101", True),
        ("0800 1111", True),
        ("0800 833 408", True),
        ("0808 800 5000", True),
        ("0345 8 503 503", True),
        ("0345 050 7666", True),
        ("020 8547 5008", True),
        ("024 7678 8555", True),
        ("01234 567890", True),
        ("020 8547 500", False),
        ("0345 8 503 5030", False),
        ("112", False),
        ("07700 900123", False),
        ("+44 20 8547 5008", False),
        ("020-8547-5008", False),
        ("", False),
    ],
)
def test_phone_format(phone: str, ok: bool) -> None:
    assert (phone_problem(phone) is None) is ok
