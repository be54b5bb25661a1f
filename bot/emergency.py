"""A deterministic safety net for messages that signal a child in immediate danger.

The statistical NLU can misclassify "the baby isn't breathing"; this cannot.
Every message is checked against the phrases in
knowledge/safety/emergency_signals.yml; a match means the assistant gives the
emergency route (999) at once, whatever the conversation was doing.

Before matching, a message is put in a canonical form, all of it driven by the
YAML file (`matching`):

* redaction placeholders ("[name]", "[date]", "[school]") are dropped or
  replaced by a plain word, so that one inside a phrase cannot hide it ("not
  [name] in danger", "left on her own after [school]");
* the text is lower-cased with contractions spelled out, with or without their
  apostrophe ("can't" and "cant" -> "can not"), and text-speak expanded
  ("pls" -> "please", "rn" -> "right now");
* a word that is neither a word of the file nor a known real word, but is one
  typing slip (two for long words) from a word of the file, is corrected to it
  ("bbay" -> "baby", "breathng" -> "breathing"). The distance is Damerau
  (optimal string alignment) distance, looked up in a symmetric-delete index
  built once, so a correction costs a few dictionary look-ups.

Matching is then on whole words, one sentence at a time. A signal is either a
list of phrases, or phrases from several lists (`all_of`) in one sentence or,
with `max_words_between`, in that order in one clause with few words between
them ("left [the baby] alone"). A match does not count when it is negated ("no
immediate danger"), is a question about the rule ("what does immediate danger
mean", "when should I call 999"), or its sentence is a general question about
children rather than a report about a particular child ("is a child left
alone at 14 in danger?", `generic_questions`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError, root_validator, validator

from bot.schema import Checked, Count, Day, Quoted, StrictModel, Text, problems


# Spelled out before matching, in this order ("can't" before the general "n't").
_CONTRACTIONS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bcan't\b|\bcannot\b"), "can not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'s\b"), " is"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_DASH = re.compile(r"\s[-–—]+\s|[–—]")
_STRAY_QUOTES = re.compile(r"""["']""")
# Sentences end at . ! ? ; (not at line breaks: a message may wrap mid-sentence).
_SENTENCE = re.compile(r"[.!?;]+")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+")
# Corrections remembered per word (typical chat vocabulary is small); bounded.
_CACHE_SIZE = 20_000
# libyaml's safe loader when present: the file is long (the `keep` list).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class EmergencyMatch:
    """Which signal fired and the phrase(s) that matched (as normalised text)."""

    signal: str
    phrase: str


@dataclass(frozen=True)
class _Signal:
    id: str
    groups: tuple[re.Pattern[str], ...]  # every group must match in one sentence (ordered: one group)
    unless_in_sentence: re.Pattern[str] | None


@dataclass(frozen=True)
class Matching:
    """How a message is put in canonical form before matching (`matching` in the YAML).

    `placeholders` maps a redaction placeholder (as written, e.g. "[name]") to
    the text that replaces it ("" drops it); `spellings` maps a whole word to
    its spelled-out form ("cant" -> "can not"); a word of at least
    `fuzzy_min_length` letters that is not known is corrected to a word of the
    file at most one edit away, or two edits for words of at least
    `fuzzy_two_edits_from` letters; `keep` lists real words that are never
    corrected ("policy" is not a typo for "police").
    """

    placeholders: Mapping[str, str]
    spellings: Mapping[str, str]
    fuzzy_min_length: int
    fuzzy_two_edits_from: int
    keep: frozenset[str]


@dataclass(frozen=True)
class GenericQuestions:
    """A sentence asked about children in general, not about a particular child.

    It is one with a clause that starts with one of `leads` and holds one of
    `subjects` ("is a child left alone at 14 in danger?"), while the sentence
    names no particular child and says nothing of now (`urgent`). A particular
    child is one of `specific` ("he says", "[name]") or one of `children` after
    one of `determiners` with at most `max_words_between` words between ("the
    baby", "my 3 year old", "this little girl"). Such a sentence never fires.
    """

    leads: Sequence[str]
    subjects: Sequence[str]
    specific: Sequence[str]
    determiners: Sequence[str]
    children: Sequence[str]
    max_words_between: int
    urgent: Sequence[str]


NO_MATCHING = Matching({}, {}, 0, 0, frozenset())


def normalise(text: str) -> str:
    """Lower-case, contractions spelled out, dashes as clause breaks, hyphens and
    stray quotes as spaces. Punctuation is kept; spaces are not collapsed."""
    text = text.casefold().translate(_QUOTES)
    text = _DASH.sub(" , ", text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return _STRAY_QUOTES.sub(" ", text).replace("-", " ")


def _phrase(text: str) -> str:
    return _SPACES.sub(" ", normalise(text)).strip()


def _words(phrases: Iterable[str]) -> str:
    """A regex alternation of whole phrases, longest first; `#` in a phrase is any number."""
    ordered = sorted({_phrase(p) for p in phrases}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\#", r"\d+") for p in ordered)


def _whole(phrases: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_words(phrases)})(?!\w)")


def osa_distance(a: str, b: str, limit: int) -> int:
    """Damerau distance (optimal string alignment: insert, delete, substitute,
    swap two neighbours); anything above `limit` is returned as `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _deletes(word: str, depth: int) -> set[str]:
    """`word` and every string made by deleting up to `depth` of its letters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))} - found
        found |= frontier
    return found


class Speller:
    """Corrects unknown words to the nearest word of the signal file (symmetric delete)."""

    def __init__(self, vocabulary: Counter[str], matching: Matching) -> None:
        self._min = matching.fuzzy_min_length
        self._two = matching.fuzzy_two_edits_from
        self._weight = vocabulary
        self._known = frozenset(vocabulary) | matching.keep | frozenset(matching.spellings)
        self._index: dict[str, list[str]] = {}
        self._cache: dict[str, str] = {}
        if self._min <= 0:
            return
        for word in vocabulary:
            if len(word) >= self._min and word.isalpha():
                for variant in _deletes(word, self._edits(word)):
                    self._index.setdefault(variant, []).append(word)

    def _edits(self, word: str) -> int:
        return 2 if self._two and len(word) >= self._two else 1

    def correct(self, token: str) -> str:
        """`token` itself when known, short, not alphabetic or not close to a word of the file."""
        if not self._index or len(token) < self._min or token in self._known or not token.isalpha():
            return token
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        depth = 2 if self._two and len(token) >= self._two - 1 else 1
        candidates = {word for variant in _deletes(token, depth) for word in self._index.get(variant, ())}
        best: tuple[int, int, int, str] | None = None
        for word in candidates:
            distance = osa_distance(token, word, self._edits(word))
            if distance > self._edits(word):
                continue
            rank = (distance, token[0] != word[0], -self._weight[word], word)
            best = rank if best is None or rank < best else best
        corrected = best[3] if best else token
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = corrected
        return corrected


class Phrases(list[str], Checked):
    """A non-empty list of phrases; an item may be a whole list (a YAML alias such as
    *young_children), read as its phrases."""

    @classmethod
    def check(cls, value: Any) -> list[str]:
        flat = [p for item in value for p in (item if isinstance(item, list) else [item])] if isinstance(value, list) else None
        if not flat or not all(isinstance(p, str) and p.strip() for p in flat):
            raise ValueError("expected a non-empty list of phrases (quote yes/no/on/off and numbers)")
        return flat


class PhraseTree(list[str], Checked):
    """Phrases gathered from lists of lists to any depth (the shared lists nest)."""

    @classmethod
    def check(cls, value: Any) -> list[str]:
        flat = list(_strings_in(value)) if isinstance(value, list) else None
        return Phrases.check(flat)


class SignalFile(StrictModel):
    """One signal: phrases, or phrases of each of several lists (`all_of`) in one sentence."""

    id: Text
    phrases: Phrases | None = None
    all_of: list[Phrases] | None = None
    max_words_between: Count | None = None
    unless_followed_by: Phrases | None = None
    unless_in_sentence: Phrases | None = None

    @root_validator(skip_on_failure=True)
    def _one_kind(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic
        if (values.get("phrases") is None) == (values.get("all_of") is None):
            raise ValueError(f"signal {values['id']}: give either phrases or all_of")
        if values.get("max_words_between") is not None and values.get("all_of") is None:
            raise ValueError(f"signal {values['id']}: max_words_between needs all_of")
        if values.get("all_of") is not None and not values["all_of"]:
            raise ValueError(f"signal {values['id']}: all_of must be a list of phrase lists")
        return values


class _Negation(StrictModel):
    window: Count
    negators: Phrases
    clause_phrases: Phrases
    clause_breaks: Phrases
    not_negating: Phrases = Phrases()

    @validator("window")
    def _positive(cls, value: int) -> int:  # noqa: N805 - pydantic
        if value < 1:
            raise ValueError("negation window must be at least 1")
        return value


class _RuleQuestion(StrictModel):
    leads: Phrases
    max_words_between: Count


class _Fuzzy(StrictModel):
    min_length: Count = Count(0)
    two_edits_from: Count = Count(0)
    keep: list[Quoted] = []

    @validator("min_length", "two_edits_from")
    def _off_or_three(cls, value: int) -> int:  # noqa: N805 - pydantic
        if 0 < value < 3:
            raise ValueError("expected 0 (off) or a whole number >= 3")
        return value


class _MatchingFile(StrictModel):
    placeholders: dict[Text, Quoted] = {}
    spellings: dict[Text, Quoted] = {}
    fuzzy: _Fuzzy = _Fuzzy()


class _GenericFile(StrictModel):
    leads: PhraseTree
    subjects: PhraseTree
    specific: PhraseTree
    determiners: PhraseTree
    children: PhraseTree
    max_words_between: Count
    urgent: PhraseTree


class SignalsFile(StrictModel):
    """knowledge/safety/emergency_signals.yml as written."""

    sources: list[Text]
    reviewed: Day
    shared: Any = None  # only holds the YAML anchors the signals share
    signals: list[SignalFile]
    negation: _Negation
    rule_questions: list[_RuleQuestion]
    matching: _MatchingFile | None = None
    generic_questions: _GenericFile | None = None


class EmergencySignals:
    """The compiled phrase lists. Build once with `from_file` and share."""

    def __init__(
        self,
        signals: Sequence[SignalFile],
        negators: Iterable[str],
        window: int,
        negating_phrases: Iterable[str],
        clause_breaks: Iterable[str],
        rule_questions: Sequence[tuple[Sequence[str], int]],
        matching: Matching = NO_MATCHING,
        not_negating: Iterable[str] = (),
        generic_questions: GenericQuestions | None = None,
    ) -> None:
        if window < 1:
            raise ValueError("negation window must be at least 1")
        negator_words = tuple(negators)
        break_words = tuple(clause_breaks)
        negating = tuple(negating_phrases)
        self._negators = frozenset(_phrase(w) for w in negator_words)
        self._window = window
        self._negating_phrase = _whole(negating)
        not_negating = tuple(not_negating)
        self._not_negating = _whole(not_negating) if not_negating else None
        self._clause_break = re.compile(rf"[,:()]|(?<!\w)(?:{_words(break_words)})(?!\w)")
        # The words between the parts of an ordered signal stay in one clause and
        # are never negators: "the baby is not alone" must not match "baby ... alone".
        gap_word = rf"(?!(?:{_words(negator_words + break_words)})(?!\w))[^\s,:()]+"
        self._signals = tuple(_compile_signal(s, gap_word) for s in signals)
        self._rule_questions = tuple(
            re.compile(rf"(?:^|\s)(?:{_words(leads)})\s+(?:\S+\s+){{0,{gap}}}$") for leads, gap in rule_questions
        )
        self._placeholder = (
            re.compile(
                "(?:" + "|".join(re.escape(p.casefold()) for p in sorted(matching.placeholders, key=len, reverse=True))
                + r")(?:['’]s\b)?"
            )
            if matching.placeholders
            else None
        )
        self._placeholder_text = {p.casefold(): f" {r} " for p, r in matching.placeholders.items()}
        self._spellings = {_phrase(k): _phrase(v) for k, v in matching.spellings.items()}
        vocabulary: Counter[str] = Counter()
        for text in _strings_in(
            [[signal.dict(exclude_none=True) for signal in signals], negator_words, negating, not_negating, break_words,
             [q for q, _ in rule_questions]]
            + ([dataclasses.astuple(generic_questions)] if generic_questions else [])
            + [list(self._spellings.values())]
        ):
            vocabulary.update(_TOKEN.findall(_phrase(text)))
        self._speller = Speller(vocabulary, matching)
        self._signal_words = frozenset(
            word
            for signal in signals
            for text in _strings_in([signal.phrases or [], signal.all_of or []])
            for word in _TOKEN.findall(_phrase(text))
        )
        if generic_questions:
            self._lead = re.compile(rf"(?:{_words(generic_questions.leads)})(?!\w)")
            self._subject: re.Pattern[str] | None = _whole(generic_questions.subjects)
            gap = generic_questions.max_words_between
            self._specific = re.compile(
                rf"(?<!\w)(?:{_words(generic_questions.specific)})(?!\w)"
                rf"|(?<!\w)(?:{_words(generic_questions.determiners)})(?:\s+\S+){{0,{gap}}}\s+"
                rf"(?:{_words(generic_questions.children)})(?!\w)"
            )
            self._urgent = _whole(generic_questions.urgent)
        else:
            self._subject = None

    @classmethod
    def from_file(cls, path: Path) -> EmergencySignals:
        """Read emergency_signals.yml; a malformed file raises ValueError naming the problem."""
        try:
            data = SignalsFile.parse_obj(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER))  # noqa: S506
        except ValidationError as error:
            raise ValueError(f"{path}: " + "; ".join(problems(error))) from None
        negation, matching, generic = data.negation, data.matching, data.generic_questions
        return cls(
            signals=data.signals,
            negators=negation.negators,
            window=negation.window,
            negating_phrases=negation.clause_phrases,
            clause_breaks=negation.clause_breaks,
            rule_questions=[(q.leads, q.max_words_between) for q in data.rule_questions],
            matching=Matching(
                placeholders={str(k): str(v) for k, v in matching.placeholders.items()},
                spellings={str(k): str(v) for k, v in matching.spellings.items()},
                fuzzy_min_length=matching.fuzzy.min_length,
                fuzzy_two_edits_from=matching.fuzzy.two_edits_from,
                keep=frozenset(w.casefold() for w in matching.fuzzy.keep),
            ) if matching else NO_MATCHING,
            not_negating=negation.not_negating,
            generic_questions=GenericQuestions(**generic.dict()) if generic else None,
        )

    def canonical(self, text: str) -> list[str]:
        """The sentences of `text` as matched: placeholders replaced, normalised,
        spellings expanded, typos corrected, each padded with one space."""
        text = text.casefold()
        if self._placeholder is not None:
            text = self._placeholder.sub(lambda m: self._placeholder_text[m.group(0)[: m.group(0).index("]") + 1]], text)
        sentences = []
        for sentence in _SENTENCE.split(normalise(text)):
            sentence = _TOKEN.sub(self._token, _SPACES.sub(" ", sentence))
            sentences.append(" " + _SPACES.sub(" ", sentence).strip() + " ")
        return sentences

    def signal_word(self, word: str) -> str | None:
        """The word of a signal's phrases that `word` is, spells out or is a typing
        slip of ("fire"; "isnt" -> "is not"; "fier" -> "fire"), else None. For
        redaction: such a word is never a name, or the safety net could not see it."""
        word = word.casefold()
        if word in self._signal_words:
            return word
        spelled = self._spellings.get(word)
        if spelled is not None:
            return spelled if any(w in self._signal_words for w in spelled.split()) else None
        corrected = self._speller.correct(word)
        return corrected if corrected in self._signal_words else None

    def _token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        spelled = self._spellings.get(token)
        return spelled if spelled is not None else self._speller.correct(token)

    def detect(self, text: str) -> EmergencyMatch | None:
        """The first signal found in `text`, or None."""
        if not isinstance(text, str) or not text:
            return None
        for sentence in self.canonical(text):
            if self._is_generic_question(sentence):
                continue
            for signal in self._signals:
                found = self._find(signal, sentence)
                if found:
                    return EmergencyMatch(signal.id, found)
        return None

    def ruled_out(self, text: str) -> bool:
        """True when `text` holds a signal's words but the signal list itself rules
        the alarm out: negated ("she isn't in danger"), asked about in general, or
        excluded by the signal's `unless_*` rules ("often left alone after school").

        The NLU component uses it to overrule the classifier's own `emergency`
        guess where the reviewed list has considered the words and decided; a
        message with no signal words keeps the classifier's guess (it may be an
        emergency put in words the list does not know).
        """
        if not isinstance(text, str) or not text.strip() or self.detect(text) is not None:
            return False
        for sentence in self.canonical(text):
            for signal in self._signals:
                if all(group.search(sentence) for group in signal.groups):
                    return True
        return self.asks_in_general(text)

    def asks_in_general(self, text: str) -> bool:
        """True when every sentence of `text` with words in it is a question about
        children in general ("is a child left alone at 14 in danger?"), not about a
        particular child now. The NLU component uses it to keep the classifier's own
        `emergency` guesses from sounding an alarm for a question about danger."""
        if not isinstance(text, str) or not text.strip():
            return False
        sentences = [s for s in self.canonical(text) if s.strip()]
        return bool(sentences) and all(self._is_generic_question(s) for s in sentences)

    def _is_generic_question(self, sentence: str) -> bool:
        """Asked about children in general, with nothing about a particular child or now."""
        if self._subject is None or not self._subject.search(sentence):
            return False
        if self._specific.search(sentence) or self._urgent.search(sentence):
            return False
        clauses = [clause.strip() for clause in self._clause_break.split(sentence)]
        if any(self._subject.match(clause) for clause in clauses):
            return False  # "a child has been left in a hot car": a report, not a question
        return any(self._lead.match(clause) for clause in clauses)

    def _find(self, signal: _Signal, sentence: str) -> str | None:
        if signal.unless_in_sentence and signal.unless_in_sentence.search(sentence):
            return None
        phrases = []
        for group in signal.groups:
            match = next((m for m in group.finditer(sentence) if not self._discounted(sentence, m.start())), None)
            if match is None:
                return None
            phrases.append(match.group(0))
        return " + ".join(phrases)

    def _discounted(self, sentence: str, start: int) -> bool:
        """Negated, or asked about, within the clause before `start`."""
        clause = self._clause_break.split(sentence[:start])[-1]
        if self._not_negating is not None:
            clause = self._not_negating.sub(" ", clause)
        if any(word in self._negators for word in clause.split()[-self._window :]):
            return True
        if self._negating_phrase.search(clause):
            return True
        return any(question.search(clause) for question in self._rule_questions)


def _compile_signal(signal: SignalFile, gap_word: str) -> _Signal:
    groups = [signal.phrases] if signal.phrases is not None else list(signal.all_of or [])
    after = signal.unless_followed_by
    not_followed = rf"(?!\s(?:{_words(after)})(?!\w))" if after else ""
    alternations = [rf"(?<!\w)(?:{_words(group)})(?!\w)" for group in groups]
    if signal.max_words_between is not None:
        alternations = [rf"(?:\s+{gap_word}){{0,{signal.max_words_between}}}\s+".join(alternations)]
    unless_in = signal.unless_in_sentence
    return _Signal(
        id=signal.id,
        groups=tuple(re.compile(alternation + not_followed) for alternation in alternations),
        unless_in_sentence=re.compile(rf"(?<!\w)(?:{_words(unless_in)})(?!\w)") if unless_in else None,
    )


def _strings_in(data: Any) -> Iterator[str]:
    """Every string in nested lists, tuples and mappings (values only)."""
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _strings_in(value)
    elif isinstance(data, list | tuple):
        for item in data:
            yield from _strings_in(item)
    elif isinstance(data, str):
        yield data
