"""A Rasa NLU component: a message that names a subject only one intent covers takes that intent.

Some subjects are plain from a few words, and the classifier, which met them in
few examples, reads them as a question on the guidance, a contact or a doubt:

- a message in another language, told by the share of its words no English word list
  or the assistant's own vocabulary holds (bot/out_of_scope.py `is_other_language`,
  with at least six words for Latin letters), is `out_of_scope_language`, whatever it
  was read as: a plain-English note that the assistant works in English, with 999;
- a request for advice on an illness or a symptom by name, with nothing of a
  child's care in it ("how do you treat impetigo", "what are the symptoms of
  scarlet fever"; bot/out_of_scope.py `asks_medical_advice`, not "untreated
  impetigo, is that neglect?") is `out_of_scope_medical`: the GP, NHS 111, or 999
  if a life is at risk;
- the LADO named ("how do I contact the lado in coventry"), or a worry told about
  someone who works with children ("worried about a childminder who leaves the kids
  unsupervised"), is `out_of_scope_allegation`, with the area's LADO route where one is
  sourced, its front door otherwise; such a worry is never the triage's;
- an adult at risk, in words only such a concern uses and with no child in it ("self
  neglect in an older person who do i tell"), is `out_of_scope_adult`: adult social care.
  A message the classifier read as out of scope keeps that ("carers allowance for my
  elderly dad");
- a decision disputed, or escalation asked about, in a message that asks something
  ("both times it came back NFA. I really don't agree with the decision. What should I be
  doing now?"; bot/escalation.py `disputes_a_decision`), is `ask_escalation`, even beside
  a case: the professional-disagreement navigator, for the area;
- a term of the guidance asked about, read as a wish for a person ("cumulative harm -
  new to this, can someone break it down"), is `ask_question`: the answer, not the
  handoff, unless it asks to speak to someone;
- whom to ring, asked of a route or of social care by name ("worried about a family in
  putney, whos on out of hours for childrens services", "what hours is the nspcc helpline
  open"; bot/render.py `asks_for_a_route`), is `ask_contact`, even beside a case: the
  contact action answers for the area and the time said.

Runs after the description and the explicit question, and before
EmergencyOverride, which has the last word ("he's having a seizure and not
breathing" is still 999).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.answers import asked_sentences, looks_like_a_question
from bot.components.ranking import on_text, promote
from bot.escalation import disputes_a_decision
from bot.knowledge.store import KnowledgeStore
from bot.out_of_scope import (OVERRULING_WORDS, asks_medical_advice, concern_about_a_worker, english_words,
                              is_other_language, known_words, names_the_lado, speaks_of_an_adult_only)
from bot.paths import KNOWLEDGE_DB
from bot.render import asks_for_a_route

# What such a message is read as, and is not: a question on the guidance, a guide, a contact, a doubt.
READ_AS_A_QUESTION = frozenset({"ask_question", "ask_guide", "ask_contact", "nlu_fallback", "out_of_scope"})
# ...or, for what the triage is not for, the triage's start or an answer.
READ_AS_A_CASE = READ_AS_A_QUESTION | {"start_triage", "inform"}


@lru_cache(maxsize=1)
def _own_words() -> frozenset[str]:
    """The words of the areas, roles and jargon in the knowledge database, read once."""
    store = KnowledgeStore.open(KNOWLEDGE_DB)
    return known_words(store.areas(), store.lexicon(), store.roles())


def _other_language(text: str) -> bool:
    return is_other_language(text, english_words(), _own_words(), min_words=OVERRULING_WORDS)


def _medical(text: str) -> bool:
    return (looks_like_a_question(text) or len(text.split()) <= 8) and asks_medical_advice(text)


def _disputed(text: str) -> bool:
    return disputes_a_decision(text) and bool(asked_sentences(text))


_TO_A_PERSON = re.compile(r"\b(?:speak|talk|chat)\s+(?:to|with)\b|\b(?:ring|call|phone)\b|\b(?:real|actual)\s+"
                          r"(?:person|human)|\ba\s+(?:person|human)\b", re.IGNORECASE)


def _term_explained(message: Message) -> bool:
    """A term of the guidance named (a spaCy `term` entity), and no person asked for."""
    named = any(entity.get("entity") == "term" for entity in message.get(ENTITIES) or [])
    return named and not _TO_A_PERSON.search(str(message.get(TEXT) or ""))


def _route(message: Message) -> bool:
    return asks_for_a_route(str(message.get(TEXT) or ""), message.get(ENTITIES) or [])


# Each intent, what a message must name to take it, and the readings it replaces (None:
# any); the first that applies wins (an allegation's "who do I ring" is the LADO's).
CLAIMS: tuple[tuple[str, Callable[[Message], bool], frozenset[str] | None], ...] = (
    ("out_of_scope_language", on_text(_other_language), None),
    ("out_of_scope_medical", on_text(_medical), READ_AS_A_QUESTION),
    ("out_of_scope_allegation", on_text(names_the_lado), READ_AS_A_CASE),
    ("out_of_scope_allegation", on_text(concern_about_a_worker), READ_AS_A_CASE - {"out_of_scope"}),
    ("out_of_scope_adult", on_text(speaks_of_an_adult_only), READ_AS_A_CASE - {"out_of_scope"}),
    ("ask_escalation", on_text(_disputed), READ_AS_A_CASE),
    ("ask_contact", _route, READ_AS_A_CASE),
    ("ask_question", _term_explained, frozenset({"human_handoff"})),
)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NamedSubject(GraphComponent):
    """Sets the intent of a subject named, for a message read as a question, a contact or a doubt."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> NamedSubject:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            intent = (message.get(INTENT) or {}).get("name")
            if not text or text.startswith("/"):
                continue
            claimed = next((name for name, names_it, replaced in CLAIMS
                            if (replaced is None or intent in replaced) and names_it(message)), None)
            if claimed is not None:
                promote(message, claimed)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
