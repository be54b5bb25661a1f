"""Redaction must not eat the words the assistant needs (over-redaction).

Runs the redactor over every example of the NLU training data (data/nlu/*.yml,
read only as a corpus) and over the titles and summaries of the guidance
(knowledge/guidance/*.yml), prints the share of messages it changed and what
changed, and fails above a threshold. Also a named list of phrases of the
partnership's own language that must come through unchanged.

Thresholds: on 2026-12-01 the redactor changed 6 of 4048 training examples
(0.15%): five are real people's names typed on purpose (a researcher, "Jayden
in reception") and one is a greeting that is also a first name ("ciao bella");
and 2 of 122 guidance texts (1.6%): the same researcher's name and a real date.
A rule that started to hit an ordinary word or a piece of jargon would change
dozens of examples at once (before it was tuned, the lists took "ta", "ty",
"MAC", "co-sleeping" and "Mondays": 50 examples, 1.2%), so the limits are set
at about three times today's figure: 0.5% for the training data and 3% for
the guidance.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge.snapshot import snapshot
from bot.redaction import Redactor, default_redactor
from bot.sanitise import clean
from bot.paths import ROOT

NLU_LIMIT = 0.005
GUIDANCE_LIMIT = 0.03
_EXAMPLE = re.compile(r"^\s*- (?!intent:|synonym:|regex:|lookup:)(?P<text>.+?)\s*$")


def training_examples(folder: Path = ROOT / "data" / "nlu") -> list[str]:
    """Every `- ` example line of the NLU files (entity annotations, if any, as plain text)."""
    examples = []
    for path in sorted(folder.glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _EXAMPLE.match(line)
            if match:
                examples.append(re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", match.group("text")))
    return examples


def guidance_texts(folder: Path = ROOT / "knowledge" / "guidance") -> list[str]:
    """The title and summary of every guidance file."""
    texts = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        texts.extend(str(data[key]) for key in ("title", "summary") if isinstance(data.get(key), str))
    return texts


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    default_redactor.cache_clear()
    return default_redactor()


def _changed(redactor: Redactor, messages: list[str]) -> list[tuple[str, str]]:
    changed = []
    for message in messages:
        text = clean(message).text
        redacted = redactor.redact(text).text
        if redacted != text:
            changed.append((text, redacted))
    return changed


@pytest.mark.parametrize(
    ("corpus", "limit"),
    [(training_examples, NLU_LIMIT), (guidance_texts, GUIDANCE_LIMIT)],
    ids=["training_data", "guidance"],
)
def test_over_redaction_rate(redactor: Redactor, corpus, limit: float) -> None:  # type: ignore[no-untyped-def]
    messages = corpus()
    assert len(messages) > 100
    changed = _changed(redactor, messages)
    rate = len(changed) / len(messages)
    print(f"\nover-redaction ({corpus.__name__}): {len(changed)}/{len(messages)} = {rate:.2%} (limit {limit:.1%})")
    for before, after in changed:
        print(f"  {before[:110]!r}\n   -> {after[:110]!r}")
    assert rate <= limit


MUST_SURVIVE = [
    "Early Help", "early help", "MASH", "the MASH", "SPA", "Kingston SPA", "Signs of Safety",
    "Graded Care Profile", "GCP2", "Child in Need Plan", "child in need plan", "Team Around the Family",
    "team around the family", "TAF", "EHA", "Early Help Assessment", "Child Protection Plan",
    "Kingston", "Richmond", "Twickenham", "Wakefield", "Oxfordshire", "Coventry", "Wandsworth",
    "Kingston upon Thames", "Kingston & Richmond", "kingston", "wandsworth",
    "health visitor", "Health Visitor", "DSL", "SENCO", "SENCo", "GP", "PC", "PCSO", "PCSOs", "TA",
    "school nurse", "social worker", "Designated Safeguarding Lead", "family support worker",
    "Monday", "Mondays", "on Friday", "in March", "March", "May", "in May", "June", "last September",
    "Level 3", "level 2a", "Level 4", "Was Not Brought", "Start Again Syndrome", "Professional Curiosity",
    "Voice of the Child", "Free School Meals", "the primary school", "a local primary school",
    "the Secondary School", "nursery", "Multi Agency Chronology (MAC)", "LADO", "CAMHS", "EHCP", "SEND",
    "Operation Encompass", "Children's Social Care", "NSPCC", "Childline", "Ofsted", "999", "101",
    "0808 800 5000", "for two weeks", "in year 5", "in Y7", "5th lesson", "3 siblings", "aged 7",
    "two weeks ago", "the first time", "the second visit", "will", "may", "grace", "hope", "mark", "rose",
    "the family", "whole family", "the foster family", "a Polish family", "a Muslim family",
    "Traveller families", "baby left alone", "Baby Left Alone", "not breathing", "co-sleeping",
    "bed-wetting", "non-verbal", "ta", "ty", "thanks", "ok", "hi there", "look at nspcc.org.uk",
    "she was at home", "we met at school", "twenty children", "two thousand pounds",
    "mum will be at the meeting", "dad may drink", "Will she be ok?", "Grace period", "what does SPA mean",
    "is this neglect? I'm a health visitor in Kingston", "jack up the heating", "baby isnt breathing",
    "mum hasnt called in", "the child isnt in any immediate danger", "mum wont wake up", "dad cant cope",
]


@pytest.mark.parametrize("phrase", MUST_SURVIVE)
def test_must_survive(redactor: Redactor, phrase: str) -> None:
    assert redactor.redact(phrase).text == phrase


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for item in data for s in _strings(item)]
    return []


def test_redaction_never_hides_a_danger_signal(redactor: Redactor) -> None:
    """Every held-out emergency phrasing (another test's corpus, read tolerantly)
    is detected the same way before and after redaction ("baby isnt breathing"
    must not become "baby [name] breathing")."""

    held_out = Path(__file__).with_name("emergency_heldout.yml")
    if not held_out.is_file():
        pytest.skip("no emergency held-out corpus")
    signals = snapshot().emergency
    messages = _strings(yaml.safe_load(held_out.read_text(encoding="utf-8")))
    assert messages
    differ = []
    for message in messages:
        text = clean(message).text
        redacted = redactor.redact(text).text
        if (signals.detect(text) is None) != (signals.detect(redacted) is None):
            differ.append((text, redacted))
    assert not differ, differ
