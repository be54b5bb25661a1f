"""A deterministic safety net for messages that signal a child in immediate danger.

The statistical NLU can misclassify "the baby isn't breathing"; this cannot.
Every message is checked against the phrases in
knowledge/safety/emergency_signals.yml; a match means the assistant gives the
emergency route (999) at once, whatever the conversation was doing.

Matching is on lower-cased text with contractions spelled out, whole words,
one sentence at a time. A signal is either a list of phrases, or phrases from
several lists (`all_of`) in one sentence or, with `max_words_between`, in that
order in one clause with few words between them ("left [the baby] alone"). A
match does not count when it is negated ("no immediate danger") or is a
question about the rule ("what does immediate danger mean", "when should I
call 999").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "safety" / "emergency_signals.yml"

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


class EmergencySignals:
    """The compiled phrase lists. Build once with `from_file` and share."""

    def __init__(
        self,
        signals: Sequence[Mapping[str, Any]],
        negators: Iterable[str],
        window: int,
        negating_phrases: Iterable[str],
        clause_breaks: Iterable[str],
        rule_questions: Sequence[tuple[Sequence[str], int]],
    ) -> None:
        if window < 1:
            raise ValueError("negation window must be at least 1")
        negator_words = tuple(negators)
        break_words = tuple(clause_breaks)
        self._negators = frozenset(_phrase(w) for w in negator_words)
        self._window = window
        self._negating_phrase = re.compile(rf"(?<!\w)(?:{_words(negating_phrases)})(?!\w)")
        self._clause_break = re.compile(rf"[,:()]|(?<!\w)(?:{_words(break_words)})(?!\w)")
        # The words between the parts of an ordered signal stay in one clause and
        # are never negators: "the baby is not alone" must not match "baby ... alone".
        gap_word = rf"(?!(?:{_words(negator_words + break_words)})(?!\w))[^\s,:()]+"
        self._signals = tuple(_compile_signal(s, gap_word) for s in signals)
        self._rule_questions = tuple(
            re.compile(rf"(?:^|\s)(?:{_words(leads)})\s+(?:\S+\s+){{0,{gap}}}$") for leads, gap in rule_questions
        )

    @classmethod
    def from_file(cls, path: Path = DEFAULT_PATH) -> EmergencySignals:
        """Read emergency_signals.yml; a malformed file raises ValueError naming the problem."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            negation = data["negation"]
            return cls(
                signals=data["signals"],
                negators=_strings(negation["negators"], "negation.negators"),
                window=int(negation["window"]),
                negating_phrases=_strings(negation["clause_phrases"], "negation.clause_phrases"),
                clause_breaks=_strings(negation["clause_breaks"], "negation.clause_breaks"),
                rule_questions=[
                    (_strings(q["leads"], "rule_questions.leads"), int(q["max_words_between"]))
                    for q in data["rule_questions"]
                ],
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path}: missing or malformed entry: {error}") from error

    def detect(self, text: str) -> EmergencyMatch | None:
        """The first signal found in `text`, or None."""
        if not isinstance(text, str) or not text:
            return None
        for sentence in _SENTENCE.split(normalise(text)):
            sentence = " " + _SPACES.sub(" ", sentence).strip() + " "
            for signal in self._signals:
                found = self._find(signal, sentence)
                if found:
                    return EmergencyMatch(signal.id, found)
        return None

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
        if any(word in self._negators for word in clause.split()[-self._window :]):
            return True
        if self._negating_phrase.search(clause):
            return True
        return any(question.search(clause) for question in self._rule_questions)


def _compile_signal(data: Mapping[str, Any], gap_word: str) -> _Signal:
    signal_id = data.get("id")
    if not isinstance(signal_id, str):
        raise ValueError(f"signal without an id: {data!r}")
    if ("phrases" in data) == ("all_of" in data):
        raise ValueError(f"signal {signal_id}: give either phrases or all_of")
    groups = [data["phrases"]] if "phrases" in data else data["all_of"]
    if not isinstance(groups, list) or not groups:
        raise ValueError(f"signal {signal_id}: all_of must be a list of phrase lists")
    unless_after = data.get("unless_followed_by")
    not_followed = rf"(?!\s(?:{_words(_strings(_flat(unless_after), signal_id))})(?!\w))" if unless_after else ""
    unless_in = data.get("unless_in_sentence")
    alternations = [rf"(?<!\w)(?:{_words(_strings(_flat(g), signal_id))})(?!\w)" for g in groups]
    if "max_words_between" in data:
        between = data["max_words_between"]
        if "all_of" not in data or isinstance(between, bool) or not isinstance(between, int) or between < 0:
            raise ValueError(f"signal {signal_id}: max_words_between needs all_of and a whole number >= 0")
        alternations = [rf"(?:\s+{gap_word}){{0,{between}}}\s+".join(alternations)]
    return _Signal(
        id=signal_id,
        groups=tuple(re.compile(alternation + not_followed) for alternation in alternations),
        unless_in_sentence=re.compile(rf"(?<!\w)(?:{_words(_strings(_flat(unless_in), signal_id))})(?!\w)")
        if unless_in
        else None,
    )


def _flat(group: Any) -> Any:
    """A list of phrases may include whole lists (a YAML alias such as *young_children)."""
    if not isinstance(group, list):
        return group
    return [phrase for item in group for phrase in (item if isinstance(item, list) else [item])]


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: expected a non-empty list of phrases (quote yes/no/on/off and numbers)")
    return value
