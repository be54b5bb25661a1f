"""The guided triage conversation: questions, their order, buttons and the Rasa slot mapping.

All wording lives in knowledge/triage/questions.yml; this module checks it against the
rubric (so every button is a value the rubric accepts) and answers three questions for
the Rasa glue: what to ask next (`questions_for`), which slot holds an answer
(`slot_for`), and how slots become the spec's nested answers dict (`answers_from_slots`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.triage import (
    FACTORS,
    NEEDS,
    AnswerError,
    Condition,
    EvalContext,
    Rubric,
)
from pydantic import ValidationError, validator

from bot.knowledge.files import DocRef
from bot.knowledge.models import cite
from bot.schema import Count, Day, Line, Quoted, StrictModel, Text, non_empty, problems, read_yaml

__all__ = [
    "AgeRules",
    "Option",
    "Question",
    "QuestionSet",
    "QuestionsError",
    "answers_from_slots",
    "default_questions",
    "load_questions",
    "phrase_tokens",
    "questions_for",
    "skip_value",
    "slot_for",
]


class QuestionsError(ValueError):
    """questions.yml does not fit the rubric or is malformed."""


# "isn't", typed "isnt" too, is read as "is not", so that a phrase such as
# "not in danger" matches and the negation stays inside the phrase it belongs to.
_NOT = re.compile(r"\b(is|are|was|were|has|have|had|does|do|did|should|would|could)n'?t\b")
_CANT_WONT = re.compile(r"\b(can|won)'?t\b")


def phrase_tokens(text: str, spell_out: bool = True) -> tuple[str, ...]:
    """Words of a phrase or message for matching: lower case, no punctuation or apostrophes.

    Digits and letters are split ("7yo" -> "7 yo") and underscores become spaces, so a
    canonical value such as "mostly_met" reads as the phrase "mostly met". With
    `spell_out`, "n't" is spelled out ("isn't", "isnt" -> "is not"; "can't" -> "can not";
    "won't" -> "will not"); word lists (negations, hedges) are read without it.
    """
    text = text.lower().replace("’", "'").replace("‘", "'")
    if spell_out:
        text = _NOT.sub(r"\1 not", text)
        text = _CANT_WONT.sub(lambda m: ("will" if m.group(1) == "won" else "can") + " not", text)
    text = text.replace("'", "")
    text = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", " ", text)
    return tuple(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Option:
    """One button: the answer value, its title, and phrases (as word tuples) meaning it."""

    value: str
    title: str
    phrases: tuple[tuple[str, ...], ...]
    outranks: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgeRules:
    """How a typed age ("3 months", "she's 15") becomes an age band."""

    bands: tuple[tuple[str, int, int], ...]  # (band, first year, last year), inclusive
    units: Mapping[str, str]  # unit word -> unit name
    per_year: Mapping[str, int]  # unit name -> how many make a year
    after_words: frozenset[str]
    lead_words: frozenset[str]
    number_words: Mapping[str, int]

    def band_for(self, years: int) -> str | None:
        """The band holding an age in whole years, or None (18 and over, or negative)."""
        return next((band for band, first, last in self.bands if first <= years <= last), None)


@dataclass(frozen=True)
class Question:
    """One step of the guided conversation."""

    key: str  # the spec's answer key: "age_band", "needs.health", "factors", ...
    slot: str
    prompt: str
    options: tuple[Option, ...]
    what_met: str | None = None
    source_citation: str | None = None
    asked_when: Condition | None = None
    finish: Option | None = None  # only for the list question (factors): the button ending the list
    ages: AgeRules | None = None

    @property
    def domain(self) -> str | None:
        """The needs domain this question asks about, if it is a needs question."""
        prefix = f"{NEEDS}."
        return self.key[len(prefix) :] if self.key.startswith(prefix) else None

    @property
    def multiple(self) -> bool:
        """True for the question whose answer is a list (factors)."""
        return self.finish is not None


@dataclass(frozen=True)
class QuestionSet:
    """The loaded questions, in the order they are asked, and the rubric they were checked against."""

    questions: tuple[Question, ...]
    rubric: Rubric
    negations: frozenset[str]
    hedges: frozenset[str]
    unsure: Mapping[str, str]  # reason code -> what the bot says

    def get(self, key: str) -> Question:
        """The question for an answer key; AnswerError if there is none."""
        for question in self.questions:
            if question.key == key:
                return question
        raise AnswerError(key, f"no such question; expected one of {[q.key for q in self.questions]}")


# --- Loading ------------------------------------------------------------------------

class _OptionFile(StrictModel):
    value: Quoted | None = None  # required of an option, and of the finish button
    title: Line
    says: list[Text]
    outranks: list[str] = []

    _given = non_empty("says")


class _AgesFile(StrictModel):
    bands: dict[str, tuple[Count, Count]]
    units: dict[str, list[Text]]
    per_year: dict[str, Count]
    after_words: list[Text]
    lead_words: list[Text]
    number_words: dict[str, Count]

    @validator("per_year")
    def _year(cls, value: dict[str, int], values: dict[str, Any]) -> dict[str, int]:  # noqa: N805 - pydantic
        if value.get("year") != 1 or not all(value.values()):
            raise ValueError("whole numbers of each unit in a year, with year: 1")
        if "units" in values and set(values["units"]) != set(value):
            raise ValueError("units and per_year must name the same units")
        return value


class _QuestionFile(StrictModel):
    key: Quoted
    slot: Line
    prompt: Line
    options: list[_OptionFile]
    what_met: Line | None = None
    sources: list[DocRef] | None = None
    asked_when: Any = None
    finish: _OptionFile | None = None
    ages: _AgesFile | None = None

    _given = non_empty("options")

    @validator("sources")
    def _some_sources(cls, value: list[DocRef] | None) -> list[DocRef] | None:  # noqa: N805 - pydantic
        if value is not None and not value:
            raise ValueError("must be a non-empty list of {doc, section}")
        return value


class _Unsure(StrictModel):
    """What the bot says when it cannot read an answer, by reason."""

    empty: Line
    unrecognised: Line
    ambiguous: Line
    doubt: Line
    adult: Line


class QuestionsFile(StrictModel):
    """knowledge/triage/questions.yml as written; `load_questions` checks it against the rubric."""

    review_date: Day
    negations: list[Text]
    hedges: list[Text]
    unsure: _Unsure
    questions: list[_QuestionFile]
    needs_options: Any = None  # only holds the YAML anchor the needs questions share


def _words(words: Sequence[str]) -> frozenset[str]:
    return frozenset(token for word in words for token in phrase_tokens(word, spell_out=False))


def _option(raw: _OptionFile, where: str, value: str, allowed: Sequence[str] | None) -> Option:
    if allowed is not None and value not in allowed:
        raise QuestionsError(f"{where}: value {value!r} is not allowed by the rubric; expected one of {list(allowed)}")
    if not all(phrase_tokens(said) for said in raw.says):
        raise QuestionsError(f"{where}.says: every phrase needs a letter or a digit")
    if allowed is not None and any(o not in allowed for o in raw.outranks):
        raise QuestionsError(f"{where}.outranks: must list values of this question")
    title = raw.title
    phrases = {phrase_tokens(title), phrase_tokens(value), *(phrase_tokens(said) for said in raw.says)}
    return Option(value, title, tuple(sorted(phrases)), tuple(raw.outranks))


def _check_phrases_unique(options: Sequence[Option], where: str) -> None:
    """A phrase meaning two options would make typed answers depend on luck."""
    owner: dict[tuple[str, ...], str] = {}
    for option in options:
        for phrase in option.phrases:
            if owner.setdefault(phrase, option.value) != option.value:
                raise QuestionsError(
                    f"{where}: the phrase {' '.join(phrase)!r} means both {owner[phrase]!r} and {option.value!r}"
                )


def _ages(raw: _AgesFile, where: str, allowed: Sequence[str]) -> AgeRules:
    if any(band not in allowed for band in raw.bands):
        raise QuestionsError(f"{where}.bands: must map age bands from {list(allowed)} to [first, last] years")
    return AgeRules(
        tuple((band, first, last) for band, (first, last) in raw.bands.items()),
        {word: unit for unit, words in raw.units.items() for word in _words(words)},
        dict(raw.per_year),
        _words(raw.after_words),
        _words(raw.lead_words),
        dict(raw.number_words),
    )


def _question(raw: _QuestionFile, where: str, rubric: Rubric) -> Question:
    key = raw.key
    where = f"{where} ({key})"
    prefix = f"{NEEDS}."
    if key.startswith(prefix):
        if key[len(prefix) :] not in rubric.answers[NEEDS].domains:
            raise QuestionsError(f"{where}: unknown needs domain")
        allowed: Sequence[str] = rubric.answers[NEEDS].values
    elif key in rubric.answers and key != NEEDS:
        allowed = rubric.answers[key].values
    else:
        raise QuestionsError(f"{where}: unknown answer key")
    is_list = key == FACTORS
    if is_list != (raw.finish is not None):
        raise QuestionsError(f"{where}: the list question (factors) and only it must have a finish button")
    if (raw.ages is not None) != (key == "age_band"):
        raise QuestionsError(f"{where}: only age_band has ages")
    if (raw.what_met is not None) != key.startswith(prefix):
        raise QuestionsError(f"{where}: every needs question, and only they, say what_met")
    options = []
    for i, item in enumerate(raw.options):
        if item.value is None:
            raise QuestionsError(f"{where}.options[{i}].value: missing")
        options.append(_option(item, f"{where}.options[{i}]", item.value, allowed))
    values = [o.value for o in options]
    if sorted(values) != sorted(allowed):
        raise QuestionsError(f"{where}.options: must offer each allowed value once: {list(allowed)}, got {values}")
    finish = None
    if raw.finish is not None:
        if not raw.finish.value or raw.finish.value in values:
            raise QuestionsError(f"{where}.finish.value: must be quoted text unlike any option value")
        finish = _option(raw.finish, f"{where}.finish", raw.finish.value, None)
    _check_phrases_unique([*options, *([finish] if finish else [])], where)
    citation = cite(rubric.sources(raw.sources, f"{where}.sources", QuestionsError)) if raw.sources else None
    asked_when = None
    if raw.asked_when is not None:
        try:
            asked_when = rubric.answer_condition(raw.asked_when, f"{where}.asked_when")
        except ValueError as exc:
            raise QuestionsError(str(exc)) from exc
    return Question(
        key=key,
        slot=raw.slot,
        prompt=raw.prompt,
        options=tuple(options),
        what_met=raw.what_met,
        source_citation=citation,
        asked_when=asked_when,
        finish=finish,
        ages=_ages(raw.ages, f"{where}.ages", allowed) if raw.ages is not None else None,
    )


def load_questions(path: Path, rubric: Rubric) -> QuestionSet:
    """Load questions.yml and check it against the rubric; raise QuestionsError if it does not fit."""
    try:
        top = QuestionsFile.parse_obj(read_yaml(path, QuestionsError))
    except ValidationError as error:
        raise QuestionsError(f"{path.name}: " + "; ".join(problems(error))) from None
    questions = tuple(_question(item, f"questions[{i}]", rubric) for i, item in enumerate(top.questions))
    expected = [k for k in rubric.answers if k != NEEDS] + [f"{NEEDS}.{d}" for d in rubric.answers[NEEDS].domains]
    keys = [q.key for q in questions]
    if sorted(keys) != sorted(expected):
        raise QuestionsError(f"questions: must ask each answer key exactly once: {expected}, got {keys}")
    slots = [q.slot for q in questions]
    if len(set(slots)) != len(slots):
        raise QuestionsError(f"questions: slot names must be unique, got {slots}")
    if keys[0] != "immediate_danger":
        raise QuestionsError("questions: immediate_danger must be asked first")
    return QuestionSet(
        questions=questions,
        rubric=rubric,
        negations=_words(top.negations),
        hedges=_words(top.hedges),
        unsure=top.unsure.dict(),
    )


def default_questions() -> QuestionSet:
    """The repository's questions (bot/knowledge/snapshot.py), checked against its rubric, loaded once."""
    from bot.knowledge.snapshot import snapshot

    return snapshot().questions


# --- The flow -------------------------------------------------------------------------


def _answered(question: Question, answers: Mapping[str, Any]) -> bool:
    domain = question.domain
    return domain in answers.get(NEEDS, {}) if domain else question.key in answers


def _usable(answers_so_far: Mapping[str, Any], rubric: Rubric) -> dict[str, Any]:
    """The answers that are valid on their own; anything else counts as not yet answered."""
    if not isinstance(answers_so_far, Mapping):
        return {}
    usable: dict[str, Any] = {}
    for key, value in answers_so_far.items():
        if key == NEEDS:
            continue
        try:
            usable.update(rubric.normalise({key: value}))
        except AnswerError:
            continue
    needs = answers_so_far.get(NEEDS)
    if isinstance(needs, Mapping):
        for domain, value in needs.items():
            try:
                checked = rubric.normalise({**usable, NEEDS: {domain: value}})[NEEDS]
            except AnswerError:
                continue
            usable.setdefault(NEEDS, {}).update(checked)
    return usable


def questions_for(answers_so_far: Mapping[str, Any], questions: QuestionSet | None = None) -> list[Question]:
    """The questions still to ask, in order; empty once the child is in immediate danger.

    `answers_so_far` is the spec's nested answers dict. An answer the rubric would refuse
    (a typed text not yet read, a domain that does not fit the age) counts as not yet
    answered, so its question is asked (again); `assess` is what refuses bad answers.
    Which needs domains apply depends on the age band, so ask the first question and call
    again with its answer rather than relying on the rest of the list.
    """
    questions = questions if questions is not None else default_questions()
    answers = _usable(answers_so_far, questions.rubric)
    if answers.get("immediate_danger") == "yes":
        return []
    context = EvalContext(answers, {})
    remaining = []
    for question in questions.questions:
        if _answered(question, answers):
            continue
        if question.domain and not questions.rubric.domain_applies(question.domain, answers):
            continue
        if question.asked_when is not None and not question.asked_when.holds(context):
            continue
        remaining.append(question)
    return remaining


def slot_for(key: str, questions: QuestionSet | None = None) -> str:
    """The Rasa slot holding the answer to `key` ("needs.health" -> "triage_need_health")."""
    questions = questions if questions is not None else default_questions()
    return questions.get(key).slot


def answers_from_slots(slots: Mapping[str, Any], questions: QuestionSet | None = None) -> dict[str, Any]:
    """The spec's nested answers dict from Rasa slot values.

    Unset slots (None) are questions not asked and are left out; other slots are ignored.
    Values are passed through unchanged: `assess` checks them.
    """
    questions = questions if questions is not None else default_questions()
    answers: dict[str, Any] = {}
    for question in questions.questions:
        value = slots.get(question.slot)
        if value is None:
            continue
        if question.domain:
            answers.setdefault(NEEDS, {})[question.domain] = value
        else:
            answers[question.key] = value
    return answers


def skip_value(question: Question) -> str | list[str] | None:
    """What skipping `question` records: "not known" where the rubric has it, an empty
    list for the list question, None where a question cannot be skipped (immediate
    danger, the child's age: the rest of the questions depend on them)."""
    if question.finish is not None:
        return []
    return "unknown" if any(option.value == "unknown" for option in question.options) else None
