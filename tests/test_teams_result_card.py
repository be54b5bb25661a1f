"""The triage result in Teams: one Adaptive Card, checked against Microsoft's
Adaptive Card JSON schema for version 1.5 (the highest Teams supports) and
posted through the fake Bot Framework service.

The schema comes from the pinned PyPI package in requirements/card-schema.txt,
installed by set-up (scripts/common.sh) into .venv/card-schema: no network
when the tests run.
"""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import aiohttp
import pytest
from jsonschema import Draft6Validator

from bot import render
from bot.wording import say
from bot.channels.teams import ADAPTIVE_CARD, ADAPTIVE_CARD_VERSION, answer_card, result_card
from bot.knowledge.build import build
from bot.knowledge.store import KnowledgeStore
from bot.triage import assess
from tests.fakes.botframework import FakeBotFramework
from tests.test_channels_teams import APP_ID, FakeRasa, activity, post, run
from bot.paths import ROOT

SCHEMA = Path(sys.prefix) / "card-schema" / "adaptive_cards" / "schemas" / f"schema-{ADAPTIVE_CARD_VERSION}.json"
NEEDS = ("nutrition", "physical_care", "health", "supervision", "emotional", "education")
LEVEL_4 = {
    "immediate_danger": "no", "age_band": "5_11", "disabled": "no",
    "needs": {domain: "unmet" for domain in NEEDS}, "factors": ["domestic_abuse"],
    "duration": "persistent", "change": "not_sustained", "impact": "significant",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA.exists():
        pytest.fail(f"{SCHEMA} is missing: run `make setup` (it installs requirements/card-schema.txt)")
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(loaded)
    return loaded


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    out = tmp_path_factory.mktemp("kb") / "knowledge.db"
    report = build(ROOT / "knowledge", out, date(2026, 11, 22))
    assert not report.errors, report.errors
    return KnowledgeStore.open(out)


@pytest.fixture(scope="module")
def result_message(store: KnowledgeStore) -> dict[str, Any]:
    """What ActionTriageResult sends for a level-4 case in Coventry on a weekday morning."""
    assessment = assess(LEVEL_4)
    plan = store.contacts("coventry", datetime(2026, 11, 18, 11, tzinfo=timezone.utc))
    message = render.triage_result(assessment, store.level(4, "coventry"), plan, None, store)
    # As Rasa hands it to the output channel: json_message becomes the `custom` payload.
    return {"text": message["text"], "buttons": message["buttons"], "custom": message["json_message"]}


def property_schemas(schema: dict[str, Any], name: str, key: str) -> list[dict[str, Any]]:
    """Every schema a definition gives property `key`, its own and those inherited through allOf."""
    definition = schema["definitions"][name]
    found = [definition["properties"][key]] if key in definition.get("properties", {}) else []
    for part in definition.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith("#/definitions/"):
            found += property_schemas(schema, ref.rsplit("/", 1)[1], key)
    return found


def needed_version(schema: dict[str, Any], node: dict[str, Any]) -> str:
    """The version a property schema is marked with, or a definition it refers to (TextBlockStyle: 1.5)."""
    versions = [node.get("version", "1.0")]
    for option in [node, *node.get("anyOf", [])]:
        ref = option.get("$ref", "")
        if ref.startswith("#/definitions/"):
            versions.append(schema["definitions"][ref.rsplit("/", 1)[1]].get("version", "1.0"))
    return max(versions, key=version)


def typed_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield node
        for value in node.values():
            yield from typed_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from typed_objects(item)


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def too_new(schema: dict[str, Any], card: dict[str, Any]) -> list[str]:
    """Elements and properties the schema marks as newer than the card's version."""
    limit = version(card["version"])
    problems = []
    for item in typed_objects(card):
        definition = schema["definitions"].get(item["type"])
        if definition is None:
            continue
        if version(definition.get("version", "1.0")) > limit:
            problems.append(item["type"])
        for key in item:
            for needed in (needed_version(schema, node) for node in property_schemas(schema, item["type"], key)):
                if version(needed) > limit:
                    problems.append(f"{item['type']}.{key} needs {needed}")
    return problems


def texts(node: Any) -> list[str]:
    return [item["text"] for item in typed_objects(node) if item["type"] == "TextBlock"]


def test_the_result_card_is_a_valid_adaptive_card_for_teams(schema: dict[str, Any],
                                                             result_message: dict[str, Any]) -> None:
    card = result_card(result_message["custom"], result_message["buttons"], result_message["text"])
    assert card["contentType"] == ADAPTIVE_CARD
    content = card["content"]
    assert content["version"] == "1.5"
    errors = sorted(Draft6Validator(schema).iter_errors(content), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert too_new(schema, content) == []
    # A broken card is caught: the check is not vacuous.
    broken = {**content, "body": [{"type": "TextBlock"}]}
    assert list(Draft6Validator(schema).iter_errors(broken))
    assert too_new(schema, {**content, "version": "1.2"}), "style: heading is 1.5"


def test_the_card_shows_the_level_then_what_to_do_now_then_why(result_message: dict[str, Any]) -> None:
    data = result_message["custom"]
    content = result_card(data, result_message["buttons"], result_message["text"])["content"]
    body = content["body"]
    assert body[0]["text"] == data["heading"] and body[0]["style"] == "heading"
    assert body[1]["text"] == data["labels"]["what_to_do"] == say("result_what_to_do")
    assert body[2]["text"] == data["first_action"]
    shown = texts(content)
    first_contact = next(i for i, t in enumerate(shown) if "Multi-Agency Safeguarding Hub (MASH)" in t)
    assert "024 7678 8555" in shown[first_contact] and "Mon–Fri 09:00–17:00" in shown[first_contact]
    assert any(t.startswith("Out of hours: ") and "024 7683 2222" in t for t in shown)
    reasons_at = next(i for i, t in enumerate(shown) if t.startswith("1. "))
    assert first_contact < reasons_at < shown.index(data["judgement"])
    # Each number is a tel: action.
    calls = [a for a in typed_objects(content) if a["type"] == "Action.OpenUrl" and a["url"].startswith("tel:")]
    assert [c["url"] for c in calls] == ["tel:02476788555", "tel:02476832222", "tel:999", "tel:08088005000"]
    # The reasons are folded, opened by a toggle, and their sources are links where knowledge has an address.
    toggles = [a for a in typed_objects(content) if a["type"] == "Action.ToggleVisibility"]
    hidden = {c["id"]: c for c in typed_objects(content) if c["type"] == "Container"}
    assert {t["targetElements"][0] for t in toggles} == set(hidden)
    assert all(container["isVisible"] is False for container in hidden.values())
    assert len([t for t in texts(hidden["reasons"]) if t[0].isdigit()]) == len(data["reasons"])
    assert "[coventry.gov.uk/foster-carers/fostering-one-minute-guides/3" in " ".join(texts(hidden["sources"]))
    assert "(https://coventry.gov.uk/foster-carers/fostering-one-minute-guides/3)" in " ".join(texts(hidden["sources"]))
    # The result's buttons post their payload back.
    assert [(a["title"], a["data"]) for a in content["actions"]] == [
        (b["title"], {"payload": b["payload"]}) for b in result_message["buttons"]
    ]
    assert content["fallbackText"] == result_message["text"]


def test_the_result_reaches_teams_as_one_card_and_its_buttons_come_back_as_payloads(
        result_message: dict[str, Any]) -> None:
    rasa = FakeRasa(reply=result_message)
    start_again = result_message["buttons"][-1]

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake, text="no impact"), fake.sign(fake.claims(APP_ID))) == 200
        pressed = activity(fake, text=None, id="1700000000002", value={"payload": start_again["payload"]})
        assert await post(session, url, pressed, fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    first = fake.replies[0].activity
    assert first["attachments"][0]["contentType"] == ADAPTIVE_CARD
    assert first["summary"] == result_message["custom"]["heading"]
    assert first["text"] == "", "the card alone: its fallback text is not posted as well"
    assert len(fake.replies) == 2, "one activity per result"
    # Passed through as a payload although nothing was offered (run() offers none): a card press.
    assert [m.text for m in rasa.received] == ["no impact", start_again["payload"]]


def test_a_guidance_answer_is_a_valid_card_with_tell_me_more_folded_in(schema: dict[str, Any],
                                                                      store: KnowledgeStore) -> None:
    message = render.answer(store.items_for_topic("was_not_brought"), store)[0]
    data = message["json_message"]
    content = answer_card(data, message["buttons"], message["text"])["content"]
    errors = list(Draft6Validator(schema).iter_errors(content))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert too_new(schema, content) == []
    assert content["body"][0]["text"] == data["title"] and content["body"][0]["style"] == "heading"
    detail = next(c for c in typed_objects(content) if c["type"] == "Container")
    assert detail["isVisible"] is False and texts(detail) == [data["sections"][0]["text"]]
    toggle = next(a for a in typed_objects(content) if a["type"] == "Action.ToggleVisibility")
    assert toggle["targetElements"] == [detail["id"]] and toggle["title"] == "Tell me more"
    assert any(t.startswith("Source: ") for t in texts(content))
    # "Tell me more" is in the card already; the guide button stays.
    assert [a["data"]["payload"] for a in content["actions"]] == [
        b["payload"] for b in message["buttons"] if b["payload"] != data["more_payload"]]


def test_a_one_minute_guide_is_a_valid_card_with_its_sections_folded(schema: dict[str, Any],
                                                                    store: KnowledgeStore) -> None:
    guide = store.guide("coventry_omg_was_not_brought")
    assert guide is not None
    message = render.guide_card(guide)
    content = answer_card(message["json_message"], [], message["text"])["content"]
    assert not list(Draft6Validator(schema).iter_errors(content))
    assert too_new(schema, content) == []
    toggles = [a["title"] for a in typed_objects(content) if a["type"] == "Action.ToggleVisibility"]
    assert toggles == ["Why it matters", "What to do", "Where to find more"]
    assert "actions" not in content
