"""domain/triage_questions.yml is generated from knowledge/triage/questions.yml."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.triage_domain import render
from bot.triage_flow import default_questions

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_questions_are_in_step_with_knowledge() -> None:
    committed = (ROOT / "domain" / "triage_questions.yml").read_text()
    assert committed == render(default_questions()), (
        "run: .venv/bin/python -m bot.triage_domain > domain/triage_questions.yml"
    )


def test_every_single_answer_question_has_a_response_with_buttons() -> None:
    responses = yaml.safe_load((ROOT / "domain" / "triage_questions.yml").read_text())["responses"]
    for question in default_questions().questions:
        if question.multiple:
            assert f"utter_ask_{question.slot}" not in responses  # asked by a custom action
            continue
        buttons = responses[f"utter_ask_{question.slot}"][0]["buttons"]
        assert [b["payload"] for b in buttons] == [
            f'/choose{{{{"triage_answer": "{o.value}"}}}}' for o in question.options
        ]


def test_rasa_sends_the_escaped_payloads_as_plain_json() -> None:
    from rasa.core.nlg.interpolator import interpolate

    responses = yaml.safe_load((ROOT / "domain" / "triage_questions.yml").read_text())["responses"]
    button = responses["utter_ask_triage_age_band"][0]["buttons"][0]
    assert interpolate(button, {"triage_age_band": None})["payload"] == '/choose{"triage_answer": "unborn"}'
