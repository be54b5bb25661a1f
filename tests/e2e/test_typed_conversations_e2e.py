"""Typed-only conversations, end to end against the running servers.

`typed_conversations.yml` and `typed_descriptions.yml` (conversations that
describe the child in the practitioner's own words, correct answers, stop,
carry on after a 999 reply, and the quiz and escalation navigator typed) were
written apart from the training data (by writers who had not read data/nlu/,
nor the description reader's vocabulary), in the format of ../shared/eval/conversations.yaml:
every turn typed, never a button payload. Each conversation passes when every
turn's expectation holds (case-insensitive substrings of the joined reply texts
and button titles of the last `window` turns). The pass rate is printed and the
build fails below the floor: the rate measured when the floor was set, so that
typed understanding can only get better.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.chat import Conversation

HERE = Path(__file__).resolve().parent
OURS = HERE / "typed_conversations.yml"
DESCRIPTIONS = HERE / "typed_descriptions.yml"
CONTACT_TIMES = HERE / "contact_times.yml"  # the developer's own, not held apart: all must pass
IN_CONTEXT = HERE / "questions_in_context.yml"  # the developer's own, not held apart: all must pass
SAMPLES = HERE.parents[2] / "shared" / "eval" / "conversations.yaml"
# Measured 2026-12-01: ours 34/34, descriptions 20/20, samples 5/5 (see the
# README's figures); the floors sit a little below, for the noise of a
# shared machine, and rise as typed understanding improves.
FLOOR = {"ours": 0.85, "descriptions": 0.85, "samples": 1.0, "contact times": 1.0,
         "questions in context": 1.0}


def joined(replies: list[dict[str, Any]]) -> str:
    parts = []
    for reply in replies:
        parts.append(reply.get("text") or "")
        parts.extend(button.get("title") or "" for button in reply.get("buttons") or [])
    return "\n".join(parts)


def misses(expect: dict[str, Any], text: str) -> list[str]:
    low = text.lower()
    found = [s for s in expect.get("all_of") or [] if s.lower() not in low]
    found += ["any of " + "|".join(g) for g in expect.get("any_of") or [] if not any(s.lower() in low for s in g)]
    found += ["none of " + s for s in expect.get("none_of") or [] if s.lower() in low]
    return found


def run(assistant: Any, conversation: dict[str, Any]) -> list[str]:
    """Problems of one conversation (empty: it passed)."""
    chat = Conversation(assistant)
    history: list[str] = []
    problems: list[str] = []
    for number, turn in enumerate(conversation["turns"], start=1):
        assert not turn["say"].startswith("/"), "typed conversations never send a payload"
        history.append(joined(chat.say(turn["say"])))
        expect = turn.get("expect") or {}
        missed = misses(expect, "\n".join(history[-int(expect.get("window", 1)):]))
        if missed:
            problems.append(f"turn {number} {turn['say']!r}: missing {missed}")
    return problems


def measure(assistant: Any, path: Path, name: str) -> None:
    conversations = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
    failed = {c["id"]: problems for c in conversations if (problems := run(assistant, c))}
    rate = 1 - len(failed) / len(conversations)
    print(f"\ntyped conversations ({name}): {len(conversations) - len(failed)}/{len(conversations)} pass "
          f"({rate:.2f}; floor {FLOOR[name]:.2f})")
    for conversation_id, problems in failed.items():
        print(f"  {conversation_id}: {problems[0]}")
    assert rate >= FLOOR[name], failed


def test_our_typed_conversations(assistant: Any) -> None:
    measure(assistant, OURS, "ours")


def test_typed_descriptions_corrections_and_repairs(assistant: Any) -> None:
    measure(assistant, DESCRIPTIONS, "descriptions")


def test_contacts_for_a_stated_time(assistant: Any) -> None:
    measure(assistant, CONTACT_TIMES, "contact times")


def test_questions_in_context(assistant: Any) -> None:
    measure(assistant, IN_CONTEXT, "questions in context")


def test_the_shared_sample_conversations(assistant: Any) -> None:
    if not SAMPLES.exists():
        warnings.warn(f"SKIPPED LOUDLY: {SAMPLES} is not beside this checkout")
        pytest.skip(f"{SAMPLES} not present")
    measure(assistant, SAMPLES, "samples")
