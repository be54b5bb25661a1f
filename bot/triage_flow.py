"""The guided triage conversation: questions, their order, buttons and the Rasa slot mapping.

All wording lives in knowledge/triage/questions.yml; this module checks it against the
rubric (so every button is a value the rubric accepts) and answers three questions for
the Rasa glue: what to ask next (`questions_for`), which slot holds an answer
(`slot_for`), and how slots become the spec's nested answers dict (`answers_from_slots`).
"""

from __future__ import annotations

import datetime as dt
import functools
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
    default_rubric,
)
from bot.knowledge.files import DocRef
from bot.knowledge.models import cite
from bot.schema import read_yaml
from bot.paths import KNOWLEDGE_DIR

__all__ = [
    "AgeRules",
    "Option",
    "Question",
    "QuestionSet",
    "QuestionsError",
    "answers_from_slots",
    "default_questions",
    "default_questions_path",
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

_UNSURE_CODES = ("empty", "unrecognised", "ambiguous", "doubt", "adult")


def _mapping(raw: Any, where: str, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise QuestionsError(f"{where}: expected a mapping, got {type(raw).__name__}")
    missing = [k for k in required if k not in raw]
    unknown = [k for k in raw if k not in required and k not in optional]
    if missing or unknown:
        raise QuestionsError(f"{where}: missing {missing}, unknown {unknown}")
    return raw


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise QuestionsError(f"{where}: must be non-empty text")
    return " ".join(raw.split())


def _words(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str) and w for w in raw):
        raise QuestionsError(f"{where}: must be a list of quoted words")
    return frozenset(token for word in raw for token in phrase_tokens(word, spell_out=False))


def _option(raw: Any, where: str, value: str, allowed: Sequence[str] | None) -> Option:
    fields = _mapping(raw, where, ("title", "says"), ("value", "outranks"))
    if allowed is not None and value not in allowed:
        raise QuestionsError(f"{where}: value {value!r} is not allowed by the rubric; expected one of {list(allowed)}")
    title = _text(fields["title"], f"{where}.title")
    says = fields["says"]
    if not isinstance(says, list) or not says or not all(isinstance(s, str) and phrase_tokens(s) for s in says):
        raise QuestionsError(f"{where}.says: must be a non-empty list of quoted phrases")
    phrases = {phrase_tokens(title), phrase_tokens(value), *(phrase_tokens(s) for s in says)}
    outranks = fields.get("outranks", [])
    if not isinstance(outranks, list) or (allowed is not None and any(o not in allowed for o in outranks)):
        raise QuestionsError(f"{where}.outranks: must list values of this question")
    return Option(value, title, tuple(sorted(phrases)), tuple(outranks))


def _check_phrases_unique(options: Sequence[Option], where: str) -> None:
    """A phrase meaning two options would make typed answers depend on luck."""
    owner: dict[tuple[str, ...], str] = {}
    for option in options:
        for phrase in option.phrases:
            if owner.setdefault(phrase, option.value) != option.value:
                raise QuestionsError(
                    f"{where}: the phrase {' '.join(phrase)!r} means both {owner[phrase]!r} and {option.value!r}"
                )


def _ages(raw: Any, where: str, allowed: Sequence[str]) -> AgeRules:
    fields = _mapping(raw, where, ("bands", "units", "per_year", "after_words", "lead_words", "number_words"))
    bands = fields["bands"]
    if not isinstance(bands, Mapping) or any(b not in allowed for b in bands):
        raise QuestionsError(f"{where}.bands: must map age bands from {list(allowed)} to [first, last] years")
    parsed = []
    for band, span in bands.items():
        if not (isinstance(span, list) and len(span) == 2 and all(type(n) is int and n >= 0 for n in span)):
            raise QuestionsError(f"{where}.bands.{band}: must be [first, last] whole years")
        parsed.append((band, span[0], span[1]))
    units_raw, per_year = fields["units"], fields["per_year"]
    if not isinstance(units_raw, Mapping) or not isinstance(per_year, Mapping) or set(units_raw) != set(per_year):
        raise QuestionsError(f"{where}: units and per_year must name the same units")
    if per_year.get("year") != 1 or not all(type(n) is int and n > 0 for n in per_year.values()):
        raise QuestionsError(f"{where}.per_year: whole numbers of each unit in a year, with year: 1")
    units = {word: unit for unit, words in units_raw.items() for word in _words(words, f"{where}.units.{unit}")}
    numbers = fields["number_words"]
    if not isinstance(numbers, Mapping) or not all(type(n) is int and n >= 0 for n in numbers.values()):
        raise QuestionsError(f"{where}.number_words: must map words to whole numbers")
    return AgeRules(
        tuple(parsed),
        units,
        dict(per_year),
        _words(fields["after_words"], f"{where}.after_words"),
        _words(fields["lead_words"], f"{where}.lead_words"),
        dict(numbers),
    )


def _citation(raw: Any, where: str, rubric: Rubric) -> str:
    if not isinstance(raw, list) or not raw:
        raise QuestionsError(f"{where}: must be a non-empty list of {{doc, section}}")
    refs = []
    for i, item in enumerate(raw):
        ref = _mapping(item, f"{where}[{i}]", ("doc", "section"))
        refs.append(DocRef.construct(doc=ref["doc"], section=_text(ref["section"], f"{where}[{i}].section")))
    return cite(rubric.sources(refs, where, QuestionsError))


def _question(raw: Any, where: str, rubric: Rubric) -> Question:
    fields = _mapping(
        raw, where, ("key", "slot", "prompt", "options"), ("what_met", "sources", "asked_when", "finish", "ages")
    )
    key = fields["key"]
    if not isinstance(key, str):
        raise QuestionsError(f"{where}.key: must be text")
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
    if is_list != ("finish" in fields):
        raise QuestionsError(f"{where}: the list question (factors) and only it must have a finish button")
    if ("ages" in fields) != (key == "age_band"):
        raise QuestionsError(f"{where}: only age_band has ages")
    if ("what_met" in fields) != key.startswith(prefix):
        raise QuestionsError(f"{where}: every needs question, and only they, say what_met")
    options_raw = fields["options"]
    if not isinstance(options_raw, list) or not options_raw:
        raise QuestionsError(f"{where}.options: must be a non-empty list")
    options = []
    for i, item in enumerate(options_raw):
        value = item.get("value") if isinstance(item, Mapping) else None
        if not isinstance(value, str):
            raise QuestionsError(f"{where}.options[{i}].value: must be quoted text, got {value!r}")
        options.append(_option(item, f"{where}.options[{i}]", value, allowed))
    values = [o.value for o in options]
    if sorted(values) != sorted(allowed):
        raise QuestionsError(f"{where}.options: must offer each allowed value once: {list(allowed)}, got {values}")
    finish = None
    if is_list:
        finish_value = fields["finish"].get("value") if isinstance(fields["finish"], Mapping) else None
        if not isinstance(finish_value, str) or not finish_value or finish_value in values:
            raise QuestionsError(f"{where}.finish.value: must be quoted text unlike any option value")
        finish = _option(fields["finish"], f"{where}.finish", finish_value, None)
    _check_phrases_unique([*options, *([finish] if finish else [])], where)
    citation = _citation(fields["sources"], f"{where}.sources", rubric) if "sources" in fields else None
    asked_when = None
    if "asked_when" in fields:
        try:
            asked_when = rubric.answer_condition(fields["asked_when"], f"{where}.asked_when")
        except ValueError as exc:
            raise QuestionsError(str(exc)) from exc
    return Question(
        key=key,
        slot=_text(fields["slot"], f"{where}.slot"),
        prompt=_text(fields["prompt"], f"{where}.prompt"),
        options=tuple(options),
        what_met=_text(fields["what_met"], f"{where}.what_met") if "what_met" in fields else None,
        source_citation=citation,
        asked_when=asked_when,
        finish=finish,
        ages=_ages(fields["ages"], f"{where}.ages", allowed) if "ages" in fields else None,
    )


def load_questions(path: Path, rubric: Rubric) -> QuestionSet:
    """Load questions.yml and check it against the rubric; raise QuestionsError if it does not fit."""
    raw = read_yaml(path, QuestionsError)
    # needs_options only holds the YAML anchor the needs questions share.
    top = _mapping(raw, str(path), ("review_date", "negations", "hedges", "unsure", "questions"), ("needs_options",))
    if not isinstance(top["review_date"], dt.date):
        raise QuestionsError(f"review_date: must be a date (YYYY-MM-DD), got {top['review_date']!r}")
    unsure = _mapping(top["unsure"], "unsure", _UNSURE_CODES)
    questions_raw = top["questions"]
    if not isinstance(questions_raw, list):
        raise QuestionsError("questions: must be a list")
    questions = tuple(_question(item, f"questions[{i}]", rubric) for i, item in enumerate(questions_raw))
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
        negations=_words(top["negations"], "negations"),
        hedges=_words(top["hedges"], "hedges"),
        unsure={code: _text(unsure[code], f"unsure.{code}") for code in _UNSURE_CODES},
    )


_DEFAULT_QUESTIONS_PATH = KNOWLEDGE_DIR / "triage" / "questions.yml"


def default_questions_path() -> Path:
    """knowledge/triage/questions.yml in this repository (resolved once: it was a fifth
    of the action server's time on a typed triage turn)."""
    return _DEFAULT_QUESTIONS_PATH


@functools.cache
def _cached_questions(path: Path) -> QuestionSet:
    return load_questions(path, default_rubric())


def default_questions() -> QuestionSet:
    """The repository's questions, checked against the default rubric, loaded once."""
    return _cached_questions(default_questions_path())


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
