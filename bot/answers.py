"""Typed answers: what a practitioner types instead of pressing a triage button.

The vocabulary (each option's `says` phrases, negation and hedge words, age units) is in
knowledge/triage/questions.yml. Matching is deliberately cautious, because a wrong
reading changes the level a practitioner acts on: whole words only, the longest phrase
wins, and a message that matches two options, or carries a "not"/"maybe" outside the
phrase it matched, or gives an age of 18 or over, is not read at all (None), so the bot
asks again with the buttons rather than guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.triage_flow import AgeRules, Question, QuestionSet, default_questions, phrase_tokens

__all__ = ["Interpretation", "asked_sentences", "asks_for_guidance", "interpret_answer", "looks_like_a_question",
           "parse_answer", "sentences"]

_PAYLOAD = re.compile(r"\s*/[\w.-]+\s*(\{.*\})\s*", re.DOTALL)
# A message that asks something is a side question, never an answer to the
# triage question being asked ("what does was not brought mean").
_QUESTION = re.compile(
    r"\?\s*$|^\s*(?:what|whats|what's|how|who|where|when|why|which|can|could|should|would|"
    r"is|are|do|does|did|am i|tell me|explain)\b"
    # a question after a comma: "baby not born yet, what's the process for assessing risk",
    # "...because it tells you something, is that a thing", "...six themes, can you list them"
    r"|[,;]\s*(?:what|whats|what's|how|who|where|when|why|which)\b"
    r"|[,;]\s*(?:do|does|did|should|can|could|is|are|am|must|would)\s+(?:i|we|you|they|he|she|it|this|that|there)\b"
    # after who is asking: "as a class teacher can i start early help myself"
    r"|^\s*as\s+(?:an?\s+)?\w+(?:\s+\w+)?,?\s+(?:can|could|do|should|must|may)\s+(?:i|we)\b",
    re.IGNORECASE,
)


# A question that asks for help with the case described rather than for guidance:
# the "am I worried?" questions answer it ("is this neglect?", "what should I do?").
_HELP_WITH_CASE = re.compile(
    r"\b(?:what (?:should|shall|do|can|could|would|must) (?:i|we) do"
    r"|what (?:now|next)|(?:can|could) you help|help me|any advice"
    # ("is that neglect or poverty?" asks where the line is: the guidance answers it)
    # ("is it ok to accept a drink on a visit?" asks about practice: the guidance answers it too)
    r"|is (?:this|that|it) (?:neglect|ok|okay|normal|enough|a concern|concerning|a safeguarding)(?!\w*\s+(?:or|to)\b)"
    r"|(?:should|do|must) (?:i|we) (?:be worried|worry|refer|report|do something|tell someone|act)"
    r"|am i (?:right to be )?(?:worried|overreacting)|how worried should)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def looks_like_a_question(text: str) -> bool:
    """True for a message that asks something rather than answers."""
    return bool(_QUESTION.search(text))


def sentences(text: str) -> list[str]:
    """The sentences of `text`, split after a full stop, "!" or "?" and at line breaks."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def asked_sentences(text: str) -> list[str]:
    """The sentences of `text` that ask something."""
    return [s for s in sentences(text) if looks_like_a_question(s)]


def told_sentences(text: str) -> str:
    """The sentences of `text` that ask nothing: the case told beside a question."""
    return " ".join(s for s in sentences(text) if not looks_like_a_question(s))


def asks_for_guidance(text: str) -> bool:
    """Whether `text` asks a question of its own rather than for help with the case it
    describes: "...he's always hungry. which type of neglect is that?" does, "...what
    should I do?" and "is this neglect?" do not."""
    asked = asked_sentences(text)
    return bool(asked) and not any(_HELP_WITH_CASE.search(s) for s in asked)


@dataclass(frozen=True)
class Interpretation:
    """A typed answer read as a value, or None with the reason code and what to tell the user."""

    value: str | list[str] | None
    reason: str | None = None  # empty, unrecognised, ambiguous, doubt, adult
    message: str | None = None


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    value: str
    adult: bool = False  # an age of 18 or over
    stray: bool = False  # a number that does not read as an age ("2 siblings")

    def covers(self, other: _Span) -> bool:
        inside = self.start <= other.start and other.end <= self.end
        return inside and (self.end - self.start) > (other.end - other.start)


def parse_answer(key: str, text: str, questions: QuestionSet | None = None) -> str | list[str] | None:
    """The answer value `text` gives for `key` ("needs.health", "factors", ...), or None when unsure.

    Factors give a list of factor ids ([] for "none" / "done"). AnswerError for an unknown key.
    """
    return interpret_answer(key, text, questions).value


def interpret_answer(key: str, text: str, questions: QuestionSet | None = None) -> Interpretation:
    """Like `parse_answer`, but says why nothing was read, for the bot to tell the user."""
    questions = questions if questions is not None else default_questions()
    question = questions.get(key)

    def unsure(code: str) -> Interpretation:
        return Interpretation(None, code, questions.unsure[code])

    if not isinstance(text, str) or not text.strip():
        return unsure("empty")
    payload = _PAYLOAD.fullmatch(text)
    if payload:
        value = _payload_value(payload.group(1), question)
        return Interpretation(value) if value is not None else unsure("unrecognised")
    if _is_value(text.strip(), question):
        stripped = text.strip()
        return Interpretation([stripped] if question.multiple else stripped)
    tokens = phrase_tokens(text)
    spans = _phrase_spans(tokens, question)
    if question.ages is not None:
        spans += _age_spans(tokens, spans, question.ages)
    kept = [s for s in spans if not any(other.covers(s) for other in spans)]
    covered = {i for s in kept for i in range(s.start, s.end)}
    if any(t in questions.negations or t in questions.hedges for i, t in enumerate(tokens) if i not in covered):
        return unsure("doubt")
    if any(s.adult or s.stray for s in kept):
        if len(kept) > 1:
            return unsure("ambiguous")
        return unsure("adult" if kept[0].adult else "unrecognised")
    values = {s.value for s in kept}
    values -= {v for o in question.options if o.value in values for v in o.outranks}
    if not values:
        return unsure("unrecognised")
    if question.finish is not None:
        if question.finish.value in values:
            return Interpretation([]) if len(values) == 1 else unsure("ambiguous")
        return Interpretation([o.value for o in question.options if o.value in values])
    if len(values) > 1:
        return unsure("ambiguous")
    return Interpretation(values.pop())


def _is_value(candidate: Any, question: Question) -> bool:
    return isinstance(candidate, str) and any(o.value == candidate for o in question.options)


def _payload_value(body: str, question: Question) -> str | list[str] | None:
    """A button payload such as /inform{"triage_age_band": "1_4"}: the value for this question's slot."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if question.slot in data:
        value = data[question.slot]
    elif len(data) == 1:
        value = next(iter(data.values()))
    else:
        return None
    if question.finish is not None:
        items = value if isinstance(value, list) else [value]
        if items == [question.finish.value]:
            return []
        if not all(_is_value(item, question) for item in items):
            return None
        return [o.value for o in question.options if o.value in items]
    return value if _is_value(value, question) else None


def _find(tokens: Sequence[str], phrase: Sequence[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(tokens) - size + 1) if tuple(tokens[i : i + size]) == tuple(phrase)]


def _phrase_spans(tokens: Sequence[str], question: Question) -> list[_Span]:
    options = [*question.options, *([question.finish] if question.finish else [])]
    return [
        _Span(start, start + len(phrase), option.value)
        for option in options
        for phrase in option.phrases
        for start in _find(tokens, phrase)
    ]


def _age_spans(tokens: Sequence[str], phrase_spans: Sequence[_Span], ages: AgeRules) -> list[_Span]:
    """Spans for typed ages ("3 months", "she's 15", "7 year old") outside any matched phrase."""
    in_phrase = {i for s in phrase_spans for i in range(s.start, s.end)}
    spans = []
    for i, token in enumerate(tokens):
        number = int(token) if token.isdigit() else ages.number_words.get(token)
        if number is None or i in in_phrase:
            continue
        end, unit = i + 1, "year"
        if end < len(tokens) and tokens[end] in ages.units:
            unit = ages.units[tokens[end]]
            end += 1
        while end < len(tokens) and tokens[end] in ages.after_words:
            end += 1
        alone = len(tokens) == 1
        led = i > 0 and tokens[i - 1] in ages.lead_words
        if end == i + 1 and not (alone or led):
            # A bare number in a sentence ("2 siblings") is not an age, and makes any age doubtful.
            spans.append(_Span(i, end, "", stray=True))
            continue
        years = number // ages.per_year[unit]
        band = ages.band_for(years)
        spans.append(_Span(i, end, band or "", adult=band is None))
    return spans
