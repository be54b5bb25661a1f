"""The emergency reply is filled in the Rasa server from knowledge/, with no action server."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.knowledge.loader import load
from bot.nlg import LOCAL_ROUTE, NO_KNOWLEDGE_ROUTE, KnowledgeNLG
from bot.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
AREAS = load(KNOWLEDGE).areas
IN_HOURS = "2026-11-18T11:00:00+00:00"  # a Wednesday morning
OUT_OF_HOURS = "2026-11-21T23:00:00+00:00"  # a Saturday night


def reply(nlg: KnowledgeNLG, action: str, area: str | None = None, entity: str | None = None) -> dict:
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    if area:
        tracker.update(SlotSet("area", area))
    entities = [{"entity": "area", "value": entity}] if entity else []
    tracker.update(UserUttered("a child is in danger", {"name": "emergency"}, entities))
    response = asyncio.run(nlg.generate(action, tracker, "rest"))
    assert response is not None
    return response


@pytest.fixture(scope="module")
def nlg() -> KnowledgeNLG:
    # As Rasa does it: built before the model is loaded, responses set afterwards.
    built = KnowledgeNLG(domain=None)
    built.responses = DOMAIN.responses
    return built


@pytest.mark.parametrize("action", ["utter_emergency", "utter_emergency_in_triage"])
@pytest.mark.parametrize("when", [IN_HOURS, OUT_OF_HOURS])
@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.id)
def test_999_comes_first_then_the_area_route_for_the_time(
    nlg: KnowledgeNLG, action: str, when: str, area: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_NOW", when)
    text = reply(nlg, action, area=area.id)["text"]  # type: ignore[attr-defined]
    assert text.index("999") < text.index(area.name)  # type: ignore[attr-defined]
    routes = area.routes  # type: ignore[attr-defined]
    expected = routes["front_door"] if when == IN_HOURS else routes.get("out_of_hours") or routes["front_door"]
    assert (expected.phone or expected.name) in text
    assert "{" not in text


def test_an_area_named_in_the_message_is_used(nlg: KnowledgeNLG) -> None:
    assert "Wandsworth" in reply(nlg, "utter_emergency", entity="wandsworth")["text"]


def test_with_no_area_it_asks_for_one_with_buttons(nlg: KnowledgeNLG) -> None:
    response = reply(nlg, "utter_emergency")
    assert "999" in response["text"]
    assert {b["title"] for b in response["buttons"]} == {a.name for a in AREAS}
    assert all(b["payload"].startswith("/emergency{") for b in response["buttons"])


def test_without_any_knowledge_the_reply_still_gives_999(tmp_path: Path) -> None:
    broken = KnowledgeNLG(domain=DOMAIN, knowledge_dir=tmp_path / "missing")
    response = reply(broken, "utter_emergency", area="coventry")
    assert "999" in response["text"] and NO_KNOWLEDGE_ROUTE in response["text"]


def test_the_domain_uses_the_local_route_only_in_the_emergency_responses() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    users = sorted(name for name, variations in domain["responses"].items()
                   if any("{" + LOCAL_ROUTE + "}" in v.get("text", "") for v in variations))
    assert users == ["utter_emergency", "utter_emergency_in_triage"]


def test_other_responses_are_untouched(nlg: KnowledgeNLG) -> None:
    assert "immediate danger" in reply(nlg, "utter_default")["text"]
