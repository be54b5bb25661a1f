"""The triage result as data (bot.render.triage_result_data), its plain-text
fallback and the copyable summary, with a real knowledge database."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Any

import pytest

from bot import render
from bot.knowledge.build import build
from bot.knowledge.store import KnowledgeStore
from bot.triage import assess
from bot.triage_flow import default_questions
from bot.paths import ROOT
from bot.wording import say

WEEKDAY_11AM = datetime(2026, 11, 18, 11, 0, tzinfo=timezone.utc)
SATURDAY_2AM = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
NEEDS = ("nutrition", "physical_care", "health", "supervision", "emotional", "education")
LEVEL_4 = {
    "immediate_danger": "no", "age_band": "5_11", "disabled": "no",
    "needs": {domain: "unmet" for domain in NEEDS},
    "factors": ["domestic_abuse", "substance_misuse"], "duration": "persistent",
    "change": "not_sustained", "impact": "significant",
}
LEVEL_1 = {
    "immediate_danger": "no", "age_band": "1_4", "disabled": "no",
    "needs": {domain: "met" for domain in NEEDS}, "factors": [], "duration": "recent",
    "change": "no_support_yet", "impact": "none",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    out = tmp_path_factory.mktemp("kb") / "knowledge.db"
    report = build(ROOT / "knowledge", out, date(2026, 11, 22))
    assert not report.errors, report.errors
    return KnowledgeStore.open(out)


def result(store: KnowledgeStore, answers: dict[str, Any], area: str = "coventry",
           when: datetime = WEEKDAY_11AM) -> dict[str, Any]:
    assessment = assess(answers)
    return render.triage_result(assessment, store.level(assessment.level, area), store.contacts(area, when),
                                None, store)


def test_the_result_is_one_message_with_data_fallback_text_and_buttons(store: KnowledgeStore) -> None:
    message = result(store, LEVEL_4)
    data = message["json_message"]
    assert render.is_result(data)
    json.dumps(data)  # only plain JSON values: Rasa stores it in the tracker
    assert data["level"] == 4 and data["heading"].startswith("Level 4: ")
    assert data["name"] in data["heading"]
    # What to do now: the first action is the referral, not the conditional 999 line.
    assert "front door" in data["first_action"].lower()
    first = data["contacts"][0]
    assert (first["label"], first["number"], first["tel"]) == (
        "Multi-Agency Safeguarding Hub (MASH)", "024 7678 8555", "tel:02476788555")
    assert first["hours"] == "Mon–Fri 09:00–17:00 (assumed)" and first["now"] is True
    assert data["out_of_hours"]["number"] == "024 7683 2222" and data["out_of_hours"]["now"] is False
    assert [c["tel"] for c in data["immediate_contacts"]] == ["tel:999", "tel:08088005000"]
    assert data["judgement"] == render.judgement()
    # Reasons with their documents; a link only where knowledge gives an address.
    assert len(data["reasons"]) == len(assess(LEVEL_4).reasons) > 3
    for reason in data["reasons"]:
        assert reason["text"] and reason["sources"]
        assert all(source["title"] for source in reason["sources"])
    links = [s["url"] for s in data["sources"] if s["url"]]
    assert links and all(url.startswith("https://") for url in links)
    assert "https://coventry.gov.uk/foster-carers/fostering-one-minute-guides/3" in links
    # The plain-text fallback still carries everything for REST and the terminal.
    text = message["text"]
    for fact in ("Level 4", "024 7678 8555", "024 7683 2222", "999", "Source:", "professional judgement"):
        assert fact in text, fact
    assert [b["payload"] for b in message["buttons"]][0] == "/request_summary"
    assert message["buttons"][-1]["payload"] == "/start_triage"


def test_out_of_hours_the_out_of_hours_number_comes_first(store: KnowledgeStore) -> None:
    data = result(store, LEVEL_4, when=SATURDAY_2AM)["json_message"]
    assert data["contacts"][0]["number"] == "024 7683 2222" and data["contacts"][0]["now"] is True
    assert data["contacts"][1]["number"] == "024 7678 8555"
    assert data["out_of_hours"] is None, "shown once, as the contact to call now"
    assert data["in_office_hours"] is False


def test_opening_hours_are_grouped_by_day(store: KnowledgeStore) -> None:
    oxfordshire = store.area("oxfordshire")
    assert oxfordshire is not None
    assert render.office_hours_text(oxfordshire) == "Mon–Thu 08:30–17:00, Fri 08:30–16:00"


def test_a_level_without_a_route_gives_where_to_ask_for_advice(store: KnowledgeStore) -> None:
    data = result(store, LEVEL_1, area="kingston_richmond")["json_message"]
    assert data["level"] == 1 and data["reasons"] == []
    assert data["contacts"][0]["number"] == "020 8547 5008"


def test_an_unknown_number_gives_the_fallback_route_never_a_number(store: KnowledgeStore) -> None:
    answers = {**LEVEL_1, "needs": {domain: "mostly_met" for domain in NEEDS}}
    data = result(store, answers, area="coventry")["json_message"]
    assert data["level"] == 2
    early_help = next(c for c in data["contacts"] if c["key"] == "early_help")
    assert early_help["number"] is None and early_help["tel"] is None
    assert "024 7678 8555" in early_help["fallback"]


def test_an_emergency_result_starts_with_999(store: KnowledgeStore) -> None:
    data = result(store, {"immediate_danger": "yes"})["json_message"]
    assert data["emergency"] is True and data["level"] == 4
    assert data["first_action"].startswith(say("immediate"))
    assert data["contacts"][0]["tel"] == "tel:999"
    assert data["contacts"][1]["number"] == "024 7678 8555"


def test_the_summary_uses_the_option_titles_never_raw_values(store: KnowledgeStore) -> None:
    summary = result(store, LEVEL_4)["json_message"]["summary"]
    assert "How old is the child? 5-11 years" in summary
    assert "Is the family affected by any of these? Domestic abuse; Alcohol or drug misuse" in summary
    assert "Level 4: " in summary and render.judgement() in summary
    values = {option.value for q in default_questions().questions for option in q.options if "_" in option.value}
    assert values, "the questions have values with underscores"
    for value in values:
        assert not re.search(rf"\b{value}\b", summary), value
    assert "5 11" not in summary


def test_answer_lines_leave_out_an_answer_without_a_title() -> None:
    lines = render.answer_lines({"age_band": "5_11", "duration": "no_such_value", "factors": []})
    assert lines[0] == "How old is the child? 5-11 years"
    assert not any("no_such_value" in line or "no such value" in line for line in lines)
    assert lines[-1].startswith("Is the family affected by any of these? ")


@pytest.mark.parametrize("url, link", [
    ("www.coventry.gov.uk/cscp", "https://www.coventry.gov.uk/cscp"),
    ("https://example.org/a", "https://example.org/a"),
    (None, None),
])
def test_addresses_become_links(url: str | None, link: str | None) -> None:
    assert render.href(url) == link


def test_is_result_tells_a_result_from_other_payloads() -> None:
    assert render.is_result({"type": render.RESULT_TYPE})
    assert not render.is_result({"type": "other"}) and not render.is_result(None) and not render.is_result("x")


def test_a_guidance_answer_comes_with_its_data(store: KnowledgeStore) -> None:
    items = store.items_for_topic("was_not_brought")
    assert items
    messages = render.answer(items, store)
    first = messages[0]
    data = first["json_message"]
    assert render.is_answer(data) and render.is_structured(data) and not render.is_result(data)
    json.dumps(data)
    assert data["title"] == items[0].title and data["summary"] == render.reflow(items[0].summary)
    assert first["text"].startswith(items[0].title) and "Source:" in first["text"]
    assert data["sources"] and all(source["title"] for source in data["sources"])
    assert items[0].detail, "this answer has a detail to unfold"
    assert data["sections"] == [{"title": "Tell me more", "text": render.reflow(items[0].detail)}]
    assert data["more_payload"] == [b["payload"] for b in first["buttons"]][0]
    assert data["guide"]["title"] == first["buttons"][1]["title"]


def test_a_one_minute_guide_comes_with_its_data(store: KnowledgeStore) -> None:
    guide = store.guide("coventry_omg_was_not_brought")
    assert guide is not None
    card = render.guide_card(guide)
    data = card["json_message"]
    assert render.is_answer(data)
    assert data["title"] == render.guide_label(guide) and card["text"].startswith(data["title"])
    assert data["summary"] == f"What it is: {render.reflow(guide.what)}"
    assert [section["title"] for section in data["sections"]] == ["Why it matters", "What to do",
                                                                  "Where to find more"]
    assert data["url"] == render.href(guide.url)


def test_reflow_joins_the_yaml_line_wraps_but_keeps_paragraphs_and_list_items() -> None:
    text = "First line\nwraps here.\n\n- one item\n  goes on\n- two\n"
    assert render.reflow(text) == "First line wraps here.\n\n- one item goes on\n- two"


@pytest.mark.parametrize("age_band, disabled, notes", [("1_4", "no", 0), ("12_17", "no", 1), ("12_17", "yes", 2)])
def test_the_headings_come_with_the_result_for_any_number_of_notes(store: KnowledgeStore, age_band: str,
                                                                   disabled: str, notes: int) -> None:
    """Each heading is a wording line filled for this result (one note, several, none)."""
    data = result(store, {**LEVEL_1, "age_band": age_band, "disabled": disabled})["json_message"]
    assert len(data["notes"]) == notes
    labels = data["labels"]
    assert labels["what_to_do"] == say("result_what_to_do")
    assert labels["notes"] == (say("result_note") if notes == 1 else say("result_notes", count=notes))
    assert labels["more_steps"] == say("result_more_steps", count=len(data["steps"]))
    reasons = len(data["reasons"])
    assert labels["why"] == say("result_why_one" if reasons == 1 else "result_why_many", level=data["level"],
                                count=reasons)
