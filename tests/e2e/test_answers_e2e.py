"""Answer accuracy on held-out questions, end to end: the right knowledge topic or route.

Each phrasing of tests/nlu/heldout_answers.yml (written from knowledge/ alone by a
helper who had not read the training data), tests/nlu/heldout_topics.yml (the
topic questions of the first held-out split), tests/nlu/heldout_answers_fresh.yml
(written later the same way; its misses were read on 2026-12-03),
tests/nlu/heldout_answers_fresh2.yml (written on 2026-12-03 the same way; its misses were
read on 2026-12-04) and tests/nlu/heldout_answers_fresh3.yml (written on 2026-12-04 the
same way, its misses never read nor listed) is the first message of a fresh conversation with the running
assistant. Its replies are read back as what was
answered, and compared with the label:

- `topic:<id>`: a guidance answer from that topic (or, for a topic whose guidance
  differs by role, the offer to choose one's role among its items, or the
  one-minute guide of one of its items);
- `route:<key>` with `area:`: that area's route (its number, or its name where no
  number is known); without an area, the route's national number, or the question
  "which area?" for a local route;
- `out_of_scope:<id>`: that route's reply; `emergency`: 999 first.

A "did you mean" is counted wrong: top-1 accuracy. The figures go to
tests/artifacts/answer_accuracy.txt, per label and per set, with the misses of the sets
already read; the README quotes them.
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
import yaml

from bot import render
from bot.knowledge.store import KnowledgeStore
from tests.e2e.chat import Conversation
from bot.paths import KNOWLEDGE_DB, ROOT

# Sets whose misses have been read while changing the assistant: their figures are fitted to.
# heldout_answers_fresh.yml was written on 2026-12-02 unread, its misses read on 2026-12-03;
# heldout_answers_fresh2.yml was written on 2026-12-03 unread (177/198 = 0.894), its misses
# read on 2026-12-04.
HELD_OUT = (ROOT / "tests" / "nlu" / "heldout_answers.yml", ROOT / "tests" / "nlu" / "heldout_topics.yml",
            ROOT / "tests" / "nlu" / "heldout_answers_fresh.yml", ROOT / "tests" / "nlu" / "heldout_answers_fresh2.yml")
# Written on 2026-12-04, before the changes of that day, by a writer who had read neither the
# sets above nor the training data nor the code: its figure is the one no change was fitted to.
# Its misses are counted but never listed in the report (UNSEEN), so that reading the report
# does not spend it; `SHOW_UNSEEN=1` lists them, after which it is spent like the others.
FRESH = ROOT / "tests" / "nlu" / "heldout_answers_fresh3.yml"
UNSEEN = os.environ.get("SHOW_UNSEEN") != "1"
REPORT = ROOT / "tests" / "artifacts" / "answer_accuracy.txt"
# The build fails below these top-1 accuracies. Measured on 2026-12-04: over the four sets read,
# 925/978 = 0.946 (899/978 = 0.919 before that day's changes, which were chosen by reading the
# misses of heldout_answers_fresh2: 177/198 unread, 190/198 after); the unread set's figure is
# in FRESH_FLOOR's comment. The model and the ranker are deterministic, so each floor sits just
# under its measurement: a change that costs more than about 15 of the read answers, or 5 of the
# unread ones, fails the build.
FLOOR = 0.93
# The unread set: 188/210 = 0.895 when first measured, before any change of 2026-12-04; 193/210 =
# 0.919 after them (its figure, never its misses, was looked at between changes).
FRESH_FLOOR = 0.895
NATIONAL = {"nspcc": "0808 800 5000", "non_emergency": "101"}
LOCAL = ("front_door", "out_of_hours", "early_help", "escalation")


def rows() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in (*HELD_OUT, FRESH):
        found += [{**row, "set": path.stem} for row in yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]]
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
        for key in (label, f"set {row['set']}"):
            total[key] += 1
        if is_right(store, row, replies):
            for key in (label, f"set {row['set']}"):
                right[key] += 1
        elif not (UNSEEN and row["set"] == FRESH.stem):
            first = (replies[0].get("text") or "").split("\n")[0][:90] if replies else "(no reply)"
            wrong.append(f"{row['expect']:40} {row['text'][:90]!r}\n    -> {first}")
    # The read sets' figures by label; the unread set's as one figure, apart.
    labels = [key for key in total if not key.startswith("set ")]
    unread = f"set {FRESH.stem}"
    read_right = sum(right[f"set {p.stem}"] for p in HELD_OUT)
    read_total = sum(total[f"set {p.stem}"] for p in HELD_OUT)
    accuracy = read_right / read_total
    fresh = right[unread] / total[unread]
    all_right, all_total = sum(right[k] for k in labels), sum(total[k] for k in labels)
    lines = [f"top-1 answer accuracy, all sets: {all_right}/{all_total} = {all_right / all_total:.3f}",
             f"  the sets whose misses were read: {read_right}/{read_total} = {accuracy:.3f}",
             f"  unread ({FRESH.stem}, misses {'not listed' if UNSEEN else 'listed'}): "
             f"{right[unread]}/{total[unread]} = {fresh:.3f}",
             "by label and set, all sets:"]
    lines += [f"  {key:32} {right[key]}/{total[key]} = {right[key] / total[key]:.3f}" for key in sorted(total)]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines + ["", "wrong:"] + wrong) + "\n", encoding="utf-8")
    assert accuracy >= FLOOR, "\n".join(lines + wrong[:40])
    assert fresh >= FRESH_FLOOR, "\n".join(lines)
