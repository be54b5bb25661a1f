"""Reading a time the practitioner states (bot/stated_time.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.stated_time import LONDON, asks_for_the_number, only_a_time, stated_time

TUESDAY_11AM = datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc)  # 11:00 in London too (GMT)


@pytest.mark.parametrize("text, expected", [
    ("it's 7pm on a Friday", "Fri 04 19:00"),
    ("and if it's the weekend?", "Sat 05 12:00"),
    ("who do I ring tonight", "Tue 01 20:00"),
    ("is the oxfordshire mash open on a friday afternoon?", "Fri 04 15:00"),
    ("what about 19:30", "Tue 01 19:30"),
    ("tomorrow morning", "Wed 02 10:00"),
    ("at 9.15am on monday", "Mon 07 09:15"),  # Monday has passed this week: the next one
    ("same number on Tuesday evening?", "Tue 01 19:00"),  # today
    ("overnight", "Wed 02 02:00"),
    ("at noon", "Tue 01 12:00"),
    ("sundays", "Sun 06 11:00"),  # a day alone keeps the hour of now
    ("friday after 4, mash closed", "Fri 04 16:01"),  # an hour said without pm, in the afternoon
    ("before 5 on thursday", "Thu 03 16:59"),
    ("friday half 4 and the mash has already shut", "Fri 04 16:30"),  # British "half 4": 4.30
    ("half past 5 on thursday", "Thu 03 17:30"),
    ("quarter to 6", "Tue 01 17:45"),
])
def test_stated_times_are_read(text: str, expected: str) -> None:
    stated = stated_time(text, TUESDAY_11AM)
    assert stated is not None and stated.when.strftime("%a %d %H:%M") == expected
    assert stated.when.tzinfo is not None and stated.said


@pytest.mark.parametrize("text", [
    "and out of hours?", "number for the SPA", "I sat with her", "we were out in the sun", "she's 7",
    "he is 12 months", "call 0345 050 7666", "right now", "at 7 amazing", "13pm", "",
    "after 4 years in care", "before 3 visits", "after 9", "half 4 years old", "a quarter 3", "half 12",
])
def test_no_time_is_read_where_none_is_stated(text: str) -> None:
    assert stated_time(text, TUESDAY_11AM) is None


def test_the_time_is_read_in_uk_time_in_summer() -> None:
    """At 10:00 UTC in July it is 11:00 in London: "7pm" is 19:00 London time."""
    stated = stated_time("7pm", datetime(2026, 7, 7, 10, 0, tzinfo=timezone.utc))
    assert stated is not None and stated.when.utcoffset() is not None
    assert stated.when.astimezone(LONDON).strftime("%H:%M %d") == "19:00 07"


@given(st.text(max_size=200))
def test_any_text_gives_a_time_in_the_coming_week_or_none(text: str) -> None:
    stated = stated_time(text, TUESDAY_11AM)
    if stated is not None:
        assert 0 <= (stated.when - TUESDAY_11AM).total_seconds() + 11 * 3600 <= 8 * 24 * 3600


@pytest.mark.parametrize(("text", "asks"), [
    ("what's the number there?", True),
    ("and whats the number for that", True),
    ("who do I ring then?", True),
    ("what's the number for the MASH in Coventry", False),
    ("who do I call about a baby who is always hungry", False),
])
def test_a_follow_up_that_only_asks_for_the_number(text: str, asks: bool) -> None:
    assert asks_for_the_number(text) is asks


def test_the_daytime_one_is_a_time() -> None:
    assert only_a_time("the daytime one?", TUESDAY_11AM)
