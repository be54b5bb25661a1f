"""The topic ranker (bot/topics.py) and the reading of explicit questions (bot/answers.py)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot import embedding, topics
from bot.answers import asked_sentences, asks_for_guidance
from bot.embedding import SentenceEncoder, load_encoder
from bot.knowledge.models import GuidanceItem, Lexicon, LexiconEntry
from bot.topics import (
    INTENT,
    MEANING_BELOW,
    TopicRanker,
    _read_vectors,
    documents,
    ranker_for,
    vectors_path,
    write_vectors,
    describes_more,
    is_sure,
    nlu_training_data,
    question_part,
    ranked_part,
    refers_back,
    with_last_topic,
)


def item(id_: str, topic: str, questions: tuple[str, ...] = (), title: str = "", area: str = "all") -> GuidanceItem:
    return GuidanceItem(id=id_, topic=topic, title=title or id_, summary="An answer.", sources=(),
                        review_date=date(2027, 1, 1), area=area, questions=questions)


ITEMS = [
    item("poverty", "poverty", ("is being poor the same as neglect", "neglect or poverty", "low income families",
                                "can a family be poor but not neglectful", "money worries and neglect")),
    item("poverty_reviews", "poverty", title="What case reviews say about poverty"),
    item("home_visits", "home_visits", ("tips for a home visit", "what to look for on a home visit",
                                        "should i see the bedrooms", "unannounced visits", "visiting the house")),
    item("was_not_brought", "was_not_brought", ("missed health appointments", "what does was not brought mean",
                                                "child not taken to the dentist", "why not say did not attend")),
    item("escalation", "escalation"),  # reached by the navigator: no questions
]
LEXICON = Lexicon(routes=(), terms=(LexiconEntry("was_not_brought", ("wnb", "dna")),))


@pytest.fixture(scope="module")
def ranker() -> TopicRanker:
    return TopicRanker(ITEMS, LEXICON)


def test_only_topics_with_questions_are_ranked(ranker: TopicRanker) -> None:
    assert set(ranker.topics) == {"poverty", "home_visits", "was_not_brought"}


@pytest.mark.parametrize(("text", "topic"), [
    ("is it poverty or is it neglect", "poverty"),
    ("what should i look for when i visit the home", "home_visits"),
    ("wnb?", "was_not_brought"),  # the lexicon's jargon for the topic
    ("mum keeps missing the kids' dentist appointments", "was_not_brought"),
])
def test_the_best_topic(ranker: TopicRanker, text: str, topic: str) -> None:
    ranked = ranker.rank(text)
    assert ranked[0].topic == topic
    assert ranked == sorted(ranked, key=lambda r: -r.score)
    assert 0.0 <= ranked[-1].score <= ranked[0].score <= 1.0


def test_a_case_with_a_question_is_ranked_on_its_question(ranker: TopicRanker) -> None:
    text = "Family on a low income, no money for the electric. What should I look for on a home visit?"
    assert question_part(text) == "What should I look for on a home visit?"
    assert describes_more(text)
    assert ranker.rank(text)[0].topic == "home_visits"


def test_a_question_pointing_back_at_the_case_is_ranked_with_it() -> None:
    text = "He's 14 and the parents say he can cook for himself. Is that neglect at his age?"
    assert ranked_part(text) == text
    assert describes_more(text)  # the case is still offered the "am I worried?" questions
    plain = "Family on a low income. What should I look for on a home visit?"
    assert ranked_part(plain) == "What should I look for on a home visit?"


def test_a_plain_question_is_all_question() -> None:
    assert question_part("is being poor neglect?") == "is being poor neglect?"
    assert not describes_more("is being poor neglect?")
    assert not describes_more("always hungry, never has a coat")  # asks nothing: no question part either


def test_nothing_is_offered_for_words_no_topic_uses(ranker: TopicRanker) -> None:
    assert ranker.likely("qwxz plorb") == []
    assert ranker.likely("the weather is nice") == []
    assert "poverty" in ranker.likely("poverty")


def test_sure_needs_a_likely_best_topic(ranker: TopicRanker) -> None:
    assert not is_sure([])
    assert is_sure(ranker.rank("what does was not brought mean"))


def test_the_ranker_needs_two_topics() -> None:
    with pytest.raises(ValueError):
        TopicRanker(ITEMS[:2])


def test_the_nlu_training_data_is_every_question_once_as_one_intent() -> None:
    doubled = [*ITEMS, item("poverty_again", "poverty", ("Neglect  or poverty",))]
    data = yaml.safe_load(nlu_training_data(doubled))
    assert [block["intent"] for block in data["nlu"]] == [INTENT]
    lines = [line[2:] for line in data["nlu"][0]["examples"].splitlines()]
    assert len(lines) == len({line.lower() for line in lines}) == sum(len(i.questions) for i in ITEMS)
    assert "neglect or poverty" in lines


@pytest.mark.parametrize(("text", "asks"), [
    ("Child in my class has no coat in winter. Which category of neglect would that fall under?", True),
    ("dad works away most of the time. do I need to involve him at all?", True),
    ("I'm worried about a boy in my class, he's always hungry. What should I do?", False),
    ("she's always hungry and dirty. is this neglect?", False),
    ("always hungry, no coat, mum drinks", False),
    ("am I right to be worried? he comes in hungry", False),
    ("am i reading too much into this family's excuses", True),
    ("mum is pregnant again, how do agencies plan for an unborn baby", True),
    ("he's always hungry, what should I do", False),
    ("is it ok to go in when only the teenager is home? the family asked me to", True),  # practice
    ("mum leaves him with his brother. is that ok?", False),
])
def test_an_explicit_question_is_told_from_a_request_for_help(text: str, asks: bool) -> None:
    assert asks_for_guidance(text) is asks


def test_asked_sentences() -> None:
    assert asked_sentences("He is hungry. Mum drinks. What are the signs?") == ["What are the signs?"]
    assert asked_sentences("no question here") == []


def test_a_follow_up_is_about_the_last_topic(ranker: TopicRanker) -> None:
    text = "do I need training to do it?"
    assert with_last_topic(ranker.rank(text), "home_visits", text)[0].topic == "home_visits"
    assert is_sure(with_last_topic(ranker.rank(text), "home_visits", text))


def test_a_new_question_is_not_a_follow_up(ranker: TopicRanker) -> None:
    text = "what does was not brought mean"
    assert with_last_topic(ranker.rank(text), "home_visits", text)[0].topic == "was_not_brought"
    long = "and what about a family on a low income where the parents have both lost their jobs, is it poverty"
    assert not refers_back(long)
    assert with_last_topic(ranker.rank(long), None, long) == ranker.rank(long)


# --- meaning: sentence vectors blended in when the words are unsure ---------------------

def vectors_for(ranker: TopicRanker, encoder: SentenceEncoder) -> dict[str, np.ndarray]:
    return {text: encoder.encode(text) for text in documents(ITEMS, LEXICON)}


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    loaded = load_encoder()
    assert loaded is not None, "the sentence model is installed by set-up (requirements/sentence-model.txt)"
    return loaded


def test_meaning_ranks_what_the_words_miss(ranker: TopicRanker, encoder: SentenceEncoder,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Said with none of a topic's words, a question is ranked by what it means. (The four
    toy topics make the words overconfident, so meaning is read here for every message and
    alone; the project's weights are chosen by cross-validation, see bot/topics.py.)"""
    text = "his jabs were never done"
    assert ranker.rank(text)[0].topic == "poverty"  # the words alone get it wrong
    meaning = TopicRanker(ITEMS, LEXICON, encoder, vectors_for(ranker, encoder))
    monkeypatch.setattr(topics, "MEANING_BELOW", 1.01)
    monkeypatch.setattr(topics, "MEANING_WEIGHT", 1.0)
    assert meaning.rank(text)[0].topic == "was_not_brought"
    assert abs(sum(r.score for r in meaning.rank(text, limit=10)) - 1.0) < 1e-6


def test_meaning_is_read_only_when_the_words_are_unsure(ranker: TopicRanker, encoder: SentenceEncoder) -> None:
    meaning = TopicRanker(ITEMS, LEXICON, encoder, vectors_for(ranker, encoder))
    sure = "what does was not brought mean"
    assert ranker.rank(sure)[0].score >= MEANING_BELOW
    assert meaning.rank(sure) == ranker.rank(sure)


def test_without_every_topic_s_vectors_the_words_rank_alone(ranker: TopicRanker, encoder: SentenceEncoder) -> None:
    home_visits = {*ITEMS[2].questions, ITEMS[2].title}
    some = {t: v for t, v in vectors_for(ranker, encoder).items() if t not in home_visits}
    text = "his jabs were never done"
    partial = TopicRanker(ITEMS, LEXICON, encoder, some)
    assert not partial.reads_meaning and partial.rank(text) == ranker.rank(text)


def test_the_vectors_are_written_once_and_read_back(tmp_path: Path, encoder: SentenceEncoder) -> None:
    class Store:  # the two methods of KnowledgeStore the ranker reads, and its path
        path = tmp_path / "knowledge.db"

        def guidance(self) -> list[GuidanceItem]:
            return ITEMS

        def lexicon(self) -> Lexicon:
            return LEXICON

    store = Store()
    texts = documents(ITEMS, LEXICON)
    assert write_vectors(store, encoder) == len(texts)  # type: ignore[arg-type]
    assert write_vectors(store, encoder) == 0  # type: ignore[arg-type]  # nothing changed: nothing encoded
    read = _read_vectors(vectors_path(store.path))
    assert set(read) == set(texts)
    assert np.allclose(read[texts[0]], encoder.encode(texts[0]))
    assert ranker_for(store).reads_meaning  # type: ignore[arg-type]


def test_the_sentence_model_reads_meaning(encoder: SentenceEncoder) -> None:
    hungry = encoder.encode("she's often hungry and mum forgets feeds")
    assert abs(float(np.linalg.norm(hungry)) - 1.0) < 1e-5
    assert float(hungry @ encoder.encode("the child is not given enough food")) > 0.4
    assert float(hungry @ encoder.encode("what time does the football start")) < 0.2


def test_a_sentence_model_that_does_not_match_its_hash_is_not_used(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    monkeypatch.setattr(embedding, "model_dir", lambda: tmp_path)
    embedding.load_encoder.cache_clear()
    try:
        assert embedding.load_encoder() is None
    finally:
        monkeypatch.undo()
        embedding.load_encoder.cache_clear()


def test_the_weights_are_stored_so_that_scoring_copies_nothing(ranker: TopicRanker) -> None:
    classifier = ranker._model.steps[-1][1]
    assert classifier.coef_.flags["F_CONTIGUOUS"]  # its transpose, which scores a message, is contiguous
    features = ranker._model.steps[0][1].transform(["tips for a first home visit"])
    expected = features @ np.ascontiguousarray(classifier.coef_).T + classifier.intercept_
    assert np.allclose(classifier.decision_function(features), expected)
