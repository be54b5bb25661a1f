"""Reading a practitioner's own account of a child into triage answers.

"8 months, mum low and drinking, often hungry, house filthy, early help didn't
stick" holds an age band, two family factors, two needs domains with their
levels and how support went. `DescriptionReader.read` finds them, each with
the words that gave it, so that the bot can show them back for confirmation
(bot/triage_turn.py): nothing read here counts until the practitioner has seen it.

The vocabulary and the rules of caution are data (knowledge/triage/description.yml,
whose header explains them). The method, one clause at a time:

* the message is cut into clauses at punctuation and contrast words ("but"),
  and clauses into parts at "and"; a part that names a need but says no
  frequency borrows it from its neighbour in the same clause ("hungry and
  dirty most days");
* words are put in the form the triage's typed answers use (bot/triage_flow
  `phrase_tokens`), and a word that is not English but one typing slip from a
  word of the vocabulary is corrected ("hungery");
* phrases are matched on whole words and the longest wins ("home alone" is
  supervision, not the home); a negation, frequency or verdict word counts
  only outside the phrase it would otherwise belong to ("no food");
* a clause that hedges or asks is not read, and a key read two ways in one
  message is not read at all: the bot asks instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import validator

from bot.emergency import Matching, Speller
from bot.triage_flow import QuestionSet, phrase_tokens
from bot.schema import StrictModel, read_yaml

__all__ = ["DescriptionReader", "Reading", "default_reader", "LEVELS"]

NEEDS = "needs"
# Records one reading: key, value, the practitioner's words.
_Add = Callable[[str, "str | tuple[str, ...]", str], None]
FREQUENCIES = ("always", "often", "plenty", "sometimes", "rarely", "never")
LEVELS = ("met", "mostly_met", "mostly_unmet", "unmet")
_ASKING = re.compile(
    r"\s*(what|whats|how|who|where|when|why|which|should|could|would|can|do|does|is it|is this|"
    r"is that|are they|will)\b", re.IGNORECASE)
_JOINER_WORDS = re.compile(r"\s+(?:and|plus|also|&|as well as)\s+", re.IGNORECASE)
_CLAUSE_PUNCTUATION = re.compile(r"[.,;:!?\n()]+|\s[-–—]+\s|\s/\s")


class DescriptionError(ValueError):
    """knowledge/triage/description.yml is malformed."""


class _Domain(StrictModel):
    topics: list[str]
    problems: list[str]
    strong: list[str]
    goods: list[str]


class _Frequency(StrictModel):
    always: list[str]
    often: list[str]
    plenty: list[str]
    sometimes: list[str]
    rarely: list[str]
    never: list[str]


class _Verdicts(StrictModel):
    good: list[str]
    poor: list[str]


class _Age(StrictModel):
    unborn: list[str]
    under_1: list[str]
    band_1_4: list[str]
    band_5_11: list[str]
    band_12_17: list[str]
    school_years: dict[str, list[int]]
    school_year_words: list[str]
    duration_words: list[str]

    class Config:
        fields = {"band_1_4": "1_4", "band_5_11": "5_11", "band_12_17": "12_17"}


class _Numbered(StrictModel):
    recent: list[str]
    persistent: list[str]


class _Duration(StrictModel):
    single_episode: list[str]
    recent: list[str]
    persistent: list[str]
    numbered: _Numbered


class _Lexicon(StrictModel):
    review_date: date
    sources: list[str]
    clause_breaks: list[str]
    joiners: list[str]
    hedges: list[str]
    frequency: _Frequency
    negations: list[str]
    verdicts: _Verdicts
    parents: list[str]
    absence: list[str]
    neutral: list[str]
    parent_scoped: list[str]
    needs: dict[str, _Domain]
    factors: dict[str, list[str]]
    age: _Age
    disabled: dict[str, list[str]]
    duration: _Duration
    change: dict[str, list[str]]
    impact: dict[str, list[str]]
    immediate_danger: dict[str, list[str]]
    resume: list[str]
    corrections: list[str]
    reply_confirm: list[str]
    reply_change: list[str]
    labels: dict[str, str]
    worry: list[str]
    children: list[str]

    @validator("disabled", "immediate_danger")
    def _yes_no(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:  # noqa: N805 - pydantic
        if not set(value) <= {"yes", "no"}:
            raise ValueError(f"only 'yes' and 'no' may be read, got {sorted(value)}")
        return value


@dataclass(frozen=True)
class Reading:
    """One answer read from a description: the contract key ("needs.nutrition",
    "age_band", "factors", ...), its value (a tuple of factor ids for
    "factors") and the practitioner's words that gave it."""

    key: str
    value: str | tuple[str, ...]
    words: str


@dataclass(frozen=True)
class _Label:
    kind: str  # problem, strong, good, topic, verdict, freq, neg, hedge, parent, factor, scoped, age, ...
    value: str = ""
    domain: str = ""


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    label: _Label


@dataclass
class _Clause:
    """A clause of the message (cut at punctuation and contrast words): its words
    as the practitioner typed them, its tokens and what matched in them."""

    text: str
    tokens: tuple[str, ...]
    hits: list[_Hit] = field(default_factory=list)
    cuts: tuple[int, ...] = ()  # token positions where a joiner ("and") starts a new part


@dataclass(frozen=True)
class _Part:
    """A piece of a clause between joiners: the scope of a frequency or negation word."""

    clause: _Clause
    start: int
    end: int
    index: int = 0
    count: int = 1

    @property
    def words(self) -> str:
        """The practitioner's own words for this part: the piece of the clause between
        joiners when the typed text cuts the same way, else the whole clause."""
        pieces = _JOINER_WORDS.split(self.clause.text)
        return pieces[self.index].strip() if len(pieces) == self.count else self.clause.text

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.clause.tokens[self.start:self.end]

    def of(self, *kinds: str) -> list[_Hit]:
        return [h for h in self.clause.hits if h.label.kind in kinds and self.start <= h.start < self.end]

    def negated_before(self, position: int, reach: int = 4) -> bool:
        """A negation at most `reach` words before `position` ("does not seem to be hungry")."""
        return any(position - reach <= h.start < position for h in self.of("neg"))

    def frequency(self) -> str | None:
        found = {h.label.value for h in self.of("freq")}
        return next((f for f in FREQUENCIES if f in found), None)

    def parents_at(self, parents: frozenset[str]) -> list[int]:
        """Where a parent or carer is named ("mum"), also inside a longer phrase ("mum low")."""
        return [self.start + i for i, t in enumerate(self.tokens) if t in parents]

    def has_cue(self) -> bool:
        return bool(self.of("problem", "strong", "good", "topic"))


_IS = re.compile(r"(?<=[a-z])['’]s\b", re.IGNORECASE)


def _words(text: str) -> tuple[str, ...]:
    """`phrase_tokens`, with "'s" read as "is" ("food's fine", "mum's low", "dad's in prison")."""
    return phrase_tokens(_IS.sub(" is", text))


def _needs_level(kind: str, frequency: str | None, negated: bool, strong: bool) -> str:
    """The level a need is at, from the kind of cue and the words around it."""
    if kind == "problem":
        if negated or frequency == "never":
            return "met"
        if frequency == "always":
            return "unmet"
        if frequency == "plenty":
            return "mostly_unmet"
        if frequency in ("sometimes", "rarely"):
            return "mostly_unmet" if strong else "mostly_met"
        return "unmet" if strong else "mostly_unmet"
    # a sign of good care, or a topic with a good verdict
    if frequency == "never":
        return "unmet"
    if negated or frequency in ("sometimes", "rarely"):
        return "mostly_unmet"
    if frequency == "often":
        return "mostly_met"
    return "met"


class DescriptionReader:
    """Reads descriptions with one vocabulary; build once (`default_reader`) and share."""

    def __init__(self, lexicon: _Lexicon, questions: QuestionSet, english: frozenset[str]) -> None:
        self._lexicon = lexicon
        self._questions = questions
        self._phrases: dict[tuple[str, ...], list[_Label]] = {}
        self._add_vocabulary()
        self._longest = max(len(p) for p in self._phrases)
        vocabulary = Counter(t for phrase in self._phrases for t in phrase)
        self._speller = Speller(vocabulary, Matching({}, {}, 5, 8, english))
        self._year_words = frozenset(lexicon.age.school_year_words)
        self._parent_words = frozenset(t for p in lexicon.parents for t in _words(p) if len(_words(p)) == 1)
        self._school_years = {y: band for band, years in lexicon.age.school_years.items() for y in years}
        self._duration_words = frozenset(lexicon.age.duration_words)
        self._numbered = {
            unit: value
            for value in ("recent", "persistent")
            for unit in getattr(lexicon.duration.numbered, value)
        }

    @classmethod
    def from_files(cls, path: Path, questions: QuestionSet, english_words: Path) -> DescriptionReader:
        raw = read_yaml(path, DescriptionError)
        try:
            lexicon = _Lexicon.parse_obj(raw)
        except ValueError as exc:
            raise DescriptionError(f"{path}: {exc}") from exc
        _check_against(lexicon, questions, path)
        english = frozenset(
            line.strip() for line in english_words.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        )
        return cls(lexicon, questions, english)

    # --- vocabulary --------------------------------------------------------------

    def _add(self, phrases: Iterable[str], label: _Label) -> None:
        for phrase in phrases:
            tokens = _words(phrase)
            if tokens:
                labels = self._phrases.setdefault(tokens, [])
                if label not in labels:
                    labels.append(label)

    def _add_vocabulary(self) -> None:
        lex = self._lexicon
        for name in FREQUENCIES:
            self._add(getattr(lex.frequency, name), _Label("freq", name))
        self._add(lex.negations, _Label("neg"))
        self._add(lex.hedges, _Label("hedge"))
        self._add(lex.parents, _Label("parent"))
        self._add(lex.clause_breaks, _Label("break"))
        self._add(lex.joiners, _Label("join"))
        self._add(lex.absence, _Label("absence"))
        self._add(lex.neutral, _Label("neutral"))
        self._add(lex.verdicts.good, _Label("verdict", "good"))
        self._add(lex.verdicts.poor, _Label("verdict", "poor"))
        for domain, words in lex.needs.items():
            self._add(words.topics, _Label("topic", domain=domain))
            self._add(words.goods, _Label("good", domain=domain))
            self._add(words.problems, _Label("problem", domain=domain))
            self._add(words.strong, _Label("strong", domain=domain))
            for phrase in words.strong:  # a strong problem is only that
                labels = self._phrases.get(_words(phrase), [])
                if _Label("problem", domain=domain) in labels:
                    labels.remove(_Label("problem", domain=domain))
        factors = self._questions.get("factors")
        scoped = {_words(p) for p in lex.parent_scoped}
        for option in factors.options:
            for tokens in (*option.phrases, *(_words(p) for p in lex.factors.get(option.value, []))):
                kind = "scoped" if tokens in scoped else "factor"
                self._add([" ".join(tokens)], _Label(kind, option.value))
        for band, phrases in (("unborn", lex.age.unborn), ("under_1", lex.age.under_1),
                              ("1_4", lex.age.band_1_4), ("5_11", lex.age.band_5_11),
                              ("12_17", lex.age.band_12_17)):
            self._add(phrases, _Label("age", band))
        for value, phrases in lex.disabled.items():
            self._add(phrases, _Label("disabled", value))
        for value in ("single_episode", "recent", "persistent"):
            self._add(getattr(lex.duration, value), _Label("duration", value))
        for key in ("change", "impact", "immediate_danger"):
            for value, phrases in getattr(lex, key).items():
                self._add(phrases, _Label(key, value))
        self._add(lex.resume, _Label("resume"))
        self._add(lex.corrections, _Label("correction"))

    # --- reading -----------------------------------------------------------------

    def _tokens(self, text: str) -> tuple[str, ...]:
        return tuple(self._speller.correct(t) for t in _words(text))

    def _clauses(self, text: str) -> list[_Clause]:
        """The message as clauses, cut at punctuation and contrast words ("filthy but loved")."""
        clauses = []
        for chunk in _CLAUSE_PUNCTUATION.split(text):
            clause = _Clause(chunk.strip(), self._tokens(chunk))
            self._match(clause)
            clauses.extend(self._split(clause, "break"))
        return [c for c in clauses if c.tokens]

    def _split(self, clause: _Clause, kind: str) -> list[_Clause]:
        """Cut `clause` at its `kind` words (contrast words) that are not inside a longer phrase."""
        at = [h for h in clause.hits if h.label.kind == kind]
        if not at:
            return [clause]
        pieces, start = [], 0
        for hit in at + [_Hit(len(clause.tokens), len(clause.tokens), _Label(kind))]:
            tokens = clause.tokens[start:hit.start]
            if tokens:
                piece = _Clause(" ".join(tokens), tokens)
                self._match(piece)
                pieces.append(piece)
            start = hit.end
        for piece in pieces:  # shown back as the practitioner's own words
            piece.text = clause.text
        return pieces

    def _match(self, clause: _Clause) -> None:
        tokens = clause.tokens
        hits = [
            _Hit(i, i + size, label)
            for i in range(len(tokens))
            for size in range(1, min(self._longest, len(tokens) - i) + 1)
            for label in self._phrases.get(tokens[i:i + size], ())
        ]
        # The longest phrase wins; a shorter one inside it does not count.
        kept: list[_Hit] = []
        for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
            if any(k.start <= hit.start and hit.end <= k.end and (k.end - k.start) > (hit.end - hit.start)
                   for k in kept):
                continue
            kept.append(hit)
        clause.hits = sorted(kept, key=lambda h: h.start)
        clause.cuts = tuple(h.start for h in clause.hits if h.label.kind == "join")

    def _parts(self, clause: _Clause) -> list[_Part]:
        bounds = [0, *clause.cuts, len(clause.tokens)]
        spans = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        return [_Part(clause, a, b, i, len(spans)) for i, (a, b) in enumerate(spans)]

    def read(self, text: str, *, unborn: bool = False) -> list[Reading]:
        """Every answer `text` gives, with the words that gave it, in the order of the triage.

        `unborn`: the child is already known to be unborn (so "she's drinking" is the mother).
        """
        if not isinstance(text, str) or not text.strip():
            return []
        clauses = [c for c in self._clauses(text) if not self._unreadable(c)]
        found: dict[str, dict[str | tuple[str, ...], str]] = {}

        def add(key: str, value: str | tuple[str, ...], words: str) -> None:
            found.setdefault(key, {}).setdefault(value, words)

        ages = self._ages(clauses)
        for value, words in ages:
            add("age_band", value, words)
        expecting = unborn or any(v == "unborn" for v, _ in ages)
        parent_seen = False
        previous: _Clause | None = None
        for clause in clauses:
            parts = self._parts(clause)
            for index, part in enumerate(parts):
                parent_seen = parent_seen or bool(part.parents_at(self._parent_words))
                if not part.of("hedge"):  # "often dirty and I think maybe hungry": only the first
                    self._read_part(part, parts, index, expecting, parent_seen, add)
            self._read_needs_list(clause, previous, expecting, add)
            previous = clause
        return self._settle(found, expecting)

    def wants_to_resume(self, text: str) -> bool:
        """True for "carry on", "she's safe now, let's continue"."""
        return any(
            h.label.kind == "resume" and not any(n.label.kind == "neg" and n.start < h.start for n in c.hits)
            for c in self._clauses(text) for h in c.hits
        )

    def all_clear(self, text: str) -> bool:
        """True for a message saying the child is safe now or asking to carry on
        ("police are here and she's safe, carry on"): not a new alarm."""
        return self.wants_to_resume(text) or any(r.key == "immediate_danger" for r in self.read(text))

    def corrects(self, text: str) -> bool:
        """True for a message that corrects an earlier answer ("actually she's 2")."""
        return any(h.label.kind == "correction" for c in self._clauses(text) for h in c.hits)

    def reply_to_readings(self, text: str) -> str | None:
        """"confirm" or "change" when the whole message is one of those replies, else None."""
        said = " ".join(_words(text))
        for kind in ("confirm", "change"):
            if said in {" ".join(_words(p)) for p in getattr(self._lexicon, f"reply_{kind}")}:
                return kind
        return None

    def label(self, key: str) -> str:
        return self._lexicon.labels[key]

    def asks(self, text: str) -> bool:
        """True when any part of the message asks something ("..., which level is that?")."""
        return "?" in text or any(self._asks(c) for c in self._clauses(text))

    def is_case(self, text: str) -> bool:
        """True for a description of a child that asks nothing: two or more triage
        answers read from it ("7yo, always hungry, dad drinks")."""
        if self.asks(text):
            return False
        return sum(r.key not in ("immediate_danger",) for r in self.read(text)) >= 2

    def states_worry(self, text: str) -> bool:
        """True for "I'm worried about a boy in my class": a worry about a child, asking nothing."""
        if self.asks(text):
            return False
        said = f" {' '.join(_words(text))} "
        return any(f" {' '.join(_words(w))} " in said for w in self._lexicon.worry) and any(
            f" {' '.join(_words(c))} " in said for c in self._lexicon.children)

    @staticmethod
    def _asks(clause: _Clause) -> bool:
        return clause.text.rstrip().endswith("?") or bool(_ASKING.match(clause.text))

    def _unreadable(self, clause: _Clause) -> bool:
        """A clause that asks is not read (one that hedges is not read either: see `read`)."""
        return self._asks(clause)

    def _ages(self, clauses: list[_Clause]) -> list[tuple[str, str]]:
        ages: list[tuple[str, str]] = []
        rules = self._questions.get("age_band").ages
        assert rules is not None
        for clause in clauses:
            for part in self._parts(clause):
                if part.of("hedge"):
                    continue  # "possibly pregnant"
                phrased = [h.label.value for h in part.of("age") if not part.negated_before(h.start, reach=1)]
                ages += [(band, part.words) for band in phrased]
                if "unborn" in phrased:
                    continue  # "20 weeks pregnant": the weeks are the pregnancy's
                parents = part.parents_at(self._parent_words)
                tokens = part.tokens
                for i, token in enumerate(tokens):
                    number = int(token) if token.isdigit() else rules.number_words.get(token)
                    if number is None or any(p < part.start + i for p in parents):
                        continue  # "mum is 17": a parent's age
                    before = tokens[i - 1] if i else ""
                    if before in self._year_words and (i < 2 or tokens[i - 2] not in ("a", "for", "over")):
                        band = self._school_years.get(number)
                        if band:
                            ages.append((band, part.words))
                        continue
                    if any(t in self._duration_words for t in tokens[max(0, i - 2):i]):
                        continue  # "for 3 months": how long, not how old
                    if before == "not":
                        continue  # "she's 2, not 8 months"
                    after = tokens[i + 1] if i + 1 < len(tokens) else ""
                    unit = rules.units.get(after)
                    # "7yo" says "year old" in its unit
                    old = after == "yo" or any(t in rules.after_words for t in tokens[i + 1:i + 3])
                    led = before in rules.lead_words
                    if unit is None and not (led and (i + 1 == len(tokens) or after in ("and", "half"))):
                        continue
                    if unit is not None and not (old or led or i == 0 or before in ("a", "an", "my", "our")):
                        continue
                    band = rules.band_for(number // rules.per_year[unit or "year"])
                    if band:
                        ages.append((band, part.words))
        return ages

    def _read_part(self, part: _Part, parts: list[_Part], index: int, expecting: bool,
                   parent_seen: bool, add: _Add) -> None:
        words = part.words
        parent_at = part.parents_at(self._parent_words)
        for hit in part.of("factor", "scoped"):
            if part.negated_before(hit.start):
                continue
            if hit.label.kind == "scoped" and not (parent_seen or expecting):
                continue
            add("factors", hit.label.value, words)
            if expecting and hit.label.value == "substance_misuse":
                # Alcohol or drugs in pregnancy is also the unborn baby's need not met.
                add(f"{NEEDS}.prenatal", _needs_level("problem", part.frequency(), False, False), words)
        for hit in part.of("disabled"):
            if any(p < hit.start for p in parent_at):
                if hit.label.value == "yes" and part.clause.tokens[hit.start] == "learning":
                    add("factors", "parental_learning_disability", words)
                continue
            if hit.label.value == "yes" and part.negated_before(hit.start):
                continue
            add("disabled", hit.label.value, words)
        for key in ("duration", "change", "immediate_danger"):
            for hit in part.of(key):
                # "no, he's not in any danger": only a negation just before counts there
                if not part.negated_before(hit.start, reach=1 if key == "immediate_danger" else 4):
                    add(key, hit.label.value, words)
        self._numbered_duration(part, add)
        for hit in part.of("impact"):
            if not part.negated_before(hit.start) and not any(p < hit.start for p in parent_at):
                add("impact", hit.label.value, words)
        self._read_needs(part, parts, index, add)

    def _numbered_duration(self, part: _Part, add: _Add) -> None:
        tokens = part.tokens
        for i, token in enumerate(tokens[:-1]):
            if not token.isdigit() and token not in ("a", "few", "couple", "several", "many"):
                continue
            if not any(t in self._duration_words for t in tokens[max(0, i - 2):i]):
                continue
            value = self._numbered.get(tokens[i + 1])
            if value:
                add("duration", value, part.words)

    def _read_needs(self, part: _Part, parts: list[_Part], index: int, add: _Add) -> None:
        cues = part.of("problem", "strong", "good")
        topics = part.of("topic")
        if not cues and not topics:
            return
        frequency = part.frequency()
        verdicts = part.of("verdict")
        neighbours = [parts[j] for j in (index - 1, index + 1) if 0 <= j < len(parts)]
        if frequency is None:
            frequency = next((n.frequency() for n in neighbours if n.frequency() and not n.has_cue()), None)
        if not verdicts:
            verdicts = next((n.of("verdict") for n in neighbours if n.of("verdict") and not n.has_cue()), [])
        by_domain: dict[str, set[str]] = {}
        problems: dict[str, set[str]] = {}
        for hit in cues:
            kind = "good" if hit.label.kind == "good" else "problem"
            negated = part.negated_before(hit.start)
            level = _needs_level(kind, frequency, negated, hit.label.kind == "strong")
            if kind == "problem" and not negated:
                problems.setdefault(hit.label.domain, set()).add(level)
            else:
                by_domain.setdefault(hit.label.domain, set()).add(level)
        for domain, levels in problems.items():
            # Two problems in one breath ("filthy, with dog mess"): the worse one counts.
            by_domain.setdefault(domain, set()).add(min(levels, key=LEVELS.index))
        for hit in topics:
            if hit.label.domain in by_domain:
                continue
            read = self._topic_level(part, hit, verdicts, frequency)
            if read:
                by_domain.setdefault(hit.label.domain, set()).add(read)
        for domain, levels in by_domain.items():
            for level in levels:
                add(f"{NEEDS}.{domain}", level, part.words)

    def _topic_level(self, part: _Part, topic: _Hit, verdicts: list[_Hit], frequency: str | None) -> str | None:
        """A topic's level from a verdict ("food is fine") or an absence ("no lunch", "misses tea")."""
        if verdicts:
            verdict = verdicts[0]
            negated = part.negated_before(verdict.start) and verdict.start > topic.start
            kind = "good" if verdict.label.value == "good" else "problem"
            return _needs_level(kind, frequency, negated, False)
        absent = [h for h in part.of("absence", "neg") if topic.start - 5 <= h.start < topic.start]
        if not absent:
            return None
        # "hasn't been to any antenatal appointments": none at all
        strong = "any" in part.clause.tokens[absent[0].start:topic.start]
        return _needs_level("problem", frequency, False, strong)

    def _read_needs_list(self, clause: _Clause, previous: _Clause | None, expecting: bool, add: _Add) -> None:
        """"no concerns about food, clothes or school": a clause of topics only takes
        the verdict of the clause before it."""
        kinds = {h.label.kind for h in clause.hits}
        if previous is None or not kinds or not kinds <= {"topic", "join"}:
            return
        verdicts = [h for h in previous.hits if h.label.kind == "verdict"]
        if not verdicts or not any(h.label.kind == "topic" for h in previous.hits):
            return
        part = self._parts(previous)[0]
        frequency = part.frequency()
        for hit in clause.hits:
            if hit.label.kind == "topic":
                kind = "good" if verdicts[0].label.value == "good" else "problem"
                add(f"{NEEDS}.{hit.label.domain}", _needs_level(kind, frequency, False, False),
                    f"{previous.text}, {clause.text}")

    def _settle(self, found: Mapping[str, Mapping[str | tuple[str, ...], str]], expecting: bool) -> list[Reading]:
        """One reading per key, in the triage's order; a key read two ways is dropped.

        In a pregnancy only the prenatal need is read, and only then; an option
        that outranks another (questions.yml: "improved, then slipped back"
        outranks "improving") wins over it.
        """
        order = [q.key for q in self._questions.questions]
        readings = []
        for key in sorted(found, key=lambda k: order.index(k) if k in order else len(order)):
            if key.startswith(f"{NEEDS}.") and (key == f"{NEEDS}.prenatal") != expecting:
                continue
            values = dict(found[key])
            if key in order and key != "factors":
                for option in self._questions.get(key).options:
                    if option.value in values:
                        for lower in option.outranks:
                            values.pop(lower, None)
            if key == "factors":
                ids = tuple(o.value for o in self._questions.get("factors").options if o.value in values)
                readings.append(Reading(key, ids, "; ".join(dict.fromkeys(values[v] for v in ids))))
            elif len(values) == 1:
                value, words = next(iter(values.items()))
                readings.append(Reading(key, value, words))
        return readings


def _check_against(lexicon: _Lexicon, questions: QuestionSet, path: Path) -> None:
    """Every domain, factor and value named in the vocabulary is one the triage asks about."""
    domains = {q.domain for q in questions.questions if q.domain}
    if set(lexicon.needs) != domains:
        raise DescriptionError(f"{path}: needs: must name each domain once: {sorted(domains)}")
    for key, named in (("factors", lexicon.factors), ("change", lexicon.change), ("impact", lexicon.impact)):
        allowed = {o.value for o in questions.get(key).options}
        unknown = set(named) - allowed
        if unknown:
            raise DescriptionError(f"{path}: {key}: unknown values {sorted(unknown)}")
    keys = {q.key for q in questions.questions}
    if set(lexicon.labels) != keys:
        raise DescriptionError(f"{path}: labels: must name each question's key once: {sorted(keys)}")
    bands = set(lexicon.age.school_years)
    if not bands <= {o.value for o in questions.get("age_band").options}:
        raise DescriptionError(f"{path}: age.school_years: unknown age bands {sorted(bands)}")


def default_reader() -> DescriptionReader:
    """The repository's reader (bot/knowledge/snapshot.py), built once."""
    from bot.knowledge.snapshot import snapshot

    return snapshot().reader
