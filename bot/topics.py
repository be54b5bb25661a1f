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

Words miss meaning said in other words ("posh families and neglect" is the affluent
families topic). When the word classifier is not sure (best topic below
MEANING_BELOW), the ranking also reads meaning: each topic's documents as sentence
vectors (bot/embedding.py, computed by the knowledge build into
`<database>.vectors.npz`), the message's vector, and the closest document of each
topic, blended with the words' probabilities. Without the sentence model or the
vectors file, topics are ranked on words alone.
"""
from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline

from bot.answers import asked_sentences, sentences
from bot.embedding import MODEL_SHA256, SentenceEncoder, load_encoder
from bot.knowledge.models import GuidanceItem, Lexicon

if TYPE_CHECKING:
    from bot.knowledge.store import KnowledgeStore

logger = logging.getLogger(__name__)

__all__ = ["INTENT", "OFFER", "SURE", "RankedTopic", "TopicRanker", "describes_more", "is_sure", "nlu_training_data", "offered",
           "documents", "question_part", "ranked_part", "ranker_for", "refers_back", "vectors_path", "with_last_topic", "write_vectors"]

# The NLU intent of a question about neglect, whose topic this module finds.
INTENT = "ask_question"
# Below this probability for the best topic, the practitioner is asked which of the
# likeliest topics they meant instead of being given a guess. Chosen on the topic
# questions of tests/nlu/heldout.yml before the answer sets existed: it kept 98 % of
# the right answers there (and turned 5 % of the wrong ones into "did you mean").
SURE = 0.25
# A topic below this probability is not worth offering as "did you mean".
OFFER = 0.1
# Meaning is read when the words' best topic is below MEANING_BELOW, and then weighs
# MEANING_WEIGHT of the ranking, its similarities sharpened by MEANING_TEMPERATURE.
# Chosen by five-fold cross-validation on the topics' own example questions (never on
# the held-out sets): 0.924 top-1 on words alone, 0.933 blended; 0.8 reads meaning for
# about a quarter of the questions and scores as reading it for all.
MEANING_BELOW = 0.8
MEANING_WEIGHT = 0.3
MEANING_TEMPERATURE = 0.02


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


def ranked_part(text: str) -> str:
    """What the topic is read from: the question part, or the whole message when its
    question only points back at what was told ("lots of little things, none serious on
    their own. how do i think about that?")."""
    asked = question_part(text)
    return text if asked != text and refers_back(asked) else asked


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


def documents(items: Iterable[GuidanceItem], lexicon: Lexicon | None) -> tuple[str, ...]:
    """Every training document of the ranker once, in its order: what the build encodes."""
    docs = _documents(items, lexicon)
    return tuple(dict.fromkeys(text for topic in sorted(docs) for text in docs[topic]))


class _Meaning:
    """Each topic's documents as sentence vectors; a message's similarity to each topic."""

    def __init__(self, encoder: SentenceEncoder, topics: Sequence[str], texts: Sequence[str],
                 labels: Sequence[str], vectors: Mapping[str, np.ndarray]) -> None:
        kept = [(label, vectors[text]) for text, label in zip(texts, labels) if text in vectors]
        kept.sort(key=lambda pair: topics.index(pair[0]))
        self.encoder = encoder
        self._matrix = np.stack([vector for _, vector in kept])
        order = [topics.index(label) for label, _ in kept]
        self._starts = np.array([order.index(i) for i in range(len(topics))])

    def scores(self, text: str) -> np.ndarray:
        """A probability per topic (in the ranker's order), from the closest document of each."""
        similarity = np.maximum.reduceat(self._matrix @ self.encoder.encode(text), self._starts)
        sharpened = np.exp((similarity - similarity.max()) / MEANING_TEMPERATURE)
        return sharpened / sharpened.sum()


class TopicRanker:
    """Ranks the topics of knowledge/guidance for a message (see the module docstring)."""

    def __init__(self, items: Sequence[GuidanceItem], lexicon: Lexicon | None = None,
                 encoder: SentenceEncoder | None = None, vectors: Mapping[str, np.ndarray] | None = None) -> None:
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
        # Scores are `X @ coef_.T`: in Fortran order the transpose is contiguous, so SciPy does not
        # copy the whole (topics x features) matrix for every message (as in
        # bot/components/logistic_regression.py); the scores are the same.
        classifier.coef_ = np.asfortranarray(classifier.coef_)
        self.topics: tuple[str, ...] = tuple(self._model.classes_)
        self._meaning: _Meaning | None = None
        if encoder is not None and vectors:
            covered = {label for text, label in zip(texts, labels) if text in vectors}
            if covered == set(self.topics):
                self._meaning = _Meaning(encoder, self.topics, texts, labels, vectors)
            else:
                logger.warning("the topic vectors miss %d topic(s): rebuild the knowledge; ranking on words alone",
                               len(set(self.topics) - covered))
        self._analyse = words.build_analyzer()
        self._vocabulary = frozenset(w for w in words.vocabulary_ if " " not in w) - ENGLISH_STOP_WORDS

    @property
    def reads_meaning(self) -> bool:
        """Whether the ranking reads meaning (the sentence model and every topic's vectors are there)."""
        return self._meaning is not None

    def knows(self, text: str) -> bool:
        """Whether `text` has a word, other than a stop word, that some topic's questions use.
        The classifier always ranks every topic, even for "qwxz plorb" or the weather:
        only a message with such a word gets topics offered without the NLU's say-so."""
        return any(w in self._vocabulary for w in self._analyse(ranked_part(text)))

    def likely(self, text: str, limit: int = 3) -> list[str]:
        """The topics worth offering as "did you mean" for `text` (perhaps none)."""
        if not self.knows(text):
            return []
        return offered(self.rank(text, limit))

    def rank(self, text: str, limit: int = 3) -> list[RankedTopic]:
        """The `limit` likeliest topics for `text`, best first."""
        asked = ranked_part(text)
        probabilities = self._model.predict_proba([asked])[0]
        if self._meaning is not None and probabilities.max() < MEANING_BELOW:
            probabilities = (1 - MEANING_WEIGHT) * probabilities + MEANING_WEIGHT * self._meaning.scores(asked)
        best = np.argsort(probabilities)[::-1][:limit]
        return [RankedTopic(self.topics[i], float(probabilities[i])) for i in best]


def vectors_path(db: Path) -> Path:
    """Where the knowledge build keeps the topics' document vectors for database `db`."""
    return db.with_name(f"{db.stem}.vectors.npz")


def _read_vectors(path: Path) -> dict[str, np.ndarray]:
    """The vectors written by `write_vectors` for the pinned model ({} when absent or for another model)."""
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        if str(data["model"]) != MODEL_SHA256:
            return {}
        return dict(zip((str(t) for t in data["texts"]), data["vectors"]))


def write_vectors(store: KnowledgeStore, encoder: SentenceEncoder, reuse: Sequence[Path] = ()) -> int:
    """Encode every document of the topic ranker into `vectors_path(store.path)`, reusing the
    vectors of documents that have not changed (there, or in the `reuse` files); returns how
    many were encoded."""
    path = vectors_path(store.path)
    known: dict[str, np.ndarray] = {}
    for earlier in (*reuse, path):
        known.update(_read_vectors(earlier))
    texts = documents(store.guidance(), store.lexicon())
    new = [t for t in texts if t not in known]
    known.update({t: encoder.encode(t) for t in new})
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(temporary, model=np.array(MODEL_SHA256), texts=np.array(texts),
             vectors=np.stack([known[t] for t in texts]))
    os.replace(temporary, path)
    return len(new)


def ranker_for(store: KnowledgeStore) -> TopicRanker:
    """The ranker over `store`'s topics, reading meaning when the model and the vectors are there."""
    encoder = load_encoder()
    vectors = _read_vectors(vectors_path(store.path)) if encoder is not None else {}
    if encoder is not None and not vectors:
        logger.warning("no topic vectors beside %s: rebuild the knowledge; ranking on words alone", store.path.name)
    return TopicRanker(store.guidance(), store.lexicon(), encoder, vectors)


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
