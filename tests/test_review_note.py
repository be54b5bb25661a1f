"""The "past its review date" line (bot/review_note.py) on the real knowledge/."""
from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.loader import load
from bot.knowledge.models import Knowledge
from bot.review_note import review_due
from bot.paths import ROOT

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load(ROOT / "knowledge")


def due(knowledge: Knowledge, records: list, area_id: str | None = None, today: date = TODAY):
    return review_due(records, today, {d.id: d for d in knowledge.documents},
                      {a.id: a for a in knowledge.areas}, area_id)


def item(knowledge: Knowledge, item_id: str):
    return next(i for i in knowledge.guidance if i.id == item_id)


def test_an_item_resting_on_the_wandsworth_strategy_names_its_date_and_site(knowledge: Knowledge) -> None:
    found = due(knowledge, [item(knowledge, "escalation_wandsworth")])
    assert found is not None
    slots = found.slots()
    assert slots["review_month"] == "October 2023"
    assert slots["review_document"] == "Wandsworth Neglect Strategy 2021–2023"
    assert slots["partnership"] == "Wandsworth Safeguarding Children Partnership (WSCP)"
    assert slots["partnership_site"] == "https://www.wscp.org.uk"


def test_a_general_item_citing_the_strategy_points_to_the_strategy_partnership(knowledge: Knowledge) -> None:
    gcp2 = item(knowledge, "gcp2")
    assert gcp2.area == "all"
    found = due(knowledge, [gcp2], area_id="coventry")
    assert found is not None and found.partnership.startswith("Wandsworth")


def test_current_content_gets_no_line(knowledge: Knowledge) -> None:
    definition = next(i for i in knowledge.guidance if i.topic == "definition")
    assert definition.review_date >= TODAY
    assert due(knowledge, [definition]) is None


def test_a_stale_route_is_noted_and_the_earliest_date_wins(knowledge: Knowledge) -> None:
    wandsworth = next(a for a in knowledge.areas if a.id == "wandsworth")
    front_door, out_of_hours = wandsworth.routes["front_door"], wandsworth.routes["out_of_hours"]
    assert due(knowledge, [out_of_hours]) is None
    found = due(knowledge, [out_of_hours, front_door])
    assert found is not None and found.review_date == date(2023, 10, 1)


def test_the_line_appears_only_once_the_date_has_passed(knowledge: Knowledge) -> None:
    record = item(knowledge, "escalation_wandsworth")
    assert due(knowledge, [record], today=date(2023, 9, 30)) is None
    assert due(knowledge, [record], today=date(2023, 10, 2)) is not None
