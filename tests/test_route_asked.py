"""The route a parsed message asks for (bot/render.py `route_asked`), from its route entities."""
from __future__ import annotations

import pytest

from bot import render
from bot.knowledge.loader import load
from bot.knowledge.models import Lexicon
from bot.paths import ROOT


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load(ROOT / "knowledge").lexicon


def parsed(text: str, *phrases: str) -> dict:
    """`text` as the NLU gives it, with a route entity for each phrase (as the spaCy ruler finds them)."""
    entities = [{"entity": "route", "value": p, "start": text.index(p), "end": text.index(p) + len(p)} for p in phrases]
    return {"text": text, "entities": entities}


@pytest.mark.parametrize(("text", "phrases", "route"), [
    ("what's the edt number", ("edt",), "out_of_hours"),
    ("nspcc phone no", ("nspcc",), "nspcc"),
    ("call 999 or the mash?", ("999", "mash"), "emergency"),
    ("police number thats not 999", ("999",), "non_emergency"),
    ("it isn't a 999 thing, which police number do I use", ("999",), "non_emergency"),
    ("not 999 stuff but I need the mash", ("999", "mash"), "front_door"),
    ("not 999, who do I ring", ("999",), None),
    ("what is the weather", (), None),
])
def test_the_route_asked_for(lexicon: Lexicon, text: str, phrases: tuple[str, ...], route: str | None) -> None:
    assert render.route_asked(lexicon, parsed(text, *phrases)) == route


@pytest.mark.parametrize(("text", "route"), [
    ("how do i report to the police if its not an emergency", "non_emergency"),
    ("letting the police know, nobody is in danger right now", "non_emergency"),
    ("it's not urgent, who do I ring", None),  # no police named: the area's front door, asked by the contacts
    ("the police came round, not an emergency though", "non_emergency"),
])
def test_the_police_named_with_nothing_urgent_ask_for_101(lexicon: Lexicon, text: str, route: str | None) -> None:
    assert render.route_asked(lexicon, parsed(text)) == route


@pytest.mark.parametrize(("text", "contact"), [
    ("Can I ring the NSPCC", True),
    ("report neglect to police non urgent", True),
    ("want to let the police know about it", True),
    ("nspcc phone no", True),
    ("what did the NSPCC report say", False),
    ("tell me about the NSPCC's research", False),
])
def test_asking_to_get_in_touch(text: str, contact: bool) -> None:
    assert render.asks_to_contact(text) is contact
