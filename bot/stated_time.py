"""A time the practitioner states ("it's 7pm on a Friday", "at the weekend", "tonight").

Contacts depend on the time: the front door in office hours, the out-of-hours
team otherwise. A practitioner planning ahead, or asking for a colleague,
says the time they mean; `stated_time` reads it so that the route is the one
for that time, and the reply says which time it used. What is not said is
taken from `now`: a day alone keeps the hour of `now` unless a part of the day
is given ("Friday afternoon"), a time alone is today's. An hour from 1 to 7 with
no am or pm after "after", "past", "gone" or "before" ("friday after 4") is
read as the afternoon or evening one, just after or just before it. A day already past
this week is the next one. Bank holidays are not read: the areas' office hours
do not know them (their notes say so), so the reply for "now" is given and the
note shows.

All times are UK times (Europe/London), as the office hours are.

`only_a_time` tells a follow-up that is nothing but a time ("and at the
weekend?", "what about 7pm on a Friday") from a message that mentions one
("since the weekend", "she's left alone every Friday"): only joining words
may stand beside the time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# Short forms only where they are not also words ("sat with her", "in the sun").
DAYS = {
    "monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "weds": 2, "thursday": 3, "thurs": 3,
    "friday": 4, "fri": 4, "saturday": 5, "sunday": 6,
}
# A part of the day, as an hour and minute: the middle of it, so that the
# office's opening and closing times are not straddled.
PARTS = {
    "morning": (10, 0), "lunchtime": (12, 30), "afternoon": (15, 0), "evening": (19, 0),
    "tonight": (20, 0), "night": (23, 0), "overnight": (2, 0), "midnight": (0, 0),
    "early hours": (3, 0), "teatime": (17, 30), "daytime": (11, 0), "day time": (11, 0),
}
_DAY = re.compile(r"\b(" + "|".join(sorted(DAYS, key=len, reverse=True)) + r")s?\b")
_WEEKEND = re.compile(r"\bweek ?ends?\b")
_TOMORROW = re.compile(r"\b(?:tomorrow|tmrw|tmw)\b")
_PART = re.compile(r"\b(" + "|".join(sorted(PARTS, key=len, reverse=True)) + r")\b")
_CLOCK = re.compile(
    r"\b(?:at\s+)?(?P<hour>[01]?\d|2[0-3])(?:[:.](?P<minute>[0-5]\d))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)(?![a-z])"
    r"|\b(?P<hour24>[01]?\d|2[0-3])[:.](?P<minute24>[0-5]\d)\b"
    r"|\b(?P<word>midday|noon)\b"
    # "after 4", "before 5", "gone 6": an hour of the afternoon or evening, said without pm
    # ("at 7" is left alone: it may as well be the morning)
    r"|\b(?P<edge>after|past|gone|before)\s+(?P<bare>[1-7])(?![\w:.])"
    r"(?!\s+(?:years?|yrs?|weeks?|wks?|months?|days?|hours?|hrs?|mins?|minutes?|times?|kids|children|siblings"
    r"|people|visits|referrals|of|x)\b)"
    # "half 4", "half past 5", "quarter to 6": the same hours, with the minutes
    r"|\b(?P<fraction>half|quarter)\s+(?P<relation>past\s+|to\s+)?(?P<fhour>[1-7])(?![\w:.])"
    r"(?!\s+(?:years?|yrs?|weeks?|wks?|months?|days?|hours?|hrs?|mins?|minutes?|times?)\b)"
)


# Words that may stand beside a time in a follow-up. Not "since", "for", "last",
# "every", "ago": those make it a duration or a habit, an answer about the child.
_JOINING = frozenset(
    "and or but so what whats what's about how at on in during over the a an if it its it's is "
    "then this that same time there please ok okay next coming one number line".split()
)
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class StatedTime:
    """The moment read from a message (timezone-aware, UK time) and the words it came from."""

    when: datetime
    said: str


def _clock(text: str) -> tuple[int, int, str] | None:
    """An hour and minute written in the message, and the words."""
    match = _CLOCK.search(text)
    if match is None:
        return None
    if match.group("word"):
        return 12, 0, match.group(0)
    if match.group("fhour") is not None:
        hour, relation = int(match.group("fhour")) + 12, (match.group("relation") or "").strip()
        if match.group("fraction") == "half":
            return (hour, 30, match.group(0)) if relation != "to" else None
        if relation == "to":
            return hour - 1, 45, match.group(0)
        return (hour, 15, match.group(0)) if relation == "past" else None
    if match.group("bare") is not None:
        # In a working day "after 4" is 4pm; just after it, as "before 5" is just before 5pm.
        hour, edge = int(match.group("bare")) + 12, match.group("edge")
        if edge in ("after", "past", "gone"):
            return hour, 1, match.group(0)
        return hour - 1, 59, match.group(0)  # before
    if match.group("hour24") is not None:
        return int(match.group("hour24")), int(match.group("minute24")), match.group(0)
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if hour > 12:
        return None
    pm = match.group("half").startswith("p")
    return (hour % 12) + (12 if pm else 0), minute, match.group(0)


def stated_time(text: str, now: datetime) -> StatedTime | None:
    """The time a message states, or None when it states none (see the module's docstring)."""
    lowered = f" {text.lower()} "
    local = now.astimezone(LONDON)
    said: list[str] = []
    day: datetime | None = None
    weekend = _WEEKEND.search(lowered)
    named = _DAY.search(lowered)
    if named:
        ahead = (DAYS[named.group(1)] - local.weekday()) % 7
        day, said = local + timedelta(days=ahead), [named.group(0)]
    elif weekend:
        ahead = 0 if local.weekday() >= 5 else 5 - local.weekday()
        day, said = local + timedelta(days=ahead), [weekend.group(0)]
    elif _TOMORROW.search(lowered):
        day, said = local + timedelta(days=1), ["tomorrow"]
    clock = _clock(lowered)
    part = _PART.search(lowered)
    if clock is not None:
        hour, minute, words = clock
        said.append(words.strip())
    elif part is not None:
        (hour, minute), words = PARTS[part.group(1)], part.group(1)
        said.append(words)
    elif day is not None:
        hour, minute = (12, 0) if weekend and not named else (local.hour, local.minute)
    else:
        return None
    base = day or local
    when = base.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if day is None and part is not None and part.group(1) == "overnight" and when < local:
        when += timedelta(days=1)
    return StatedTime(when=when, said=" ".join(said))


# "what's the number there?", "who do I ring then?": a short request for the contact of
# the conversation's area, with nothing else to go on.
_NUMBER_THERE = re.compile(
    r"^\W*(?:and\W+)?(?:what(?:'?s| is)\s+the\s+(?:phone\s+)?(?:number|no|line)|who\s+do\s+i\s+(?:ring|call|phone))"
    r"\s+(?:there|then|for\s+(?:it|that|them|there))\W*$",
    re.IGNORECASE,
)


def asks_for_the_number(text: str) -> bool:
    """True for a short follow-up that asks for the contact and names nothing."""
    return bool(_NUMBER_THERE.match(text))


def only_a_time(text: str, now: datetime) -> bool:
    """True when the message states a time and nothing else but joining words."""
    if stated_time(text, now) is None:
        return False
    rest = f" {text.lower()} "
    for pattern in (_DAY, _WEEKEND, _TOMORROW, _CLOCK, _PART):
        rest = pattern.sub(" ", rest)
    return all(word in _JOINING for word in _WORD.findall(rest))

