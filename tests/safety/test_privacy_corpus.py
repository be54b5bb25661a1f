"""Every identifier of the privacy corpus is removed by sanitise + redaction.

The corpus (tests/safety/privacy_corpus.yml) holds messages with names (with
and without cues, lower case, capitals, double-barrelled, hidden by invisible
characters), surnames, schools, dates (also in words), postcodes, addresses,
phone numbers, emails (also written out) and NHS numbers. The channels run
bot/sanitise.clean and then bot/redaction.redact on every message; so does
this test.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.redaction import Redactor, default_redactor
from bot.sanitise import clean
from tests.safety.privacy_corpus import PrivacyCase, load_privacy_corpus

CASES = load_privacy_corpus()
MIN_CASES = 100
FORMS = {
    "zero_width", "lone_name", "capitals", "surname", "name_cue", "school", "date",
    "postcode", "address", "phone", "email", "nhs", "long",
}


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    default_redactor.cache_clear()
    return default_redactor()


def _redacted(redactor: Redactor, case: PrivacyCase) -> str:
    return redactor.redact(clean(case.text).text).text


def test_the_corpus_is_large_and_covers_every_form() -> None:
    forms = Counter(case.form for case in CASES)
    print(f"\nprivacy corpus: {len(CASES)} messages, {sum(len(c.identifiers) for c in CASES)} identifiers; {dict(forms)}")
    assert len(CASES) >= MIN_CASES
    assert FORMS <= set(forms)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_no_identifier_survives(redactor: Redactor, case: PrivacyCase) -> None:
    redacted = _redacted(redactor, case)
    survivors = case.survivors(redacted)
    assert not survivors, f"survived: {survivors} in {redacted!r}"


def test_survivor_count(redactor: Redactor) -> None:
    """One figure to quote: messages with a surviving identifier / all messages."""
    failed = [(case, _redacted(redactor, case)) for case in CASES if case.survivors(_redacted(redactor, case))]
    print(f"\nprivacy corpus survivors: {len(failed)}/{len(CASES)}")
    for case, redacted in failed:
        print(f"  {case.survivors(redacted)}: {redacted!r}")
    assert not failed
