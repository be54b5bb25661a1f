"""Practitioner questions end to end: the samples in ../shared/eval and our
own, differently phrased, each the first message of a fresh conversation."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

from tests.e2e.chat import Conversation
from bot.paths import ROOT

SAMPLES = ROOT.parent / "shared" / "eval" / "questions.yaml"
OURS = Path(__file__).with_name("questions.yml")


def load(path: Path) -> list[dict]:
    if not path.exists():  # ../shared is not beside every checkout
        warnings.warn(f"SKIPPED LOUDLY: {path} is missing, its sample questions are not checked")
        return []
    return yaml.safe_load(path.read_text())["questions"]


def check(chat_text: str, case: dict) -> list[str]:
    text = chat_text.lower()
    problems = [f"missing {s!r}" for s in case.get("all_of", []) if s.lower() not in text]
    problems += [f"none of {g!r}" for g in case.get("any_of", []) if not any(s.lower() in text for s in g)]
    problems += [f"unwanted {s!r}" for s in case.get("none_of", []) if s.lower() in text]
    return problems


def test_the_sample_questions_are_all_there() -> None:
    if not SAMPLES.exists():
        pytest.skip(f"SKIPPED LOUDLY: {SAMPLES} is not beside this checkout")
    assert len(load(SAMPLES)) >= 15


@pytest.mark.parametrize("case", load(SAMPLES) + load(OURS), ids=lambda c: c["id"] + " " + c["text"][:40])
def test_question(assistant, case: dict) -> None:
    chat = Conversation(assistant)
    chat.say(case["text"])
    problems = check(chat.text, case)
    assert not problems, f"{problems}\n" + "\n".join(chat.transcript)
