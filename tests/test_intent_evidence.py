"""A narrow intent only for a message that names its subject (bot/components/intent_evidence.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.emergency import EmergencyOverride
from bot.components.intent_evidence import EVIDENCE, IntentEvidence, names_a_document
from bot.knowledge.snapshot import snapshot
from bot.out_of_scope import names_an_adult
from tests.test_nlu_data import HELDOUT_FILES, TRAINING_DIR, TRAINING_FILES, read_nlu_file


def read(text: str, ranking: list[tuple[str, float]], entities: list[dict[str, str]] | None = None,
         evidence: IntentEvidence | None = None) -> str:
    message = Message({TEXT: text, ENTITIES: entities or []})
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    (evidence or IntentEvidence(0.3)).process([message])
    return str(message.get(INTENT)["name"])


@pytest.mark.parametrize("text", [
    "my nan is being ripped off by her carer",
    "a 74 year old man living alone in squalor",
    "worried about an elder in our church who is hoarding",
    "client is 22 and self-neglecting",
    "neighbour in her eighties hasn't been out for a week",
])
def test_a_message_about_an_adult_keeps_the_adult_route(text: str) -> None:
    assert names_an_adult(text)
    assert read(text, [("out_of_scope_adult", 0.8), ("start_triage", 0.1)]) == "out_of_scope_adult"


def test_a_message_about_a_child_takes_the_next_likely_intent() -> None:
    text = "need to speak to social care about a kid on my caseload"
    assert not names_an_adult(text)
    assert read(text, [("out_of_scope_adult", 0.5), ("ask_contact", 0.35), ("greet", 0.05)]) == "ask_contact"


def test_a_doubtful_next_intent_becomes_the_fallback() -> None:
    text = "is being groomed linked to being left to fend for yourself"
    assert read(text, [("out_of_scope_adult", 0.4), ("ask_question", 0.2)]) == "nlu_fallback"


def test_other_intents_and_button_payloads_are_left_alone() -> None:
    assert read("what is neglect", [("ask_question", 0.9)]) == "ask_question"
    assert read("/out_of_scope_adult", [("out_of_scope_adult", 1.0)]) == "out_of_scope_adult"


@pytest.mark.parametrize(("intent", "text", "shown"), [
    *(("ask_escalation", text, True) for text in [
        "the MASH knocked my referral back twice",
        "they are closing the case and nothing is different",
        "I think the threshold decision was wrong",
        "children's services aren't listening to me",
    ]),
    ("ask_escalation", "is it ok to share my worries with the health visitor", False),
    *(("out_of_scope_medical", text, True)
      for text in ["how much calpol for a 3 year old", "my knee is swollen", "is this rash serious"]),
    ("out_of_scope_medical", "lots of little things, none serious on their own. how do i think about that?", False),
])
def test_a_narrow_intent_is_kept_only_when_its_subject_is_shown(intent: str, text: str, shown: bool) -> None:
    assert EVIDENCE[intent](Message({TEXT: text, ENTITIES: []})) is shown
    assert read(text, [(intent, 0.6), ("ask_question", 0.35)]) == (intent if shown else "ask_question")


def test_every_phrasing_of_a_narrow_intent_shows_its_subject() -> None:
    """The evidence is what the training and held-out phrasings of each intent have in common:
    a predicate that missed one would take the intent from messages the classifier reads right."""
    examples = [*(e for name in TRAINING_FILES for e in read_nlu_file(TRAINING_DIR / f"{name}.yml")),
                *(e for path in HELDOUT_FILES for e in read_nlu_file(path))]
    missing = [(intent, text) for intent, text in examples
               if intent in EVIDENCE and not EVIDENCE[intent](Message({TEXT: text, ENTITIES: []}))]
    assert missing == []
    assert {intent for intent, _ in examples} >= set(EVIDENCE)


@pytest.mark.parametrize(("text", "document"), [
    ("can I have the crying shame report", True),
    ("the report about vulnerable babies - can I see it", True),
    ("open the GCP2 OMG", True),
    ("report neglect to police non urgent", False),
    ("who do i report a concern to", False),
])
def test_a_guide_is_asked_for_by_a_document_word(text: str, document: bool) -> None:
    assert names_a_document(text) is document
    assert (read(text, [("ask_guide", 0.6), ("ask_contact", 0.35)]) == "ask_guide") is document


def test_a_message_naming_a_route_is_not_out_of_scope() -> None:
    route = [{"entity": "route", "value": "101"}]
    assert read("whats 101 for", [("out_of_scope", 0.56), ("ask_contact", 0.23)], route) == "nlu_fallback"
    assert read("what's the weather like", [("out_of_scope", 0.8), ("greet", 0.1)]) == "out_of_scope"


def test_a_doubtful_emergency_gives_way_before_the_other_readings() -> None:
    """The classifier's unsure `emergency` steps down here, past an intent the message shows
    nothing of, so the description, the question and the topic components read the message."""
    evidence = IntentEvidence(0.3, EmergencyOverride(snapshot().emergency).is_an_alarm)

    def read_with_alarm(text: str, ranking: list[tuple[str, float]]) -> str:
        return read(text, ranking, evidence=evidence)

    doubtful = [("emergency", 0.5), ("out_of_scope_medical", 0.35), ("ask_question", 0.32)]
    assert read_with_alarm("is it 101 for the police if nobody is in danger right now", doubtful) == "ask_question"
    assert read_with_alarm("he's not breathing and mum won't wake up", doubtful) == "emergency"
    assert read_with_alarm("get here now", [("emergency", 0.9), ("greet", 0.05)]) == "emergency"


def test_a_request_for_a_number_is_no_farewell() -> None:
    assert read("night time social care number", [("goodbye", 0.69), ("out_of_scope", 0.13)]) == "nlu_fallback"
    assert read("good night, that's me done", [("goodbye", 0.69), ("thank", 0.2)]) == "goodbye"


def test_a_question_about_a_role_is_not_about_the_assistant() -> None:
    assert read("what is a HV supposed to do", [("bot_capabilities", 0.5), ("ask_question", 0.4)]) == "ask_question"
    assert read("so what can this do", [("bot_capabilities", 0.5), ("ask_question", 0.4)]) == "bot_capabilities"
