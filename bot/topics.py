"""Which guidance topic a typed question asks about, ranked from what knowledge/ holds.

The NLU model has one intent for a question about neglect (`ask_question`); which
topic it is about is found here, among the topics of knowledge/guidance: each topic's
example questions (`questions:` in its item file), its items' titles and keywords, and
the lexicon's jargon for it ("wnb" -> was not brought) are the training documents of
a small classifier (TF-IDF over words and character n-grams, as the NLU pipeline
uses, and logistic regression). A new topic is one knowledge file with its questions:
no intent, rule or list to edit, and no retraining of the Rasa model.

A message that describes a case and then asks something is ranked on its question
("...he's always hungry. what are the signs I should record?"), because the case
words would otherwise pull it towards the topic the case resembles.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline

from bot.answers import asked_sentences, sentences
from bot.knowledge.models import GuidanceItem, Lexicon

__all__ = ["INTENT", "OFFER", "SURE", "RankedTopic", "TopicRanker", "describes_more", "is_sure", "nlu_training_data", "offered",
           "question_part", "refers_back", "with_last_topic"]

# The NLU intent of a question about neglect, whose topic this module finds.
INTENT = "ask_question"
# Below this probability for the best topic, the practitioner is asked which of the
# likeliest topics they meant instead of being given a guess. Chosen on the topic
# questions of tests/nlu/heldout.yml before the answer sets existed: it kept 98 % of
# the right answers there (and turned 5 % of the wrong ones into "did you mean").
SURE = 0.25
# A topic below this probability is not worth offering as "did you mean".
OFFER = 0.1


@dataclass(frozen=True)
class RankedTopic:
    topic: str
    score: float  # the classifier's probability, 0..1


_BACK = re.compile(r"\b(?:it|its|it's|that|this|them|they|those|these|one)\b", re.IGNORECASE)
# A follow-up is short: "do I need training to use it?", "who does that?".
_FOLLOW_UP_WORDS = 12


def refers_back(text: str) -> bool:
    """Whether `text` is a short question about something said before ("do I need training for it?")."""
    return len(text.split()) <= _FOLLOW_UP_WORDS and bool(_BACK.search(text))


def with_last_topic(ranked: Sequence[RankedTopic], last: str | None, text: str) -> list[RankedTopic]:
    """The ranking, with the topic of the last answer first when `text` refers back to it and
    the ranker either is unsure or has that topic among its likeliest: "do I need training
    to use it?" after the GCP2 answer is about GCP2."""
    if last is None or not ranked or not refers_back(text):
        return list(ranked)
    if last not in [r.topic for r in ranked] and is_sure(ranked):
        return list(ranked)
    return [RankedTopic(last, max(SURE, ranked[0].score)), *[r for r in ranked if r.topic != last]]


def offered(ranked: Sequence[RankedTopic]) -> list[str]:
    """The topics of `ranked` worth offering as "did you mean"."""
    return [r.topic for r in ranked if r.score >= OFFER]


def is_sure(ranked: Sequence[RankedTopic]) -> bool:
    """Whether the best topic is likely enough to answer without asking."""
    return bool(ranked) and ranked[0].score >= SURE


def question_part(text: str) -> str:
    """The sentences of `text` that ask something, when it also says other things."""
    asking = asked_sentences(text)
    return " ".join(asking) if asking and len(asking) < len(sentences(text)) else text


def describes_more(text: str) -> bool:
    """Whether `text` says more than its question (a case, usually)."""
    return question_part(text) != text


def _documents(items: Iterable[GuidanceItem], lexicon: Lexicon | None) -> dict[str, list[str]]:
    """Topic -> its training documents, for the topics that have example questions."""
    docs: dict[str, list[str]] = defaultdict(list)
    asked = {item.topic for item in items if item.questions}
    topic_of = {item.id: item.topic for item in items}
    for item in items:
        if item.topic in asked:
            docs[item.topic].extend([*item.questions, item.title, *item.keywords])
    for term in lexicon.terms if lexicon is not None else ():
        topic = topic_of.get(term.target)
        if topic in asked:
            docs[topic].extend(term.phrases)
    return dict(docs)


class TopicRanker:
    """Ranks the topics of knowledge/guidance for a message (see the module docstring)."""

    def __init__(self, items: Sequence[GuidanceItem], lexicon: Lexicon | None = None) -> None:
        docs = _documents(items, lexicon)
        if len(docs) < 2:
            raise ValueError("the topic ranker needs at least two topics with example questions")
        texts = [text for topic in sorted(docs) for text in docs[topic]]
        labels = [topic for topic in sorted(docs) for _ in docs[topic]]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
        features = FeatureUnion([
            ("words", words),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)),
        ])
        # Logistic regression fitted by SGD: as accurate on the held-out questions as
        # lbfgs and about 20 times faster to fit (half a second), so the action server
        # can train it from the knowledge database when it starts.
        classifier = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0)
        self._model = make_pipeline(features, classifier)
        self._model.fit(texts, labels)
        self.topics: tuple[str, ...] = tuple(self._model.classes_)
        self._analyse = words.build_analyzer()
        self._vocabulary = frozenset(w for w in words.vocabulary_ if " " not in w) - ENGLISH_STOP_WORDS

    def knows(self, text: str) -> bool:
        """Whether `text` has a word, other than a stop word, that some topic's questions use.
        The classifier always ranks every topic, even for "qwxz plorb" or the weather:
        only a message with such a word gets topics offered without the NLU's say-so."""
        return any(w in self._vocabulary for w in self._analyse(question_part(text)))

    def likely(self, text: str, limit: int = 3) -> list[str]:
        """The topics worth offering as "did you mean" for `text` (perhaps none)."""
        if not self.knows(text):
            return []
        return offered(self.rank(text, limit))

    def rank(self, text: str, limit: int = 3) -> list[RankedTopic]:
        """The `limit` likeliest topics for `text`, best first."""
        probabilities = self._model.predict_proba([question_part(text)])[0]
        best = np.argsort(probabilities)[::-1][:limit]
        return [RankedTopic(self.topics[i], float(probabilities[i])) for i in best]


def nlu_training_data(items: Iterable[GuidanceItem]) -> str:
    """data/nlu/questions.yml: every topic's example questions as the `ask_question` intent."""
    lines = [
        'version: "3.1"',
        "",
        "# Built by `python -m bot.knowledge build` from the `questions:` of knowledge/guidance:",
        "# edit those, not this file. Which topic a question is about is found by bot/topics.py.",
        "nlu:",
        f"- intent: {INTENT}",
        "  examples: |",
    ]
    seen: set[str] = set()
    for item in sorted(items, key=lambda i: (i.topic, i.id)):
        for question in item.questions:
            line = " ".join(question.split())
            if line.lower() not in seen:
                seen.add(line.lower())
                lines.append(f"    - {line}")
    return "\n".join(lines) + "\n"
