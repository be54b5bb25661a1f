"""Find and remove details that identify a child or family.

Practitioners type real names, dates of birth and addresses. The channels call
`redact()` on every incoming message, before anything is stored or logged, so
the tracker store and the logs only ever see placeholders such as "[name]".

How it works: regular expressions for the structured details (emails, dates,
NHS numbers, phone numbers, postcodes, street addresses), then a pass over the
words for names, which relies on context ("called Tom", "Mrs Smith", "Tom's
mum", "Tom (7)") and on capitalised first name + surname pairs; a stop-list of
words that are never names keeps area names, jargon, roles, days and months.
Word lists, placeholders and the notice live in knowledge/safety/privacy.yml;
public service numbers (never redacted) come from the knowledge files.

Limits worth knowing: a lone first name with no context ("Tom is hungry"),
names typed in lower case (except after "name is" / "name:") or in capitals,
and names that are also ordinary words ("May", "Will") are not redacted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

log = logging.getLogger(__name__)

KINDS = ("name", "date", "postcode", "address", "nhs_number", "phone", "email")
DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
# Redaction is repeated until nothing changes, so that its output is a fixed
# point (idempotent); in practice the second pass only confirms the first.
_MAX_PASSES = 5

_MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sept Sep Oct Nov Dec"
).split()
_MONTH = r"(?i:" + "|".join(_MONTHS) + r")\.?"
# Without a year, only a capitalised month counts ("3 may need help" is not a date).
_CAPITALISED_MONTH = r"(?:" + "|".join(_MONTHS) + r")\.?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?i:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_PATTERNS = (
    # ISO and year first: 2014-05-12, 2014/5/12
    rf"(?<![\w/.\-]){_YEAR}[-/.](?:1[0-2]|0?[1-9])[-/.](?:3[01]|[12]\d|0?[1-9])(?![\w/.\-])",
    # 12/05/2014, 12-05-2014, 12.5.14 (checked as a real day and month below)
    r"(?<![\w/.\-])(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?:\d{4}|\d{2})(?![\w/.\-])",
    # 12 May 2014, 3rd March 2019, 12th of May 2014, 12 May '14; 12 May
    rf"(?<!\w){_DAY}\s+(?i:of\s+)?{_MONTH},?\s+(?:{_YEAR}|'\d{{2}})(?!\w)",
    rf"(?<!\w){_DAY}\s+(?i:of\s+)?{_CAPITALISED_MONTH}(?!\w)",
    # May 12th 2014, May 12, 2014; March 3rd
    rf"(?<!\w){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\w)",
    rf"(?<!\w){_CAPITALISED_MONTH}\s+(?:3[01]|[12]\d|0?[1-9])(?i:st|nd|rd|th)(?!\w)",
)
# A date that is only a date because of its label: "DOB: 2014", "born in May 2014".
_LABELLED_DATE = re.compile(
    r"(?i)(?<!\w)(?P<label>dob|d\.o\.b\.?|date\s+of\s+birth|born(?:\s+(?:on|in))?|due\s+date|edd)"
    rf"(?P<sep>\s*[:\-]?\s*)(?P<date>(?:{_MONTH}\s+)?{_YEAR}|\d{{1,2}}[/.\-]\d{{1,2}}|{_DAY}\s+{_MONTH})(?!\w)"
)
_EMAIL = re.compile(r"(?<![\w.+'\-])[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Ten digits in 3-3-4 (NHS numbers are written that way).
_TEN_DIGITS = re.compile(r"(?<![\w+])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?!\w)")
# UK numbers: 0 or +44 / 0044, then 9 or 10 digits with single spaces, dashes
# or a closing bracket after the area code. Three-digit numbers never match.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)\d(?:(?:[ \-]|\)[ \-]?)?\d){8,9}(?!\d)"
)
_PHONE_SHAPE = re.compile(r"0[1235789]\d{8,9}")
# All valid UK postcode formats (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA,
# AA9A 9AA), with or without the space.
_POSTCODE = re.compile(
    r"(?i)(?<![\w])(?:[A-PR-UWYZ](?:\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRVWXY]|[A-HK-Y]?\d{1,2})"
    r"|GIR)\s?(?P<inward>\d[ABD-HJLNP-UW-Z]{2})(?![\w])"
)
_ORDINAL = re.compile(r"(?i)\d(?:st|nd|rd|th)")
# Words (letters, with inner apostrophes and hyphens; a final 's is not part
# of the word, so "Tom's" gives "Tom").
_WORD = r"[^\W\d_]+(?:['’](?![sS]\b)[^\W\d_]+|-[^\W\d_]+)*"
# Between the words of one name: spaces only (a tab or a line break separates).
_GAP = re.compile(r"[ \u00a0]+")
_TITLE_GAP = re.compile(r"\.?[^\S\n]+")
_SENTENCE_END = re.compile(r"[.!?\n]")
# After "name is" / "name:", up to a first, middle and last name.
_MAX_NAME_WORDS = 3
# Ages right after a name: "Tom (7)", "Tom aged 7", "Tom, 7 years old", "Tom is 7 years old".
_AGE_AFTER = re.compile(
    r"(?i)[^\S\n]*,?[^\S\n]*(?:\(\s*(?:aged?\s*)?\d{1,2}\s*(?:years?|yrs?|yo|y|months?|mths?|m|weeks?|wks?)?"
    r"\s*(?:old)?\s*\)|(?:aged?|age:)\s*\d{1,2}(?!\d)|\d{1,2}\s*(?:years?|yrs?|y\.?o\.?|months?)(?:\s+old)?(?!\w)"
    r"|is\s+\d{1,2}\s*(?:years?|yrs?|months?)(?!\w))"
)


@dataclass(frozen=True)
class Redaction:
    """A message with its identifying details replaced by placeholders."""

    text: str
    kinds: tuple[str, ...]  # sorted, each one of KINDS

    @property
    def found(self) -> bool:
        return bool(self.kinds)


@dataclass(frozen=True)
class PrivacySettings:
    """knowledge/safety/privacy.yml, read once. Word sets are casefolded."""

    placeholders: Mapping[str, str]
    notice: str
    public_numbers: tuple[str, ...]
    not_names: frozenset[str]
    person_before: frozenset[str]
    name_phrases: tuple[str, ...]
    labels: tuple[str, ...]
    name_labels: tuple[str, ...]
    possessed: tuple[str, ...]
    verbs_after: frozenset[str]
    titles: frozenset[str]
    determiners: frozenset[str]
    street_types: tuple[str, ...]
    dwelling_words: tuple[str, ...]
    not_street_words: frozenset[str]


def load_privacy(path: Path) -> PrivacySettings:
    """Read and check privacy.yml; a missing or malformed entry raises ValueError naming it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    placeholders = _mapping(data, "placeholders", path)
    missing = [kind for kind in KINDS if not isinstance(placeholders.get(kind), str)]
    if missing:
        raise ValueError(f"{path}: placeholders: missing {', '.join(missing)}")
    notice = _mapping(data, "notice", path).get("text")
    if not isinstance(notice, str) or not notice.strip():
        raise ValueError(f"{path}: notice.text: expected text")
    numbers = data.get("public_numbers") or []
    if not isinstance(numbers, list) or not all(
        isinstance(n, dict) and isinstance(n.get("phone"), str) for n in numbers
    ):
        raise ValueError(f"{path}: public_numbers: expected a list of entries with a phone")
    not_names_groups = _mapping(data, "not_names", path)
    context = _mapping(data, "person_context", path)
    address = _mapping(data, "address", path)

    def words(where: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = where.get(key)
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            raise ValueError(f"{path}: {key}: expected a list of words (quote yes/no/on/off)")
        return tuple(_key(w.strip()) for w in value)

    not_names = {w for group in not_names_groups for w in words(not_names_groups, group)}
    not_names.update(words(data, "not_name_lowercase"))
    return PrivacySettings(
        placeholders={kind: placeholders[kind] for kind in KINDS},
        notice=notice.strip(),
        public_numbers=tuple(n["phone"] for n in numbers),
        not_names=frozenset(not_names),
        person_before=frozenset(words(context, "before")),
        name_phrases=words(context, "name_phrases"),
        labels=words(context, "labels"),
        name_labels=words(context, "name_labels"),
        possessed=words(context, "possessed"),
        verbs_after=frozenset(words(context, "verbs_after")),
        titles=frozenset(words(context, "titles")),
        determiners=frozenset(words(context, "determiners")),
        street_types=words(address, "street_types"),
        dwelling_words=words(address, "dwelling_words"),
        not_street_words=frozenset(words(address, "not_street_words")),
    )


def _mapping(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: {key}: expected a mapping")
    return value


def knowledge_phone_numbers(knowledge_dir: Path) -> tuple[str, ...]:
    """Every `phone` value in national.yml and areas/*.yml, at any depth.

    These are public service numbers, so they are never redacted. Missing or
    unreadable files are skipped: the worst case is that a public number shows
    as "[phone]" in the stored message, never that personal data is kept.
    """
    files = [knowledge_dir / "national.yml", *sorted((knowledge_dir / "areas").glob("*.yml"))]
    numbers: list[str] = []
    for file in files:
        if not file.is_file():
            continue
        try:
            numbers.extend(_phones_in(yaml.safe_load(file.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            log.warning("redaction: cannot read public numbers from %s: %s", file, error)
    return tuple(numbers)


def emergency_words(path: Path) -> frozenset[str]:
    """Every word of the immediate-danger signals (casefolded).

    They are never names, so redaction can never hide a danger signal from the
    safety net that reads the redacted text ("Baby Left Alone" stays as it is).
    A missing or unreadable file gives no words (the stop-list still applies).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        log.warning("redaction: cannot read the danger phrases from %s: %s", path, error)
        return frozenset()
    signals = data.get("signals") if isinstance(data, dict) else None
    # Only the words a signal matches on; its `unless_*` exclusions may be names.
    matched = [
        signal.get(key) for signal in (signals if isinstance(signals, list) else [])
        if isinstance(signal, dict) for key in ("phrases", "all_of")
    ]
    return frozenset(word for text in _strings_in(matched) for word in re.findall(r"[^\W\d_]+", text.casefold()))


def _strings_in(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _strings_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings_in(item)
    elif isinstance(data, str):
        yield data


def _phones_in(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "phone" and isinstance(value, (str, int)):
                yield str(value)
            else:
                yield from _phones_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from _phones_in(item)


def phone_digits(number: str) -> str:
    """A phone number as national digits: '+44 (0)20 8547 5008' -> '02085475008'."""
    number = number.replace("(0)", "").strip()
    digits = re.sub(r"\D", "", number)
    if number.startswith("+44"):
        return "0" + digits[2:]
    if digits.startswith("0044"):
        return "0" + digits[4:]
    return digits


def nhs_number_valid(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


class _Token(NamedTuple):
    start: int
    end: int
    text: str
    placeholder: bool


class Redactor:
    """Redacts identifying details. Build once (patterns are compiled here) and share.

    >>> redactor = Redactor.from_knowledge(Path("knowledge"))
    >>> redactor.redact("my pupil Tom Baker, DOB 12/05/2014, is always hungry").text
    'my pupil [name], DOB [date], is always hungry'
    """

    def __init__(self, settings: PrivacySettings, allowed_numbers: Iterable[str] = ()) -> None:
        self.settings = settings
        self._allowed = frozenset(phone_digits(n) for n in (*settings.public_numbers, *allowed_numbers))
        self._dates = tuple(re.compile(p) for p in _DATE_PATTERNS)
        placeholders = sorted(settings.placeholders.values(), key=len, reverse=True)
        self._tokens_re = re.compile(
            "(?P<placeholder>" + "|".join(map(re.escape, placeholders)) + ")|(?P<word>" + _WORD + ")"
        )
        street = _alternation(settings.street_types)
        dwelling = _alternation(settings.dwelling_words)
        number = r"\d{1,4}[a-z]?(?:\s*[-–]\s*\d{1,4}[a-z]?)?"
        self._address = re.compile(
            rf"(?i)(?<![\w])(?:(?:{dwelling})\s+{number}\s*,?\s*)?(?<![\w/.\-]){number},?\s+"
            rf"(?P<street>{_WORD}(?:\s+{_WORD}){{0,2}})\s+(?:{street})\b\.?"
        )
        before_name = _alternation((*settings.person_before, *settings.name_phrases))
        self._cap_contexts = (
            re.compile(rf"(?i)(?<![\w])(?:{before_name})[^\S\n]+"),
            re.compile(rf"(?i)(?<![\w])(?:{_alternation(settings.labels)})[^\S\n]*[:\-–][^\S\n]*"),
        )
        self._any_case_context = re.compile(
            rf"(?i)(?<![\w])(?:{_alternation(settings.name_labels)})"
            r"(?:[^\S\n]*[:\-–]|[^\S\n]+(?:is|was|are)|['’]s)[^\S\n]*"
        )
        self._possessive_after = re.compile(rf"(?i)['’]s[^\S\n]+(?:{_alternation(settings.possessed)})\b")

    @classmethod
    def from_knowledge(cls, knowledge_dir: Path) -> Redactor:
        settings = load_privacy(knowledge_dir / "safety" / "privacy.yml")
        words = emergency_words(knowledge_dir / "safety" / "emergency_signals.yml")
        settings = replace(settings, not_names=settings.not_names | words)
        return cls(settings, knowledge_phone_numbers(knowledge_dir))

    @property
    def notice(self) -> str:
        """What to tell the practitioner when something was removed."""
        return self.settings.notice

    def redact(self, text: str) -> Redaction:
        """Replace identifying details with placeholders. Never raises on any text."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        kinds: set[str] = set()
        for _ in range(_MAX_PASSES):
            redacted = self._pass(text, kinds)
            if redacted == text:
                break
            text = redacted
        return Redaction(text=text, kinds=tuple(sorted(kinds)))

    def _pass(self, text: str, kinds: set[str]) -> str:
        text = self._sub(_EMAIL, text, kinds, lambda m: "email")
        for pattern in self._dates:
            text = self._sub(pattern, text, kinds, _real_date)
        text = self._sub(_LABELLED_DATE, text, kinds, lambda m: "date", group="date")
        text = self._sub(_TEN_DIGITS, text, kinds, self._ten_digits)
        text = self._sub(_PHONE, text, kinds, self._phone)
        text = self._sub(_POSTCODE, text, kinds, _postcode)
        text = self._sub(self._address, text, kinds, self._street)
        spans = list(self._name_spans(text))
        if spans:
            kinds.add("name")
            placeholder = self.settings.placeholders["name"]
            for start, end in reversed(spans):
                text = text[:start] + placeholder + text[end:]
        return text

    def _sub(
        self,
        pattern: re.Pattern[str],
        text: str,
        kinds: set[str],
        decide: Callable[[re.Match[str]], str | None],
        group: str | int = 0,
    ) -> str:
        """Replace `group` of each match with the placeholder of the kind `decide`
        returns; None keeps the match as it is."""

        def substitute(match: re.Match[str]) -> str:
            kind = decide(match)
            if kind is None:
                return match.group(0)
            kinds.add(kind)
            whole, start, end = match.group(0), match.start(group) - match.start(), match.end(group) - match.start()
            return whole[:start] + self.settings.placeholders[kind] + whole[end:]

        return pattern.sub(substitute, text)

    def _ten_digits(self, match: re.Match[str]) -> str | None:
        digits = re.sub(r"\D", "", match.group(0))
        if digits in self._allowed:
            return None
        if nhs_number_valid(digits):
            return "nhs_number"
        return "phone" if _PHONE_SHAPE.fullmatch(digits) else None

    def _phone(self, match: re.Match[str]) -> str | None:
        digits = phone_digits(match.group(0))
        if digits in self._allowed or not _PHONE_SHAPE.fullmatch(digits):
            return None
        return "phone"

    def _street(self, match: re.Match[str]) -> str | None:
        """Not an address when a lower-case word of the street name is an ordinary
        word ("7 in the park", "a 15 minute walk")."""
        for word in match.group("street").split():
            if word[0].islower() and _key(word) in self.settings.not_street_words:
                return None
        return "address"

    # Names -------------------------------------------------------------------

    def _name_spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Spans of names, left to right, not overlapping."""
        tokens = [
            _Token(m.start(), m.end(), m.group(0), m.lastgroup == "placeholder")
            for m in self._tokens_re.finditer(text)
        ]
        cap_context = {m.end() for pattern in self._cap_contexts for m in pattern.finditer(text)}
        any_case_context = {m.end() for m in self._any_case_context.finditer(text)}
        i = 0
        while i < len(tokens):
            token = tokens[i]
            end = i
            if token.placeholder:
                pass
            elif token.start in any_case_context:
                end = self._run(tokens, text, i, self._any_case_name, _MAX_NAME_WORDS)
            elif _key(token.text) in self.settings.titles and self._title_before_name(tokens, text, i):
                # The title stays ("Mrs [name]"); the word after it is a name even
                # if it is in not_names ("Mrs May").
                i += 1
                first = tokens[i]
                end = self._run(tokens, text, i, lambda t: t is first or self._capitalised_name(t))
            elif self._capitalised_name(token):
                end = self._run(tokens, text, i, self._capitalised_name)
                if end - i == 1 and token.start not in cap_context and not self._single_name(tokens, text, i):
                    end = i
            if end > i:
                yield tokens[i].start, tokens[end - 1].end
                i = end
            else:
                i += 1

    @staticmethod
    def _run(
        tokens: list[_Token], text: str, start: int, accept: Callable[[_Token], bool], limit: int | None = None
    ) -> int:
        """The end (exclusive) of the run of accepted tokens from `start`, each
        separated from the one before by spaces only."""
        end = start
        while (
            end < len(tokens)
            and (limit is None or end - start < limit)
            and accept(tokens[end])
            and (end == start or _GAP.fullmatch(text, tokens[end - 1].end, tokens[end].start))
        ):
            end += 1
        return end

    def _capitalised_name(self, token: _Token) -> bool:
        return _capitalised(token) and _key(token.text) not in self.settings.not_names

    def _any_case_name(self, token: _Token) -> bool:
        return not token.placeholder and len(token.text) >= 2 and _key(token.text) not in self.settings.not_names

    @staticmethod
    def _title_before_name(tokens: list[_Token], text: str, i: int) -> bool:
        return (
            i + 1 < len(tokens)
            and _capitalised(tokens[i + 1])
            and bool(_TITLE_GAP.fullmatch(text, tokens[i].end, tokens[i + 1].start))
        )

    def _single_name(self, tokens: list[_Token], text: str, i: int) -> bool:
        """Context that makes one capitalised word a name: "Tom's mum", "Tom (7)",
        or after an ordinary word of the same sentence and before a verb ("I think
        Tom is hungry", "Yesterday Tom was hungry"; not "The Toolkit is")."""
        after = tokens[i].end
        if self._possessive_after.match(text, after) or _AGE_AFTER.match(text, after):
            return True
        if i == 0 or i + 1 >= len(tokens):
            return False
        before, following = tokens[i - 1], tokens[i + 1]
        return (
            not before.placeholder
            and (before.text[0].islower() or _key(before.text) in self.settings.not_names)
            and _key(before.text) not in self.settings.determiners
            and not _SENTENCE_END.search(text, before.end, tokens[i].start)
            and bool(_GAP.fullmatch(text, after, following.start))
            and _key(following.text) in self.settings.verbs_after
        )


def _key(word: str) -> str:
    """How words are compared with the word lists: casefolded, straight apostrophes."""
    return word.casefold().replace("’", "'")


def _capitalised(token: _Token) -> bool:
    """Shaped like a name: capitalised, two letters or more, not an acronym."""
    word = token.text
    return not token.placeholder and len(word) >= 2 and word[0].isupper() and not word.isupper()


def _real_date(match: re.Match[str]) -> str | None:
    """Numeric dates must have a real day and month (either way round)."""
    if match.groupdict().get("a") is None:
        return "date"
    a, b = int(match.group("a")), int(match.group("b"))
    return "date" if (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31) else None


def _postcode(match: re.Match[str]) -> str | None:
    # "y7 5th" is a school year and an ordinal, not a postcode.
    if not match.group(0).isupper() and _ORDINAL.fullmatch(match.group("inward")):
        return None
    return "postcode"


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first; spaces match any spacing and
    an apostrophe matches a straight or curly one."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w).replace("'", "['’]") for w in phrase.split()) for phrase in ordered)


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    """The redactor for this repository's knowledge/, built on first use."""
    return Redactor.from_knowledge(DEFAULT_KNOWLEDGE_DIR)


def redact(text: str) -> Redaction:
    """Redact `text` with the default redactor (see Redactor.redact)."""
    return default_redactor().redact(text)
