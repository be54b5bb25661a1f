"""What one typed message does to the "am I worried?" conversation.

Pure functions over the answers so far (by contract key, as in
../shared/spec/triage.md), the readings waiting for confirmation and the
question being asked; the form in actions/triage.py only turns the result into
slot events and replies. The kinds of turn:

* **plain**: an answer to the question just asked and nothing else ("never",
  "she's 8 months"): taken as it is, with the cautious reading of bot/answers.py;
* **description**: anything else that gives answers ("often hungry, mum
  drinks"): every reading waits in `pending` and is shown back with the
  practitioner's words, "That's right" / "Change something";
* **confirm** / **change**: the reply to readings shown back; "change" offers
  each reading to drop (its question is then asked) or a typed correction;
* **correction**: "actually she's 2", "sorry, I meant Kingston": what it
  says replaces what was recorded, at once (the practitioner said so);
* **resume**: "she's safe now, carry on" after an emergency reply.

Readings that wait are never answers: they count only when the practitioner
confirms them, or carries on with the next question after seeing them with
the "Change something" button, as in a conversation with a colleague. When
nothing is left to ask, the form asks for an explicit confirmation before
the result (actions/triage.py, `CHECK`), so `assess()` never sees a reading
the practitioner has not been shown and let stand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.answers import interpret_answer
from bot.description import DescriptionReader, Reading
from bot.triage_flow import QuestionSet
from bot.wording import say

__all__ = ["Turn", "apply_pending", "describe", "understand", "AREA", "ROLE"]

AREA, ROLE = "area", "role"
_OPENING = re.compile(r"[,.;:!?\n]|\s[-–—]\s")
_DIRECT = frozenset({"immediate_danger", "age_band", "disabled", "factors", "duration", "change", "impact"})
Value = Any  # an answer value: text, or a list of factor ids


@dataclass(frozen=True)
class Turn:
    """What a message does. `answers` count now (by contract key, plus "area"
    and "role"); `pending` replaces the readings waiting for confirmation;
    `corrected` names the keys a correction changed; `drop` is the key whose
    reading the practitioner chose to change."""

    kind: str  # plain, description, confirm, change, correction, resume, none
    answers: dict[str, Value] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] | None = None
    corrected: tuple[str, ...] = ()
    drop: str | None = None


def _pending(readings: list[Reading]) -> dict[str, dict[str, Any]]:
    return {
        r.key: {"value": list(r.value) if isinstance(r.value, tuple) else r.value, "words": r.words}
        for r in readings
    }


def apply_pending(pending: Mapping[str, Mapping[str, Any]]) -> dict[str, Value]:
    """The answers the waiting readings give once confirmed."""
    return {key: reading["value"] for key, reading in pending.items()}


def understand(
    text: str,
    *,
    asked: str | None,
    answers: Mapping[str, Value],
    pending: Mapping[str, dict[str, Any]],
    reader: DescriptionReader,
    questions: QuestionSet,
    find_area: Callable[[str], str | None],
    find_role: Callable[[str], str | None],
) -> Turn:
    """What `text`, typed while the question `asked` (a contract key, "area",
    "role" or None) is on screen, does.

    `answers` are the answers recorded so far and `pending` the readings waiting
    for confirmation; `find_area` and `find_role` name the area or role `text`
    gives (ids), or None.
    """
    reply = reader.reply_to_readings(text) if pending else None
    if reply == "confirm":
        return Turn("confirm", apply_pending(pending), pending={})
    if reply == "change":
        return Turn("change")
    unborn = (answers.get("age_band") or (pending.get("age_band") or {}).get("value")) == "unborn"
    readings = reader.read(text, unborn=unborn)
    if asked != "immediate_danger" and {r.key for r in readings} <= {"immediate_danger"} \
            and reader.wants_to_resume(text):
        return Turn("resume")  # "she's safe now, let's carry on", after a 999 reply
    context = _context(text, asked, find_area, find_role)
    if reader.corrects(text):
        known = {**apply_pending(pending), **answers}
        fixed = {r.key: r.value for r in readings if r.key in known and known[r.key] != _plain(r.value)}
        fixed.update({k: v for k, v in context.items() if k in answers and answers[k] != v})
        if fixed:
            rest = [r for r in readings if r.key not in fixed]
            left = {k: v for k, v in pending.items() if k not in fixed}
            return Turn("correction", {k: _plain(v) for k, v in fixed.items()} | _new(context, answers),
                        pending={**left, **_pending(rest)} if rest or len(left) != len(pending) else None,
                        corrected=tuple(fixed))
    # Without "actually" or "sorry", what repeats an answer already given is
    # elaboration ("some, he's withdrawn" after warmth was answered), not a change.
    readings = [r for r in readings if r.key not in answers or r.key == asked]
    plain = _plain_answer(text, asked, questions, context)
    if asked == ROLE and plain is None and readings and all(r.key in _DIRECT for r in readings):
        # The optional role question, answered with the next one ("she's 8 months"): it is skipped.
        return Turn("plain", {r.key: _plain(r.value) for r in readings} | _new(context, answers))
    others = [r for r in readings if r.key != asked]
    if plain is None and readings and not others and asked in _DIRECT:
        # "no, he's not in any danger", "she's 20 weeks pregnant": the question
        # just asked, answered in a sentence. A need read this way ("she's often
        # hungry") is still shown back first: its level comes from the wording.
        plain = _plain(readings[0].value)
    if plain is not None and not others:
        return Turn("plain", {asked: plain, **_new(context, answers)} if asked else {})
    if readings:
        # The question asked is answered by a plain answer that opens the message
        # ("not at all, the house is filthy and ..."), or else only if the reader
        # found its answer: "fine" in "food's fine but..." does not answer the health question.
        opening = _plain_answer(_OPENING.split(text, 1)[0], asked, questions, context)
        found = _pending([r for r in readings if not (opening is not None and r.key == asked)])
        given = {asked: opening} if asked is not None and opening is not None and asked not in (AREA, ROLE, "factors") \
            else {}
        return Turn("description", given | _new(context, answers), pending={**pending, **found})
    if context and asked in context:
        return Turn("plain", _new(context, answers) | {asked: context[asked]})
    if reader.wants_to_resume(text):
        return Turn("resume")
    return Turn("none", _new(context, answers)) if _new(context, answers) else Turn("none")


def _plain(value: Value) -> Value:
    return list(value) if isinstance(value, tuple) else value


def _new(context: Mapping[str, str], answers: Mapping[str, Value]) -> dict[str, Value]:
    """The area and role a message gives that are not yet known."""
    return {k: v for k, v in context.items() if answers.get(k) is None}


def _context(text: str, asked: str | None, find_area: Callable[[str], str | None],
             find_role: Callable[[str], str | None]) -> dict[str, str]:
    found = {}
    area = find_area(text)
    if area:
        found[AREA] = area
    role = find_role(text)
    if role:
        found[ROLE] = role
    return found


def _plain_answer(text: str, asked: str | None, questions: QuestionSet,
                  context: Mapping[str, str]) -> Value | None:
    """The answer to the question asked, read as today's typed answers are."""
    if asked in (AREA, ROLE):
        return context.get(asked)
    if asked is None:
        return None
    return interpret_answer(asked, text, questions).value


def describe(pending: Mapping[str, Mapping[str, Any]], reader: DescriptionReader,
             questions: QuestionSet) -> str:
    """The readings as lines for the practitioner to check: the answer, then their own words."""
    lines = []
    for key in [q.key for q in questions.questions if q.key in pending]:
        reading = pending[key]
        question = questions.get(key)
        titles = {o.value: o.title for o in question.options}
        value = reading["value"]
        shown = ", ".join(titles.get(v, v) for v in value) if isinstance(value, list) else titles.get(value, value)
        lines.append(say("reading", label=reader.label(key), value=shown, words=reading["words"]))
    return "\n".join(lines)
