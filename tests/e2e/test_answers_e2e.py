"""Answer accuracy on held-out questions, end to end: the right knowledge topic or route.

Each phrasing of tests/nlu/heldout_answers.yml (written from knowledge/ alone by a
helper who had not read the training data) and tests/nlu/heldout_topics.yml (the
topic questions of the first held-out split) is the first message of a fresh
conversation with the running assistant. Its replies are read back as what was
answered, and compared with the label:

- `topic:<id>`: a guidance answer from that topic (or, for a topic whose guidance
  differs by role, the offer to choose one's role among its items, or the
  one-minute guide of one of its items);
- `route:<key>` with `area:`: that area's route (its number, or its name where no
  number is known); without an area, the route's national number, or the question
  "which area?" for a local route;
- `out_of_scope:<id>`: that route's reply; `emergency`: 999 first.

A "did you mean" is counted wrong: top-1 accuracy. The figures, per label, go to
tests/artifacts/answer_accuracy.txt; the README quotes them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
import yaml

from bot import render
from bot.knowledge.store import KnowledgeStore
from tests.e2e.chat import Conversation
from bot.paths import KNOWLEDGE_DB, ROOT

HELD_OUT = (ROOT / "tests" / "nlu" / "heldout_answers.yml", ROOT / "tests" / "nlu" / "heldout_topics.yml")
REPORT = ROOT / "tests" / "artifacts" / "answer_accuracy.txt"
# The build fails below this top-1 accuracy. Measured 0.882 (547 of 620) on 2026-12-02
# when it was set (0.844 the day before); the target is 0.92, not reached yet.
# The model and the ranker are deterministic, so the floor sits just under the
# measurement: a change that costs more than about 14 of the 620 answers fails the build.
FLOOR = 0.86
NATIONAL = {"nspcc": "0808 800 5000", "non_emergency": "101"}
LOCAL = ("front_door", "out_of_hours", "early_help", "escalation")


def rows() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in HELD_OUT:
        found += yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
    return found


def answered_titles(replies: Sequence[dict[str, Any]]) -> set[str]:
    """The titles of the guidance answers among `replies` (and of the role choices offered)."""
    titles = set()
    for reply in replies:
        custom = reply.get("custom")
        if render.is_answer(custom):
            titles.add(str(custom.get("title")))
        if (reply.get("text") or "").startswith("The guidance differs by role"):
            titles.update(b.get("title", "") for b in reply.get("buttons") or [])
    return titles


def is_right(store: KnowledgeStore, row: dict[str, Any], replies: Sequence[dict[str, Any]]) -> bool:
    text = "\n".join((r.get("text") or "") for r in replies)
    kind, _, key = row["expect"].partition(":")
    area = row.get("area")
    if kind == "emergency":
        return bool(replies) and "999" in (replies[0].get("text") or "")
    if kind == "topic":
        items = store.items_for_topic(key, area)
        titles = {i.title for i in items}
        guides = [g for g in (store.guide(i.guide) for i in items if i.guide) if g is not None]
        if any(text.startswith(f"One-minute guide: {g.title}") for g in guides):
            return True  # the topic's own one-minute guide, asked for by name
        if key == "escalation":  # the escalation navigator answers it, step by step, for the area
            return bool(titles & answered_titles(replies)) or "Step 1 of" in text or "Which area are you" in text
        return bool(titles & answered_titles(replies))
    if kind == "route":
        if key in NATIONAL:
            return NATIONAL[key] in text
        if area is None:
            return "Which area" in text or "which area" in text
        route = store.route(area, key)
        assert route is not None, f"{area} has no {key} route"
        return (route.phone or route.name) in text
    if kind == "out_of_scope":
        record = next(o for o in store_out_of_scope(store) if o.id == key)
        return record.text.split("{")[0].strip()[:40] in " ".join(text.split())
    raise AssertionError(f"unknown label {row['expect']!r}")


def store_out_of_scope(store: KnowledgeStore) -> list[Any]:
    intents = ("out_of_scope_adult", "out_of_scope_allegation", "out_of_scope_child", "inform_area",
               "out_of_scope_medical", "out_of_scope_language")
    return [o for o in (store.out_of_scope(i) for i in intents) if o is not None]


@pytest.fixture(scope="module")
def store() -> KnowledgeStore:
    return KnowledgeStore.open(KNOWLEDGE_DB)


def test_the_held_out_answer_set_is_big_enough() -> None:
    assert len(rows()) >= 400


def test_answer_accuracy_on_held_out_questions(assistant, store: KnowledgeStore) -> None:
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    wrong: list[str] = []
    for row in rows():
        chat = Conversation(assistant)
        replies = chat.say(row["text"])
        label = row["expect"].split(":")[0] if not row["expect"].startswith("topic") else "topic"
        total[label] += 1
        if is_right(store, row, replies):
            right[label] += 1
        else:
            first = (replies[0].get("text") or "").split("\n")[0][:90] if replies else "(no reply)"
            wrong.append(f"{row['expect']:40} {row['text'][:90]!r}\n    -> {first}")
    accuracy = sum(right.values()) / sum(total.values())
    lines = [f"top-1 answer accuracy: {sum(right.values())}/{sum(total.values())} = {accuracy:.3f}"]
    lines += [f"  {label:14} {right[label]}/{total[label]} = {right[label] / total[label]:.3f}" for label in sorted(total)]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines + ["", "wrong:"] + wrong) + "\n", encoding="utf-8")
    assert accuracy >= FLOOR, "\n".join(lines + wrong[:40])
