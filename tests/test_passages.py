"""The passage of an answer's detail brought forward for the question asked (bot/passages.py)."""
from __future__ import annotations

from datetime import date

from bot.knowledge.models import GuidanceItem
from bot.passages import best_passage, passages

DETAIL = """A guide to home visits:
- Kitchen: ask what's for dinner. Accept offers of drinks: it shows the cleanliness of cups.
- Bedrooms: see where each child sleeps, and the bedding.

Top tip 5: visit the child in different places and at different times."""
ITEM = GuidanceItem(id="home_visits", topic="home_visits", title="A guide to home visits",
                    summary="Visits should be planned, and some unannounced.", sources=(),
                    review_date=date(2027, 1, 1), detail=DETAIL)


def test_the_detail_is_cut_into_paragraphs_and_list_items() -> None:
    assert passages(DETAIL) == [
        "A guide to home visits:",
        "Kitchen: ask what's for dinner. Accept offers of drinks: it shows the cleanliness of cups.",
        "Bedrooms: see where each child sleeps, and the bedding.",
        "Top tip 5: visit the child in different places and at different times.",
    ]


def test_the_passage_that_holds_the_fact_asked_for_comes_forward() -> None:
    assert best_passage(ITEM, "should I accept a cup of tea on a home visit?").startswith("Kitchen")
    assert best_passage(ITEM, "do I need to check where the kids sleep").startswith("Bedrooms")


def test_a_general_question_gets_the_short_answer_alone() -> None:
    assert best_passage(ITEM, "tips for home visits") is None
    assert best_passage(ITEM, "home visits") is None
    assert best_passage(ITEM, "what about the weather") is None


def test_an_item_without_detail_has_no_passage() -> None:
    bare = GuidanceItem(id="x", topic="x", title="X", summary="S.", sources=(), review_date=date(2027, 1, 1))
    assert best_passage(bare, "should I accept a cup of tea") is None
