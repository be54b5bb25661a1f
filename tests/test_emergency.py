"""The immediate-danger safety net (bot/emergency.py, knowledge/safety/emergency_signals.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emergency import DEFAULT_PATH, EmergencyMatch, EmergencySignals, normalise
from bot.redaction import default_redactor


@pytest.fixture(scope="module")
def signals() -> EmergencySignals:
    return EmergencySignals.from_file(DEFAULT_PATH)


# (message, signal that must fire)
POSITIVES = [
    ("the child is in danger right now", "immediate_danger"),
    ("I think he is in immediate danger", "immediate_danger"),
    ("She's at risk right now", "immediate_danger"),
    ("IMMEDIATE DANGER", "immediate_danger"),
    ("not sure if she is in immediate danger", "immediate_danger"),  # doubt still fires
    ("no, he IS in immediate danger", "immediate_danger"),
    ("she's not safe right now", "immediate_danger"),
    ("I think this child is in danger", "in_danger"),
    ("please call the police", "police_or_ambulance"),
    ("someone needs to call the police, a child is at risk right now", "immediate_danger"),
    ("I need to ring 999", "police_or_ambulance"),
    ("Should I call the police?", "police_or_ambulance"),  # answered with 999 on purpose
    ("the baby is not breathing", "medical_emergency"),
    ("the baby isn’t breathing", "medical_emergency"),
    ("he can't breathe", "medical_emergency"),
    ("the toddler won't wake up", "medical_emergency"),
    ("he's unconscious", "unconscious"),
    ("she is not eating and is unconscious", "unconscious"),
    ("What is happening the baby is unconscious", "unconscious"),
    ("the baby has been left alone", "young_child_left_alone"),
    ("a 3-year-old has been left alone at home", "young_child_left_alone"),
    ("the toddler was left on his own all night", "young_child_left_alone"),
    ("an 8 month old left alone in the flat", "young_child_left_alone"),
    ("she is locked in her room", "locked_in"),
    ("the kids are locked out of the house", "locked_in"),
    ("dad has a knife", "weapon"),
    ("he's got a knife", "weapon"),
    ("he is being hit right now", "being_hurt_now"),
    ("mum is being beaten", "being_hurt_now"),
    ("he is threatening to kill her", "threat_to_kill"),
    ("a serious injury to the baby's head", "serious_injury"),
    ("she is bleeding", "bleeding"),
    ("mum has taken an overdose", "overdose"),
    ("she is suicidal", "suicide"),
    ("he says he wants to kill himself", "threat_to_kill"),
    ("she is going to take her own life", "suicide"),
    ("he is missing right now", "missing_now"),
    ("I can't find her, she has gone missing", "missing_now"),
    ("our pupil has not come home", "missing_now"),
    ("the house is on fire", "fire"),
    ("Is this neglect? The baby is not breathing.", "medical_emergency"),
    ("When should I call 999? The baby is not breathing", "medical_emergency"),
]


@pytest.mark.parametrize(("message", "signal"), POSITIVES)
def test_danger_is_recognised(signals: EmergencySignals, message: str, signal: str) -> None:
    match = signals.detect(message)
    assert match is not None, message
    assert match.signal == signal
    assert match.phrase


NEGATIVES = [
    "not in immediate danger",
    "the child is not in immediate danger",
    "there is no immediate danger",
    "she isn't in danger",
    "she isn't in danger right now",
    "I don't think she is in immediate danger",
    "there is no sign of immediate danger",
    "what does immediate danger mean",
    "What does 'immediate danger' mean?",
    "what counts as immediate danger?",
    "what is meant by immediate danger",
    "when should I call 999",
    "When should I call the police?",
    "how do I know if a child is in immediate danger",
    "what counts as a serious injury",
    "he is not suicidal",
    "the baby was never left alone",
    "I am worried about a child who is often hungry",
    "children are in danger of being missed",
    "unconscious bias training",
    "his gums are bleeding",
    "the family is not responding to calls",
    "a teenager left alone for the weekend",
    "mum is on her own with the baby",
    "a child missing from education",
    "the baby sleeps alone in her cot",
    "what are the seven types of neglect",
    "the family have a history with children's services",
    "",
    "   ",
    "🙂👶🏽",
]


@pytest.mark.parametrize("message", NEGATIVES)
def test_negations_questions_and_ordinary_uses_do_not_fire(signals: EmergencySignals, message: str) -> None:
    assert signals.detect(message) is None


@pytest.mark.parametrize(("message", "signal"), POSITIVES)
def test_redaction_never_hides_a_danger_signal(signals: EmergencySignals, message: str, signal: str) -> None:
    """The NLU sees the redacted text, so redaction must keep every signal, even in Title Case."""
    redactor = default_redactor()
    for variant in (message, message.title(), f"Tom Baker (7): {message}"):
        redacted = redactor.redact(variant).text
        assert signals.detect(redacted) is not None, (variant, redacted)


def test_match_says_which_phrases_matched(signals: EmergencySignals) -> None:
    assert signals.detect("The TODDLER  has been\nleft alone") == EmergencyMatch(
        "young_child_left_alone", "left alone + toddler"
    )
    # Both parts of an all_of signal must be in the same sentence.
    assert signals.detect("The toddler is fine. Mum was left alone.") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She Isn’t breathing", "she is not breathing"),
        ("he won't wake — help", "he will not wake , help"),
        ("I can't; he cannot", "i can not; he can not"),
        ("a 3-year-old", "a 3 year old"),
        ("'immediate danger'", " immediate danger "),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_phrases_in_the_file_are_normalised_like_messages(tmp_path: Path) -> None:
    path = tmp_path / "signals.yml"
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["signals"] = [{"id": "test", "phrases": ["Won’t  WAKE-UP"]}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert EmergencySignals.from_file(path).detect("the baby will not wake up") == EmergencyMatch(
        "test", "will not wake up"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("negation"), "negation"),
        (lambda d: d["signals"].append({"id": "x"}), "either phrases or all_of"),
        (lambda d: d["signals"].append({"id": "x", "phrases": [True]}), "quote"),
        (lambda d: d["signals"].append({"phrases": ["help"]}), "without an id"),
        (lambda d: d["negation"].update(window=0), "window"),
    ],
)
def test_a_malformed_file_is_rejected(tmp_path: Path, change: object, message: str) -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path = tmp_path / "signals.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        EmergencySignals.from_file(path)


def test_the_file_cites_its_sources_and_review_date() -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert any("000_ee43792caad444cb.txt" in s and "999" in s for s in data["sources"])
    assert any("triage.md" in s for s in data["sources"])
    assert data["reviewed"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_detect_never_raises(signals: EmergencySignals, text: str) -> None:
    match = signals.detect(text)
    assert match is None or (match.signal and match.phrase)
