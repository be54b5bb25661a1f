"""The triage questions' responses at the end of domain.yml are generated from
knowledge/triage/questions.yml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.triage_domain import BEGIN, DOMAIN, END, DomainLayoutError, with_block, write
from bot.triage_flow import default_questions


def test_the_generated_questions_are_in_step_with_knowledge() -> None:
    committed = DOMAIN.read_text(encoding="utf-8")
    assert committed == with_block(committed, default_questions()), (
        "run: .venv/bin/python -m bot.knowledge build (it rewrites the block at the end of domain.yml)"
    )


def test_every_single_answer_question_has_a_response_with_buttons() -> None:
    responses = yaml.safe_load(DOMAIN.read_text())["responses"]
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

    responses = yaml.safe_load(DOMAIN.read_text())["responses"]
    button = responses["utter_ask_triage_age_band"][0]["buttons"][0]
    assert interpolate(button, {"triage_age_band": None})["payload"] == '/choose{"triage_answer": "unborn"}'


def test_writing_replaces_only_the_block_and_keeps_the_hand_written_part(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    hand_written = 'version: "3.1"\nresponses:\n  utter_greet:\n    - text: Hello\n\n'
    domain.write_text(f"{hand_written}{BEGIN}\n  utter_stale:\n  - text: old\n{END}\n")
    assert write(domain) is True
    text = domain.read_text()
    assert text.startswith(hand_written) and "utter_stale" not in text
    assert "utter_ask_triage_age_band" in yaml.safe_load(text)["responses"]
    assert write(domain) is False  # unchanged questions leave the file alone


def test_a_domain_without_the_markers_is_refused_by_name() -> None:
    with pytest.raises(DomainLayoutError, match="generated block"):
        with_block('version: "3.1"\n', default_questions())
