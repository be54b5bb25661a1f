"""The triage form's flow without a tracker: order, answers, back, skip, multi-select."""
from __future__ import annotations

from bot import triage_form as form
from bot.triage_flow import default_questions

QUESTIONS = default_questions()
NEED_SLOTS = [q.slot for q in QUESTIONS.questions if q.domain]


def test_the_order_starts_with_area_danger_and_role_then_the_questions_that_apply() -> None:
    order = form.required_slots({})
    assert order[:3] == [form.AREA, form.DANGER, form.ROLE]
    assert order.index("triage_age_band") < order.index("triage_need_nutrition") < order.index("triage_impact")


def test_a_child_in_danger_needs_only_the_area() -> None:
    assert form.required_slots({form.DANGER: "yes"}) == [form.AREA, form.DANGER]


def test_the_age_decides_which_needs_are_asked() -> None:
    unborn = form.required_slots({"triage_age_band": "unborn"})
    born = form.required_slots({"triage_age_band": "5_11"})
    assert "triage_need_prenatal" in unborn and "triage_need_nutrition" not in unborn
    assert "triage_need_prenatal" not in born and "triage_need_nutrition" in born


def test_readings_waiting_for_confirmation_are_not_asked_and_the_check_comes_last() -> None:
    waiting = {"age_band": {"value": "1_4"}, "needs.health": {"value": "mostly_unmet"}}
    order = form.required_slots({form.PENDING: waiting})
    assert "triage_age_band" not in order and "triage_need_health" not in order
    assert "triage_need_nutrition" in order and order[-1] == form.CHECK


def test_answers_set_their_slots_and_a_new_age_clears_the_needs_that_no_longer_apply() -> None:
    slots = {"triage_age_band": "5_11", "triage_need_nutrition": "unmet"}
    updates = form.answer_updates({"age_band": "unborn"}, slots)
    assert updates == {"triage_age_band": "unborn", "triage_need_nutrition": None}


def test_factors_from_a_description_join_the_selection() -> None:
    slots = {form.FACTORS_SELECTED: ["poverty_or_housing"]}
    updates = form.answer_updates({"factors": ["domestic_abuse", "poverty_or_housing"]}, slots)
    assert updates == {form.FACTORS_SELECTED: ["poverty_or_housing", "domestic_abuse"]}
    closed = {**slots, form.FACTORS: ["poverty_or_housing"]}
    assert form.answer_updates({"factors": ["domestic_abuse"]}, closed)[form.FACTORS] == [
        "poverty_or_housing", "domestic_abuse"]


def test_back_clears_the_previous_answer_and_asks_it_again() -> None:
    slots = {form.AREA: "coventry", form.DANGER: "no", form.ROLE: "teacher", "triage_age_band": "5_11"}
    updates = form.back(slots, "triage_disabled")
    assert updates is not None and updates["triage_age_band"] is None
    assert updates["requested_slot"] == "triage_age_band"
    assert all(updates[slot] is None for slot in NEED_SLOTS if slot in updates)


def test_back_at_the_first_question_has_nothing_to_go_back_to() -> None:
    assert form.back({}, form.AREA) is None


def test_skip_gives_not_known_where_the_rubric_allows_it() -> None:
    assert form.skip({}, form.ROLE) == {form.ROLE: form.NO_ROLE}
    assert form.skip({}, "triage_duration") == {"triage_duration": "unknown"}
    assert form.skip({form.FACTORS_SELECTED: ["known_history"]}, form.FACTORS) == {form.FACTORS: ["known_history"]}
    assert form.skip({}, form.AREA) is None  # the area is needed for the contacts


def test_the_multi_select_adds_factors_until_done() -> None:
    updates, message = form.add_factors("factors", "domestic abuse", {})
    assert message is None and updates == {form.FACTORS: None, form.FACTORS_SELECTED: ["domestic_abuse"]}
    done, _ = form.add_factors("factors", "none", {form.FACTORS_SELECTED: ["domestic_abuse"]})
    assert done == {form.FACTORS: ["domestic_abuse"], form.FACTORS_SELECTED: ["domestic_abuse"]}
    unread, why = form.add_factors("factors", "purple elephants", {})
    assert unread == {form.FACTORS: None} and why


def test_an_answer_to_the_next_question_skips_the_optional_role() -> None:
    slots = {form.AREA: "coventry", form.DANGER: "no"}
    assert form.answer_for_next("she's 8 months old", slots) == {"triage_age_band": "under_1"}
    assert form.answer_for_next("purple elephants", slots) == {}


def test_a_new_triage_clears_the_answers_but_not_the_area_or_role() -> None:
    cleared = form.cleared()
    assert form.AREA not in cleared and form.ROLE not in cleared
    assert set(cleared.values()) == {None} and "triage_impact" in cleared and form.PENDING in cleared
