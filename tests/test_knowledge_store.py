"""The store over a database built from the real knowledge/: contacts, lookups, search."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.build import build
from bot.knowledge.models import SearchHit
from bot.knowledge.store import KnowledgeStore, KnowledgeUnavailable
from tests.test_knowledge_support import KNOWLEDGE, copy_minimal, read, write

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeStore]:
    db = tmp_path_factory.mktemp("kb") / "knowledge.db"
    build(KNOWLEDGE, db, TODAY)
    opened = KnowledgeStore.open(db)
    yield opened
    opened.close()


# (area, local time in Europe/London, expected phone now, expected in office hours)
# One BST date (June 2026) and one GMT date (November 2026) for each case.
CONTACTS = [
    ("kingston_richmond", datetime(2026, 6, 15, 11, 0), "020 8547 5008", True),
    ("kingston_richmond", datetime(2026, 11, 23, 11, 0), "020 8547 5008", True),
    ("kingston_richmond", datetime(2026, 6, 20, 2, 0), "020 8770 5000", False),
    ("kingston_richmond", datetime(2026, 11, 28, 2, 0), "020 8770 5000", False),
    ("kingston_richmond", datetime(2026, 11, 23, 17, 0), "020 8770 5000", False),
    ("oxfordshire", datetime(2026, 6, 19, 16, 30), "0800 833 408", False),
    ("oxfordshire", datetime(2026, 11, 27, 16, 30), "0800 833 408", False),
    ("oxfordshire", datetime(2026, 6, 18, 16, 30), "0345 050 7666", True),
    ("oxfordshire", datetime(2026, 11, 26, 16, 30), "0345 050 7666", True),
    ("oxfordshire", datetime(2026, 11, 27, 8, 30), "0345 050 7666", True),
    ("oxfordshire", datetime(2026, 11, 27, 8, 29), "0800 833 408", False),
    ("wakefield", datetime(2026, 6, 15, 11, 0), "0345 8 503 503", True),
    ("wakefield", datetime(2026, 11, 23, 11, 0), "0345 8 503 503", True),
    ("wakefield", datetime(2026, 6, 20, 2, 0), None, False),
    ("wakefield", datetime(2026, 11, 28, 2, 0), None, False),
    ("coventry", datetime(2026, 6, 15, 11, 0), "024 7678 8555", True),
    ("coventry", datetime(2026, 11, 23, 20, 0), "024 7683 2222", False),
    ("wandsworth", datetime(2026, 6, 15, 11, 0), None, True),
    ("wandsworth", datetime(2026, 11, 23, 11, 0), None, True),
    ("wandsworth", datetime(2026, 6, 20, 2, 0), "020 8871 6000", False),
    ("wandsworth", datetime(2026, 11, 28, 2, 0), "020 8871 6000", False),
]


@pytest.mark.parametrize("area_id, local, phone, in_hours", CONTACTS)
def test_contacts_route_by_area_and_time(
    store: KnowledgeStore, area_id: str, local: datetime, phone: str | None, in_hours: bool
) -> None:
    plan = store.contacts(area_id, local.replace(tzinfo=LONDON))
    assert plan.in_office_hours is in_hours
    assert plan.now_route.phone == phone
    assert plan.now_route.key == ("front_door" if in_hours else "out_of_hours")
    assert plan.emergency.phone == "999"
    assert plan.non_emergency.phone == "101"
    assert plan.nspcc.phone == "0808 800 5000"
    assert plan.needs_area is False
    if phone is None:
        assert plan.now_route.fallback and "not known" in plan.now_route.fallback
        assert "999" in plan.now_route.fallback


def test_wakefield_out_of_hours_falls_back_to_the_front_door(store: KnowledgeStore) -> None:
    plan = store.contacts("wakefield", datetime(2026, 11, 28, 2, 0, tzinfo=LONDON))
    assert plan.now_route.phone is None
    assert "Integrated Front Door on 0345 8 503 503" in (plan.now_route.fallback or "")


@pytest.mark.parametrize(
    "utc, in_hours",
    [
        (datetime(2026, 6, 15, 8, 30, tzinfo=timezone.utc), True),  # 09:30 BST
        (datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc), False),  # 08:30 GMT
        (datetime(2026, 6, 15, 16, 30, tzinfo=timezone.utc), False),  # 17:30 BST
        (datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc), True),  # 16:30 GMT
    ],
)
def test_contacts_convert_to_london_time(store: KnowledgeStore, utc: datetime, in_hours: bool) -> None:
    plan = store.contacts("kingston_richmond", utc)
    assert plan.in_office_hours is in_hours
    assert plan.local_time.tzinfo is not None and plan.local_time.utcoffset() == utc.astimezone(LONDON).utcoffset()


def test_contacts_without_area_give_national_routes_only(store: KnowledgeStore) -> None:
    plan = store.contacts(None, datetime(2026, 11, 23, 11, 0, tzinfo=LONDON))
    assert plan.needs_area is True
    assert plan.area is None and plan.front_door is None and plan.out_of_hours is None
    assert plan.now_route.phone == "0808 800 5000"
    assert plan.emergency.phone == "999"
    assert store.contacts("atlantis", datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)).needs_area is True


def test_contacts_refuse_a_naive_time(store: KnowledgeStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.contacts("coventry", datetime(2026, 11, 23, 11, 0))


def test_office_hours_are_flagged_when_assumed(store: KnowledgeStore) -> None:
    when = datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)
    assert store.contacts("oxfordshire", when).office_hours_known is True
    for area_id in ("kingston_richmond", "wakefield", "coventry", "wandsworth"):
        plan = store.contacts(area_id, when)
        assert plan.office_hours_known is False
        assert "assumes weekdays 9.00–17.00" in plan.office_hours_note


def test_every_area_has_all_four_routes_with_a_phone_or_a_fallback(store: KnowledgeStore) -> None:
    for area in store.areas():
        plan = store.contacts(area.id, datetime(2026, 11, 23, 11, 0, tzinfo=LONDON))
        for route in (plan.front_door, plan.out_of_hours, plan.early_help, plan.escalation):
            assert route is not None, area.id
            assert route.phone or route.fallback, (area.id, route.key)
            assert route.citation


@pytest.mark.parametrize(
    "text, area_id",
    [
        ("I'm in Richmond", "kingston_richmond"),
        ("a Wakefield school", "wakefield"),
        ("kingston_richmond", "kingston_richmond"),
        ("Kingston & Richmond", "kingston_richmond"),
        ("kingston and richmond", "kingston_richmond"),
        ("TWICKENHAM!", "kingston_richmond"),
        ("Oxon", "oxfordshire"),
        ("nursery in Henley-on-Thames", "oxfordshire"),
        ("coventry", "coventry"),
        ("we're based in Tooting", "wandsworth"),
        ("Wakefield or Coventry?", None),
        ("Leeds", None),
        ("", None),
        ("!!!", None),
    ],
)
def test_resolve_area(store: KnowledgeStore, text: str, area_id: str | None) -> None:
    area = store.resolve_area(text)
    assert (area.id if area else None) == area_id


def test_items_for_topic_puts_general_items_before_area_ones(store: KnowledgeStore) -> None:
    general = [i.id for i in store.items_for_topic("figures")]
    assert general[0] == "figures_national"
    assert "figures_wandsworth" not in general and "figures_oxfordshire" not in general
    local = [i.id for i in store.items_for_topic("figures", "wandsworth")]
    assert local[: len(general)] == general
    assert local[len(general):] == ["figures_wandsworth"]
    assert store.items_for_topic("nothing") == []


def test_item_and_citation(store: KnowledgeStore) -> None:
    item = store.item("types")
    assert item is not None
    assert item.citation == "Coventry Neglect Toolkit — Types of neglect"
    assert store.item("nope") is None


def test_cite(store: KnowledgeStore) -> None:
    assert store.cite("coventry_toolkit", "Early help") == "Coventry Neglect Toolkit — Early help"
    assert store.cite("wandsworth_strategy") == "Wandsworth Neglect Strategy 2021–2023"
    assert store.cite("nope", "Somewhere") == "nope — Somewhere"


def test_level_is_resolved_for_an_area(store: KnowledgeStore) -> None:
    level = store.level(4, "coventry")
    assert level.name.startswith("Specialist")
    routes = {step.route_key: step.route for step in level.next_steps}
    assert routes["emergency"] is not None and routes["emergency"].phone == "999"
    assert routes["front_door"] is not None and routes["front_door"].phone == "024 7678 8555"
    unresolved = store.level(4, None)
    assert {s.route_key: s.route for s in unresolved.next_steps}["front_door"] is None


def test_area_can_rename_levels(tmp_path: Path) -> None:
    knowledge = copy_minimal(tmp_path / "knowledge")
    area = read(knowledge / "areas" / "testshire.yml")
    area["level_names"] = {3: "Child in need (Testshire level 3)"}
    write(knowledge / "areas" / "testshire.yml", area)
    build(knowledge, tmp_path / "k.db", TODAY)
    store = KnowledgeStore.open(tmp_path / "k.db")
    assert store.level(3, "testshire").name == "Child in need (Testshire level 3)"
    assert store.level(3, None).name == "Targeted / complex needs (child in need)"
    assert store.level(2, "testshire").name == "Early help (additional needs)"


@pytest.mark.parametrize(
    "text, guide_id",
    [
        ("crying shame", "crying_shame_report"),
        ("Was not brought one minute guide", "coventry_omg_was_not_brought"),
        ("coventry_omg_gcp2", "coventry_omg_gcp2"),
        ("show me the OSCB neglect portal please", "oxfordshire_neglect_portal"),
    ],
)
def test_find_guide(store: KnowledgeStore, text: str, guide_id: str) -> None:
    guide = store.find_guide(text)
    assert guide is not None and guide.id == guide_id


def test_guides_by_area(store: KnowledgeStore) -> None:
    areas = {g.area for g in store.guides("wakefield")}
    assert areas == {"all", "wakefield"}
    assert len(store.guides()) > len(store.guides("wakefield"))
    assert store.find_guide("") is None


@pytest.mark.parametrize(
    "text, role_id",
    [("I'm a health visitor", "health_visitor"), ("DSL", "school"), ("GP", "gp"), ("nursery", "early_years"), ("astronaut", None)],
)
def test_role(store: KnowledgeStore, text: str, role_id: str | None) -> None:
    role = store.role(text)
    assert (role.id if role else None) == role_id


def test_lexicon(store: KnowledgeStore) -> None:
    lexicon = store.lexicon()
    assert lexicon.term("WNB") == "was_not_brought"
    assert lexicon.term("unknown words") is None
    assert "spa" in next(e.phrases for e in lexicon.routes if e.target == "front_door")


def test_stale_and_meta(store: KnowledgeStore) -> None:
    stale = store.stale(TODAY)
    assert "wandsworth.front_door" in stale and "gcp2" in stale
    assert "definition" not in stale and "kingston_richmond.front_door" not in stale
    assert store.stale(date(2020, 1, 1)) == []
    meta = store.meta()
    assert len(meta["content_hash"]) == 64 and meta["built_at"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("what should I check in a child's bedroom on a home visit", "home_visits"),
        ("how do I escalate if I disagree with another agency?", "escalation"),
        ("what factors contribute to neglect", "factors"),
    ],
)
def test_search_finds_the_answer(store: KnowledgeStore, text: str, expected: str) -> None:
    assert expected in [hit.id for hit in store.search(text, limit=3)]


HOSTILE = [
    "",
    " ",
    '"',
    '""""',
    "'",
    "(",
    ")",
    "((((",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "a AND OR NOT b",
    "NEAR(neglect, 2)",
    "neglect*",
    "*",
    "title:neglect",
    ":",
    "^neglect",
    "-neglect",
    "neglect -",
    "{title summary}: neglect",
    "neglect\x00\x01\x1f",
    "\u202eneglect\u202c",
    "إهمال الأطفال",
    "הזנחה",
    "🙂🙃💥",
    "😀 neglect 😀",
    "\uffff",
    "x" * 10_000,
    "neglect " * 2_000,
    "'; DROP TABLE guidance; --",
    "<script>alert(1)</script>",
    "%s %d {0}",
    "\\",
    "_",
    "__init__",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_search_accepts_hostile_text(store: KnowledgeStore, text: str) -> None:
    hits = store.search(text)
    assert isinstance(hits, list) and len(hits) <= 5
    assert all(isinstance(hit, SearchHit) for hit in hits)
    guide = store.find_guide(text)
    assert guide is None or guide.id


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), limit=st.integers(min_value=-5, max_value=100))
def test_search_never_raises(store: KnowledgeStore, text: str, limit: int) -> None:
    hits = store.search(text, limit=limit)
    assert isinstance(hits, list)
    assert len(hits) <= max(limit, 0)
    area = store.resolve_area(text)
    assert area is None or area.id in {a.id for a in store.areas()}


def test_store_is_read_only(store: KnowledgeStore) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._db.execute("DELETE FROM guidance")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "is missing"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"this is not a database" * 100), "corrupt"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE meta (key, value)").connection.commit(), "incomplete"),
    ],
    ids=["missing", "empty", "not sqlite", "missing tables"],
)
def test_open_refuses_a_bad_database(tmp_path: Path, make: Callable[[Path], object], message: str) -> None:
    path = tmp_path / "knowledge.db"
    make(path)
    with pytest.raises(KnowledgeUnavailable, match=message) as raised:
        KnowledgeStore.open(path)
    assert "python -m bot.knowledge build" in str(raised.value)


def test_open_refuses_a_database_without_content(tmp_path: Path, store: KnowledgeStore) -> None:
    path = tmp_path / "knowledge.db"
    shutil.copy(store.path, path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM guidance")
    with pytest.raises(KnowledgeUnavailable, match="has no content"):
        KnowledgeStore.open(path)


def test_editing_a_phone_number_changes_contacts_after_rebuild(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    for path in knowledge.rglob("*.yml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("020 8547 5008", "020 8547 5009"), encoding="utf-8")
    db = tmp_path / "knowledge.db"
    build(knowledge, db, TODAY)
    plan = KnowledgeStore.open(db).contacts("kingston_richmond", datetime(2026, 11, 23, 11, 0, tzinfo=LONDON))
    assert plan.now_route.phone == "020 8547 5009"
