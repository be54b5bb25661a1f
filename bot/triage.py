"""The "am I worried?" triage engine: the rubric in knowledge/triage/rubric.yml, evaluated.

The rubric is content a partnership reviews and may tune, so its rules, counts,
thresholds and wording are data. This module only knows the public contract of
spec/triage.md (the answer keys and their values, the levels 1-4) and a tiny
condition language; `load_rubric` checks the file against both, and `assess`
evaluates it. It supports, and never replaces, professional judgement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, StrictBool, ValidationError, validator

from bot.knowledge import files
from bot.knowledge.loader import KnowledgeError, read_levels, source_of
from bot.knowledge.models import Document, Level, Source, cite
from bot.paths import KNOWLEDGE_DIR
from bot.schema import Day, Line, StrictModel, Text, non_empty, problems, read_yaml

__all__ = [
    "AnswerError",
    "Assessment",
    "Condition",
    "EvalContext",
    "Reason",
    "Rubric",
    "RubricError",
    "assess",
    "default_rubric",
    "load_rubric",
]


class RubricError(ValueError):
    """The rubric file does not match the spec's contract or the condition language."""


class AnswerError(ValueError):
    """An answer is not one the spec allows; `key` names the offending answer key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key


# The public contract of spec/triage.md. The rubric must declare exactly these;
# the Rasa slots, the questions and other engineers' code rely on them.
LEVELS: Final = (1, 2, 3, 4)
NEEDS: Final = "needs"
FACTORS: Final = "factors"
_CONTRACT: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = {
    "immediate_danger": ("choice", ("yes", "no")),
    "age_band": ("choice", ("unborn", "under_1", "1_4", "5_11", "12_17")),
    "disabled": ("choice", ("yes", "no", "unknown")),
    NEEDS: ("domains", ("met", "mostly_met", "mostly_unmet", "unmet", "unknown")),
    FACTORS: (
        "set",
        (
            "domestic_abuse",
            "substance_misuse",
            "parental_mental_health",
            "parental_learning_disability",
            "poverty_or_housing",
            "known_history",
            "social_isolation",
            "parental_adverse_childhood",
            "criminality",
            "transient_lifestyle",
        ),
    ),
    "duration": ("choice", ("single_episode", "recent", "persistent", "unknown")),
    "change": ("choice", ("no_support_yet", "improving", "not_sustained", "not_engaging", "unknown")),
    "impact": ("choice", ("none", "some", "significant", "unknown")),
}
_CONTRACT_DOMAINS: Final = (
    "nutrition",
    "physical_care",
    "health",
    "supervision",
    "emotional",
    "education",
    "prenatal",
)


# --- The condition language ---------------------------------------------------


@dataclass(frozen=True)
class EvalContext:
    """What a condition can see: normalised answers, the counts, and (for notes) the level."""

    answers: Mapping[str, Any]
    counts: Mapping[str, int | bool]
    level: int | None = None


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def holds(self, ctx: EvalContext) -> bool:
        return all(part.holds(ctx) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def holds(self, ctx: EvalContext) -> bool:
        return any(part.holds(ctx) for part in self.parts)


@dataclass(frozen=True)
class Not:
    part: Condition

    def holds(self, ctx: EvalContext) -> bool:
        return not self.part.holds(ctx)


@dataclass(frozen=True)
class AnswerIn:
    """`{answer: k, eq: v}` and `{answer: k, in: [...]}`; an absent answer never matches."""

    key: str
    values: frozenset[str]

    def holds(self, ctx: EvalContext) -> bool:
        return ctx.answers.get(self.key) in self.values


@dataclass(frozen=True)
class AnswerContains:
    key: str
    value: str

    def holds(self, ctx: EvalContext) -> bool:
        return self.value in ctx.answers.get(self.key, ())


@dataclass(frozen=True)
class CountAtLeast:
    name: str
    threshold: int

    def holds(self, ctx: EvalContext) -> bool:
        return ctx.counts[self.name] >= self.threshold


@dataclass(frozen=True)
class CountIs:
    name: str
    flag: bool

    def holds(self, ctx: EvalContext) -> bool:
        return ctx.counts[self.name] is self.flag


@dataclass(frozen=True)
class LevelAtLeast:
    threshold: int

    def holds(self, ctx: EvalContext) -> bool:
        return ctx.level is not None and ctx.level >= self.threshold


Condition = AllOf | AnyOf | Not | AnswerIn | AnswerContains | CountAtLeast | CountIs | LevelAtLeast

_SUBJECTS: Final = ("answer", "count", "result")
_OPERATORS: Final = ("eq", "in", "contains", "gte")
CountKind = Literal["number", "flag"]


@dataclass(frozen=True)
class _Scope:
    """What a condition may refer to where it appears (counts, the result level)."""

    answers: Mapping[str, AnswerSpec]
    counts: Mapping[str, CountKind]
    allow_result: bool


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _compile(raw: Any, where: str, scope: _Scope) -> Condition:
    if not isinstance(raw, Mapping) or not raw:
        raise RubricError(f"{where}: a condition must be a non-empty mapping, got {raw!r}")
    if len(raw) == 1 and ("all" in raw or "any" in raw):
        word = next(iter(raw))
        items = raw[word]
        if not isinstance(items, list) or not items:
            raise RubricError(f"{where}.{word}: must be a non-empty list of conditions")
        parts = tuple(_compile(item, f"{where}.{word}[{i}]", scope) for i, item in enumerate(items))
        return AllOf(parts) if word == "all" else AnyOf(parts)
    if len(raw) == 1 and "not" in raw:
        return Not(_compile(raw["not"], f"{where}.not", scope))
    unknown = [k for k in raw if k not in _SUBJECTS and k not in _OPERATORS]
    if unknown:
        raise RubricError(f"{where}: unknown word(s) {unknown} in condition {dict(raw)!r}")
    subjects = [k for k in raw if k in _SUBJECTS]
    operators = [k for k in raw if k in _OPERATORS]
    if len(subjects) != 1 or len(operators) != 1:
        raise RubricError(
            f"{where}: a condition needs exactly one of {list(_SUBJECTS)} and one of "
            f"{list(_OPERATORS)} (or all/any/not), got {dict(raw)!r}"
        )
    subject, op = subjects[0], operators[0]
    name, operand = raw[subject], raw[op]
    if subject == "answer":
        return _compile_answer(name, op, operand, where, scope)
    if subject == "count":
        return _compile_count(name, op, operand, where, scope)
    if name != "level" or not scope.allow_result:
        raise RubricError(f"{where}: only notes may use {{result: level}}, got {dict(raw)!r}")
    if op != "gte" or not _is_int(operand) or operand not in LEVELS:
        raise RubricError(f"{where}: result level takes gte with a level in {LEVELS}")
    return LevelAtLeast(operand)


def _compile_answer(key: Any, op: str, operand: Any, where: str, scope: _Scope) -> Condition:
    spec = scope.answers.get(key) if isinstance(key, str) else None
    if spec is None or spec.kind == "domains":
        raise RubricError(
            f"{where}: unknown answer key {key!r} (needs are tested through counts); "
            f"expected one of {[k for k, s in scope.answers.items() if s.kind != 'domains']}"
        )
    wanted = ("contains",) if spec.kind == "set" else ("eq", "in")
    if op not in wanted:
        raise RubricError(f"{where}: answer {key!r} takes {' or '.join(wanted)}, not {op}")
    values = operand if op == "in" else [operand]
    if not isinstance(values, list) or not values:
        raise RubricError(f"{where}: 'in' needs a non-empty list of values for {key!r}")
    for value in values:
        if not isinstance(value, str) or value not in spec.values:
            raise RubricError(
                f"{where}: {value!r} is not an allowed value of {key!r}; expected one of {list(spec.values)}"
            )
    if op == "contains":
        return AnswerContains(key, operand)
    return AnswerIn(key, frozenset(values))


def _compile_count(name: Any, op: str, operand: Any, where: str, scope: _Scope) -> Condition:
    kind = scope.counts.get(name) if isinstance(name, str) else None
    if kind is None:
        raise RubricError(f"{where}: unknown count {name!r}; expected one of {list(scope.counts)}")
    if kind == "number":
        if op != "gte" or not _is_int(operand) or operand < 0:
            raise RubricError(f"{where}: count {name!r} is a number: use gte with a whole number >= 0")
        return CountAtLeast(name, operand)
    if op != "eq" or not isinstance(operand, bool):
        raise RubricError(f"{where}: count {name!r} is yes/no: use eq: true or eq: false")
    return CountIs(name, operand)


# --- The rubric -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerSpec:
    key: str
    kind: str
    values: tuple[str, ...]
    domains: Mapping[str, Condition | None]


@dataclass(frozen=True)
class DomainCount:
    """How many needs domains were answered with one of `values`."""

    values: frozenset[str]
    kind: CountKind = "number"

    def value(self, answers: Mapping[str, Any]) -> int | bool:
        return sum(1 for v in answers.get(NEEDS, {}).values() if v in self.values)


@dataclass(frozen=True)
class DistinctCount:
    """How many distinct items a list answer holds."""

    key: str
    kind: CountKind = "number"

    def value(self, answers: Mapping[str, Any]) -> int | bool:
        return len(set(answers.get(self.key, ())))


@dataclass(frozen=True)
class AnswersEqualCount:
    """How many answers equal `target`, each needs domain counted as one answer."""

    target: str
    kind: CountKind = "number"

    def value(self, answers: Mapping[str, Any]) -> int | bool:
        scalars = sum(1 for k, v in answers.items() if k not in (NEEDS, FACTORS) and v == self.target)
        return scalars + sum(1 for v in answers.get(NEEDS, {}).values() if v == self.target)


@dataclass(frozen=True)
class FlagCount:
    """A yes/no count defined by a condition on the answers."""

    condition: Condition
    kind: CountKind = "flag"

    def value(self, answers: Mapping[str, Any]) -> int | bool:
        return self.condition.holds(EvalContext(answers, {}))


CountDef = DomainCount | DistinctCount | AnswersEqualCount | FlagCount


@dataclass(frozen=True)
class Rule:
    id: str
    level: int
    emergency: bool
    when: Condition
    reason: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Note:
    id: str
    when: Condition
    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Rubric:
    """A validated rubric. Build it with `load_rubric`; it is read-only.

    Its documents are those of knowledge/sources.yml and its levels (names and
    next steps) those of knowledge/levels.yml: the rubric holds only the rules.
    """

    review_date: dt.date
    documents: Mapping[str, Document]
    disclaimer: str
    disclaimer_sources: tuple[Source, ...]
    default_level: int
    levels: Mapping[int, Level]
    emergency_step: str
    emergency_sources: tuple[Source, ...]
    answers: Mapping[str, AnswerSpec]
    counts: Mapping[str, CountDef]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]

    def sources(
        self, refs: Sequence[files.DocRef], where: str, error: type[ValueError] = RubricError
    ) -> tuple[Source, ...]:
        """The sources a list of {doc, section} names; a document not in sources.yml raises `error`."""
        return _sources(refs, self.documents, where, error)

    def answer_condition(self, raw: Any, where: str) -> Condition:
        """Compile a condition that may only look at answers (used by the questions file)."""
        return _compile(raw, where, _Scope(self.answers, {}, allow_result=False))

    def domain_applies(self, domain: str, answers: Mapping[str, Any]) -> bool:
        """Whether a needs domain may be asked/answered, given the (normalised) answers so far."""
        condition = self.answers[NEEDS].domains[domain]
        return condition is None or condition.holds(EvalContext(answers, {}))

    def normalise(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Check answers against the rubric and return a clean copy; raise AnswerError naming the key.

        A key that was not asked must be absent: None is refused rather than read as "not asked",
        so a bug upstream cannot quietly drop an answer. A needs domain must fit the child
        (answers.needs.domains.*.asked_when: prenatal only when age_band is "unborn", the other
        six never for an unborn baby). Factors are de-duplicated and put in the rubric's order.
        """
        if not isinstance(answers, Mapping):
            raise AnswerError("answers", f"must be a mapping of answer keys to values, got {type(answers).__name__}")
        out: dict[str, Any] = {}
        for key, value in answers.items():
            spec = self.answers.get(key) if isinstance(key, str) else None
            if spec is None:
                raise AnswerError(str(key), f"unknown answer key; expected one of {list(self.answers)}")
            if spec.kind == "choice":
                out[key] = _checked_value(key, value, spec.values)
            elif spec.kind == "set":
                out[key] = _checked_set(key, value, spec.values)
            else:
                out[key] = _checked_domains(key, value, spec)
        for domain in out.get(NEEDS, {}):
            if not self.domain_applies(domain, out):
                raise AnswerError(
                    f"{NEEDS}.{domain}",
                    f"not asked for this child (age_band {out.get('age_band', 'not given')!r}); "
                    f"see answers.needs.domains.{domain}.asked_when in the rubric",
                )
        return out


def _checked_value(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value is None:
        raise AnswerError(key, "no value: leave the key out if the question was not asked")
    if isinstance(value, bool):
        raise AnswerError(key, f"got the boolean {value!r} (unquoted yes/no in YAML?); expected one of {list(allowed)}")
    if not isinstance(value, str):
        raise AnswerError(key, f"expected text, got {type(value).__name__} {value!r}; expected one of {list(allowed)}")
    if value not in allowed:
        raise AnswerError(key, f"unknown value {value!r}; expected one of {list(allowed)}")
    return value


def _checked_set(key: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    if not isinstance(value, list | tuple):
        raise AnswerError(key, f"must be a list, got {type(value).__name__} {value!r}")
    chosen = {_checked_value(key, item, allowed) for item in value}
    return [item for item in allowed if item in chosen]


def _checked_domains(key: str, value: Any, spec: AnswerSpec) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise AnswerError(key, f"must be a mapping of domain to value, got {type(value).__name__}")
    out: dict[str, str] = {}
    for domain, answer in value.items():
        if not isinstance(domain, str) or domain not in spec.domains:
            raise AnswerError(f"{key}.{domain}", f"unknown needs domain; expected one of {list(spec.domains)}")
        out[domain] = _checked_value(f"{key}.{domain}", answer, spec.values)
    return out


# --- Loading and validating -------------------------------------------------------


class _Cited(StrictModel):
    sources: list[files.DocRef]

    _given = non_empty("sources")


class _Disclaimer(_Cited):
    text: Line


class _EmergencyStep(_Cited):
    next_step: Line


class _Domain(StrictModel):
    asked_when: Any = None


class _Answer(StrictModel):
    kind: str
    values: list[str]
    domains: dict[str, _Domain | None] | None = None


class _Rule(_Cited):
    id: Text
    level: int
    emergency: StrictBool = False
    when: Any = Field(...)
    reason: Line

    @validator("level", pre=True)
    def _a_level(cls, value: Any) -> int:  # noqa: N805 - pydantic
        if not _is_int(value) or value not in LEVELS:
            raise ValueError(f"must be one of {LEVELS}, got {value!r}")
        return int(value)


class _Note(_Cited):
    id: Text
    when: Any = Field(...)
    text: Line


class RubricFile(StrictModel):
    """knowledge/triage/rubric.yml as written; `load_rubric` compiles its conditions."""

    review_date: Day
    disclaimer: _Disclaimer
    default_level: int
    emergency: _EmergencyStep
    answers: dict[str, _Answer]
    counts: dict[str, Any]
    rules: list[_Rule]
    notes: list[_Note]

    _given = non_empty("rules")

    @validator("default_level", pre=True)
    def _lowest(cls, value: Any) -> int:  # noqa: N805 - pydantic
        if value != min(LEVELS) or not _is_int(value):
            raise ValueError(f"must be {min(LEVELS)} (nothing fired), got {value!r}")
        return int(value)


def _sources(
    refs: Sequence[files.DocRef], documents: Mapping[str, Document], where: str, error: type[ValueError]
) -> tuple[Source, ...]:
    """{doc, section} references as the one Source type, titled from sources.yml."""
    out = []
    for i, ref in enumerate(refs):
        document = documents.get(ref.doc)
        if document is None:
            raise error(f"{where}[{i}]: unknown source {ref.doc!r}: not in sources.yml")
        out.append(source_of(ref, documents))
    return tuple(out)


def _load_answers(raw: Mapping[str, _Answer]) -> dict[str, AnswerSpec]:
    missing = [k for k in _CONTRACT if k not in raw]
    unknown = [k for k in raw if k not in _CONTRACT]
    if missing:
        raise RubricError(f"answers: missing answer key(s) {missing} required by the spec")
    if unknown:
        raise RubricError(f"answers: unknown answer key(s) {unknown}; the spec's keys are {list(_CONTRACT)}")
    specs: dict[str, AnswerSpec] = {}
    for key, (kind, contract_values) in _CONTRACT.items():
        where = f"answers.{key}"
        spec = raw[key]
        if spec.kind != kind:
            raise RubricError(f"{where}.kind: must be {kind!r} per the spec, got {spec.kind!r}")
        if (spec.domains is not None) != (kind == "domains"):
            raise RubricError(f"{where}.domains: only the {NEEDS!r} answer has domains")
        values = spec.values
        if len(set(values)) != len(values):
            raise RubricError(f"{where}.values: duplicate value in {values!r}")
        extra = [v for v in values if v not in contract_values]
        absent = [v for v in contract_values if v not in values]
        if extra:
            raise RubricError(f"{where}.values: unknown value(s) {extra}; the spec allows {list(contract_values)}")
        if absent:
            raise RubricError(f"{where}.values: missing value(s) {absent} required by the spec")
        specs[key] = AnswerSpec(key, kind, tuple(values), {})
    # Domains are compiled once every scalar answer is known, since asked_when refers to them.
    domains_raw = raw[NEEDS].domains or {}
    missing = [d for d in _CONTRACT_DOMAINS if d not in domains_raw]
    unknown = [d for d in domains_raw if d not in _CONTRACT_DOMAINS]
    if missing or unknown:
        raise RubricError(
            f"answers.{NEEDS}.domains: missing {missing}, unknown {unknown}; the spec's domains are "
            f"{list(_CONTRACT_DOMAINS)}"
        )
    scope = _Scope(specs, {}, allow_result=False)
    domains: dict[str, Condition | None] = {}
    for domain, entry in domains_raw.items():
        where = f"answers.{NEEDS}.domains.{domain}"
        if entry is None:
            domains[domain] = None
            continue
        asked_when = entry.asked_when
        domains[domain] = None if asked_when is None else _compile(asked_when, f"{where}.asked_when", scope)
    needs = specs[NEEDS]
    specs[NEEDS] = AnswerSpec(NEEDS, needs.kind, needs.values, domains)
    return specs


def _load_counts(raw: Mapping[str, Any], answers: Mapping[str, AnswerSpec]) -> dict[str, CountDef]:
    if not raw:
        raise RubricError("counts: must map count names to a definition")
    kinds = ("count_domains_in", "count_distinct", "count_answers_equal", "holds")
    answer_scope = _Scope(answers, {}, allow_result=False)
    all_values = {v for spec in answers.values() for v in spec.values}
    out: dict[str, CountDef] = {}
    for name, entry in raw.items():
        where = f"counts.{name}"
        if not isinstance(entry, Mapping) or len(entry) != 1 or next(iter(entry)) not in kinds:
            raise RubricError(f"{where}: must be exactly one of {list(kinds)}, got {entry!r}")
        kind, arg = next(iter(entry.items()))
        if kind == "count_domains_in":
            if not isinstance(arg, list) or not arg or any(v not in answers[NEEDS].values for v in arg):
                raise RubricError(f"{where}: count_domains_in needs needs values from {list(answers[NEEDS].values)}")
            out[str(name)] = DomainCount(frozenset(arg))
        elif kind == "count_distinct":
            if arg not in answers or answers[arg].kind != "set":
                raise RubricError(f"{where}: count_distinct needs a list answer key, got {arg!r}")
            out[str(name)] = DistinctCount(arg)
        elif kind == "count_answers_equal":
            if arg not in all_values:
                raise RubricError(f"{where}: {arg!r} is not an allowed value of any answer")
            out[str(name)] = AnswersEqualCount(arg)
        else:
            out[str(name)] = FlagCount(_compile(arg, f"{where}.holds", answer_scope))
    return out


def _load_rules(raw: list[_Rule], scope: _Scope, documents: Mapping[str, Document]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for i, entry in enumerate(raw):
        where = f"rules[{i}] ({entry.id})"
        if any(rule.id == entry.id for rule in rules):
            raise RubricError(f"{where}: duplicate rule id {entry.id!r}")
        if entry.emergency and entry.level != max(LEVELS):
            raise RubricError(f"{where}: an emergency rule must be level {max(LEVELS)}")
        rules.append(
            Rule(
                entry.id,
                entry.level,
                entry.emergency,
                _compile(entry.when, f"{where}.when", scope),
                entry.reason,
                _sources(entry.sources, documents, f"{where}.sources", RubricError),
            )
        )
    return tuple(rules)


def _load_notes(raw: list[_Note], scope: _Scope, documents: Mapping[str, Document]) -> tuple[Note, ...]:
    notes: list[Note] = []
    for i, entry in enumerate(raw):
        where = f"notes[{i}] ({entry.id})"
        if any(note.id == entry.id for note in notes):
            raise RubricError(f"{where}: duplicate note id {entry.id!r}")
        notes.append(
            Note(
                entry.id,
                _compile(entry.when, f"{where}.when", scope),
                entry.text,
                _sources(entry.sources, documents, f"{where}.sources", RubricError),
            )
        )
    return tuple(notes)


def load_rubric(path: Path, knowledge_dir: Path = KNOWLEDGE_DIR) -> Rubric:
    """Load and validate a rubric file, with the documents and levels of `knowledge_dir`;
    raise RubricError saying exactly what is wrong."""
    try:
        top = RubricFile.parse_obj(read_yaml(path, RubricError))
    except ValidationError as error:
        raise RubricError(f"{path.name}: " + "; ".join(problems(error))) from None
    try:
        documents, levels = read_levels(knowledge_dir)
    except KnowledgeError as error:
        raise RubricError(f"{path.name}: the sources and levels it relies on do not load: {error}") from None
    if sorted(levels) != list(LEVELS):
        raise RubricError(f"{path.name}: levels.yml must define the levels {LEVELS}, got {sorted(levels)}")
    answers = _load_answers(top.answers)
    counts = _load_counts(top.counts, answers)
    count_kinds = {name: count.kind for name, count in counts.items()}
    return Rubric(
        review_date=top.review_date,
        documents=documents,
        disclaimer=top.disclaimer.text,
        disclaimer_sources=_sources(top.disclaimer.sources, documents, "disclaimer.sources", RubricError),
        default_level=top.default_level,
        levels=levels,
        emergency_step=top.emergency.next_step,
        emergency_sources=_sources(top.emergency.sources, documents, "emergency.sources", RubricError),
        answers=answers,
        counts=counts,
        rules=_load_rules(top.rules, _Scope(answers, count_kinds, allow_result=False), documents),
        notes=_load_notes(top.notes, _Scope(answers, count_kinds, allow_result=True), documents),
    )


def default_rubric() -> Rubric:
    """The repository's rubric (bot/knowledge/snapshot.py), loaded on first use and then reused."""
    from bot.knowledge.snapshot import snapshot

    return snapshot().rubric


# --- Assessing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a rule fired, in plain English, with the documents it comes from."""

    rule_id: str
    level: int
    text: str
    source_citation: str


@dataclass(frozen=True)
class Assessment:
    """The result contract of spec/triage.md, plus what the practitioner is shown."""

    level: int
    emergency: bool
    fired: list[str]
    notes: list[str]
    level_name: str
    reasons: list[Reason]
    note_texts: list[tuple[str, str]]
    answers: dict[str, Any]
    next_step: str
    next_step_citation: str
    disclaimer: str


def assess(answers: Mapping[str, Any], rubric: Rubric | None = None) -> Assessment:
    """Map a practitioner's answers to a continuum-of-need level, showing why.

    Every rule is evaluated; the level is the highest that fires (the default level if
    none does), and the result is an emergency when an emergency rule fired.
    Raises AnswerError, naming the key, for any answer the spec does not allow.
    """
    rubric = rubric if rubric is not None else default_rubric()
    clean = rubric.normalise(answers)
    counts = {name: count.value(clean) for name, count in rubric.counts.items()}
    context = EvalContext(clean, counts)
    fired = [rule for rule in rubric.rules if rule.when.holds(context)]
    level = max([rubric.default_level, *(rule.level for rule in fired)])
    emergency = any(rule.emergency for rule in fired)
    note_context = EvalContext(clean, counts, level)
    notes = sorted((note for note in rubric.notes if note.when.holds(note_context)), key=lambda note: note.id)
    order = {rule.id: index for index, rule in enumerate(rubric.rules)}
    ranked = sorted(fired, key=lambda rule: (-rule.level, not rule.emergency, order[rule.id]))
    step = rubric.levels[level]
    return Assessment(
        level=level,
        emergency=emergency,
        fired=sorted(rule.id for rule in fired),
        notes=[note.id for note in notes],
        level_name=step.name,
        reasons=[Reason(rule.id, rule.level, rule.reason, cite(rule.sources)) for rule in ranked],
        note_texts=[(note.id, note.text) for note in notes],
        answers=clean,
        next_step=rubric.emergency_step if emergency else " ".join(s.text for s in step.next_steps),
        next_step_citation=cite(rubric.emergency_sources if emergency else tuple(
            source for s in step.next_steps for source in s.sources)),
        disclaimer=rubric.disclaimer,
    )
