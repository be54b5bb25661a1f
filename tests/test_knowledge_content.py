"""The real knowledge/: complete, valid, sourced, and saying what the sources say."""

from __future__ import annotations

import re
import warnings
from datetime import date

import pytest

from bot.knowledge.loader import load
from bot.knowledge.models import Knowledge
from bot.knowledge.validate import validate
from tests.test_knowledge_support import KNOWLEDGE, SEEDS, read

TODAY = date(2026, 11, 22)

# The topics the assistant answers from knowledge/guidance (the product brief's list).
TOPICS = [
    "definition", "types", "signs", "factors", "impact", "cumulative_harm", "adolescents",
    "disabled_children", "pre_birth", "babies", "home_visits", "top_tips", "was_not_brought",
    "start_again", "professional_curiosity", "voice_of_child", "reluctant_engagement", "fathers",
    "information_sharing", "chronology", "gcp2", "figures", "pathways", "practice_themes", "poverty",
    "affluent", "case_study", "toolkit", "escalation", "levels", "early_help", "other_abuse",
    "role_guidance",
]
# The escalation items are reached by the escalation navigator's own intent, not as a question.
NAVIGATED = {"escalation"}
# Fewer example questions than this and a topic is too thin to be found reliably.
MIN_QUESTIONS = 40


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load(KNOWLEDGE)


def test_real_knowledge_validates_without_errors() -> None:
    report = validate(KNOWLEDGE, TODAY)
    assert report.errors == []


def test_wandsworth_content_shows_as_stale() -> None:
    """The Wandsworth strategy was due for review in October 2023."""
    warnings = validate(KNOWLEDGE, TODAY).warnings
    assert any(w.startswith("guidance/gcp2.yml: gcp2: review_date 2023-10-01 is past") for w in warnings)


def need_seeds() -> None:
    if not SEEDS.is_dir():
        warnings.warn(f"SKIPPED LOUDLY: the source documents ({SEEDS}) are not beside this checkout")
        pytest.skip(f"{SEEDS} not present")


def test_every_seed_is_cited(knowledge: Knowledge) -> None:
    need_seeds()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert seeds, "no seed documents"
    assert len(seeds) == len({d.file for d in knowledge.documents if d.file and d.file.endswith(".txt")})
    doc_for_file = {d.file: d.id for d in knowledge.documents}
    cited = {s.doc for item in knowledge.guidance for s in item.sources}
    cited |= {s.doc for guide in knowledge.guides for s in guide.sources}
    for seed in seeds:
        assert seed in doc_for_file, f"{seed} has no entry in sources.yml"
        assert doc_for_file[seed] in cited, f"no guidance or guide cites {seed}"


def test_every_topic_has_an_answer(knowledge: Knowledge) -> None:
    topics = {item.topic for item in knowledge.guidance}
    assert [t for t in TOPICS if t not in topics] == []


def test_every_topic_asked_as_a_question_has_enough_example_questions(knowledge: Knowledge) -> None:
    asked: dict[str, int] = {}
    for item in knowledge.guidance:
        asked[item.topic] = asked.get(item.topic, 0) + len(item.questions)
    thin = {t: n for t, n in asked.items() if t not in NAVIGATED and n < MIN_QUESTIONS}
    assert thin == {}
    assert all(asked[t] == 0 for t in NAVIGATED), "the navigator's topics are not questions"


@pytest.mark.parametrize(
    "item_id, phrases",
    [
        ("definition", ["persistent failure to meet a child's basic physical and/or psychological needs"]),
        ("types", ["medical", "nutritional", "emotional", "educational", "physical",
                   "lack of supervision and guidance", "pre-natal"]),
        ("factors", ["domestic abuse", "alcohol", "drug"]),
        ("home_visits", ["bedding", "mattress", "smell"]),
        ("was_not_brought", ["was not brought", "did not attend"]),
        ("gcp2", ["Always met", "Met,", "Met most of the time", "Not met most of the time", "Never met",
                  "licensed", "one-day training"]),
        ("figures_national", ["60%", "7 per cent", "35 per cent", "34 per cent", "2020-2021"]),
        ("figures_triennial_review", ["208 of 278", "19%", "11%", "42%", "64%"]),
        ("figures_child_protection_plans_england", ["26,010", "31 March 2020"]),
        ("figures_oxfordshire", ["69%"]),
        ("figures_wandsworth", ["56%", "August 2021", "23%"]),
        ("adolescents", ["at least as strong"]),
        ("disabled_children", ["Would this situation be acceptable if the child was not disabled?"]),
        ("role_gp", ["Primary Care Statement of best safeguarding practice"]),
    ],
)
def test_summaries_say_what_practitioners_need_first(knowledge: Knowledge, item_id: str, phrases: list[str]) -> None:
    item = next(i for i in knowledge.guidance if i.id == item_id)
    for phrase in phrases:
        assert phrase.lower() in item.summary.lower(), (item_id, phrase)


def test_summaries_are_short(knowledge: Knowledge) -> None:
    for item in knowledge.guidance:
        sentences = [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z\"'])", item.summary.strip()) if s]
        assert 1 <= len(sentences) <= 4, (item.id, len(sentences))


@pytest.mark.parametrize("detail_of, listed", [("top_tips", 18), ("pathways", 8), ("practice_themes", 6)])
def test_lists_are_complete(knowledge: Knowledge, detail_of: str, listed: int) -> None:
    detail = next(i for i in knowledge.guidance if i.id == detail_of).detail or ""
    numbered = re.findall(r"^\s*(\d+)\. ", detail, flags=re.M)
    bullets = re.findall(r"^\s*- ", detail, flags=re.M)
    assert len(numbered) == listed or len(bullets) == listed


def test_one_role_item_per_role_group(knowledge: Knowledge) -> None:
    roles = {i.role for i in knowledge.guidance if i.topic == "role_guidance"}
    assert {"health_visitor", "gp", "school", "police", "early_help_worker", "social_worker"} <= roles


def test_contacts_match_the_sources(knowledge: Knowledge) -> None:
    """Every number comes from a seed or contacts-sourced.md; unknown ones are null with a fallback."""
    routes = {(a.id, k): r for a in knowledge.areas for k, r in a.routes.items()}
    expected = {
        ("kingston_richmond", "front_door"): "020 8547 5008",
        ("kingston_richmond", "out_of_hours"): "020 8770 5000",
        ("wakefield", "front_door"): "0345 8 503 503",
        ("wakefield", "out_of_hours"): None,
        ("oxfordshire", "front_door"): "0345 050 7666",
        ("oxfordshire", "out_of_hours"): "0800 833 408",
        ("coventry", "front_door"): "024 7678 8555",
        ("coventry", "out_of_hours"): "024 7683 2222",
        ("wandsworth", "front_door"): None,
        ("wandsworth", "out_of_hours"): "020 8871 6000",
    }
    for key, phone in expected.items():
        assert routes[key].phone == phone, key
    national = {r.key: r.phone for r in knowledge.national}
    assert national == {"emergency": "999", "non_emergency": "101", "nspcc": "0808 800 5000", "childline": "0800 1111",
                        "nhs_111": "111", "adult_social_care": None}
    nspcc = next(r for r in knowledge.national if r.key == "nspcc")
    assert nspcc.note and "hours differ" in nspcc.note


# Numbers read on a public page rather than in the seeds or contacts-sourced.md:
# the route must cite that page with the date it was checked.
WEB_SOURCED = {"111": "neas.nhs.uk/your-service/111"}


def test_every_phone_appears_in_a_source() -> None:
    """No invented numbers: each phone in knowledge/ is printed in a seed or in contacts-sourced.md,
    or (WEB_SOURCED) cited from a public page with its check date."""
    need_seeds()
    sources = " ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    sources += (SEEDS.parent / "reference" / "contacts-sourced.md").read_text(encoding="utf-8")
    printed = {re.sub(r"\D", "", m) for m in re.findall(r"\d[\d ]{1,14}\d", sources)}
    routes = list(read(KNOWLEDGE / "national.yml"))  # type: ignore[call-overload]
    for path in (KNOWLEDGE / "areas").glob("*.yml"):
        routes += list(read(path)["routes"].values())  # type: ignore[index]
    for route in routes:
        phone = route.get("phone")
        if phone is None:
            continue
        if phone in WEB_SOURCED:
            cited = [s for s in route["sources"] if s.get("url") == WEB_SOURCED[phone]]
            assert cited and all(s.get("checked") for s in cited), phone
        else:
            assert phone.replace(" ", "") in printed, phone


def test_links_are_never_placeholders(knowledge: Knowledge) -> None:
    for guide in knowledge.guides:
        assert guide.url is None or "#" not in guide.url
        if guide.url is None:
            assert guide.more.strip(), guide.id
