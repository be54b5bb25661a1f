"""Conversation context (bot/context.py): area statements and the local route a question concerns."""
from __future__ import annotations


import pytest

from bot.context import is_area_statement, local_route_key
from bot.knowledge.loader import load
from bot.knowledge.models import Knowledge
from bot.paths import ROOT



@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load(ROOT / "knowledge")


@pytest.mark.parametrize(
    ("intent", "ranking", "text", "names_area", "expected"),
    [
        ("inform", ["inform", "start_triage"], "I'm a PC in Coventry", True, True),  # read as an answer
        ("nlu_fallback", ["ask_contact", "inform_area", "greet"], "we're over in coventry", True, True),
        ("nlu_fallback", ["ask_contact", "ask_question", "greet", "inform_area"], "coventry types", True, False),
        ("affirm", ["affirm", "greet"], "cov", True, True),  # the area alone
        ("inform", ["inform"], "I'm a PC", False, False),  # no area named: nothing to take
        ("nlu_fallback", ["ask_question", "ask_question"], "signs in coventry", True, False),
    ],
)
def test_area_statement(knowledge: Knowledge, intent: str, ranking: list[str], text: str, names_area: bool,
                        expected: bool) -> None:
    coventry = next(a for a in knowledge.areas if a.id == "coventry") if names_area else None
    assert is_area_statement(intent, ranking, text, coventry) is expected


def route(value: str) -> list[dict]:
    return [{"entity": "route", "value": value}]


@pytest.mark.parametrize(
    ("entities", "item_id", "expected"),
    [
        (route("early help"), None, "early_help"),
        (route("community cluster"), None, "early_help"),
        (route("escalation policy"), None, "escalation"),
        (route("nspcc"), None, None),  # a national route is not an area's
        ([], "early_help", "early_help"),  # the answer's title names the route
        ([], "escalation", "escalation"),
        ([], "was_not_brought", None),
    ],
)
def test_local_route_key(knowledge: Knowledge, entities: list[dict], item_id: str | None,
                         expected: str | None) -> None:
    items = [i for i in knowledge.guidance if i.id == item_id]
    assert local_route_key(knowledge.lexicon, entities, items) == expected
