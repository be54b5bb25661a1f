"""A long session is carried over into a new one (bot/stores.py `session_checkpoint`):
Rasa then reads a short session, the state is the same, and nothing stored is lost."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.guard import offered_payloads
from bot.channels.webchat import conversation_history
from bot.stores import (
    CHECKPOINT_AFTER_EVENTS,
    FORGET_SLOT,
    OFFER_SLOT,
    StrictSQLTrackerStore,
    latest_turn_events,
    session_checkpoint,
)

DOMAIN = Domain.from_dict({
    "slots": {
        FORGET_SLOT: {"type": "bool", "mappings": [{"type": "custom"}]},
        OFFER_SLOT: {"type": "bool", "mappings": [{"type": "custom"}]},
        "area": {"type": "text", "mappings": [{"type": "custom"}]},
        "quiz_score": {"type": "float", "initial_value": 0.0, "mappings": [{"type": "custom"}]},
        "untouched": {"type": "text", "mappings": [{"type": "custom"}]},
    },
    "forms": {"triage_form": {"required_slots": ["area"]}},
    "session_config": {"session_expiration_time": 120, "carry_over_slots_to_new_session": False},
})
BUTTONS = [{"title": "Coventry", "payload": '/inform_area{"area": "coventry"}'}]


def turn(tracker: DialogueStateTracker, text: str, *extra: object, timestamp: float | None = None) -> None:
    tracker.update(UserUttered(text, timestamp=timestamp))
    for event in extra:
        tracker.update(event)  # type: ignore[arg-type]
    tracker.update(ActionExecuted("utter_x"))
    tracker.update(BotUttered(f"reply to {text}", data={"buttons": BUTTONS}))
    tracker.update(ActionExecuted("action_listen"))


def long_tracker(turns: int = 30) -> DialogueStateTracker:
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    for number in range(turns):
        turn(tracker, f"question {number}", *([SlotSet("area", "coventry")] if number == 3 else []))
    return tracker


@pytest.fixture()
def store(tmp_path: Path) -> StrictSQLTrackerStore:
    return StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def test_a_long_session_at_rest_is_carried_over_with_its_slots() -> None:
    tracker = long_tracker()
    checkpoint = session_checkpoint(tracker, DOMAIN, time.time())
    assert checkpoint is not None
    assert isinstance(checkpoint[0], SessionStarted) and checkpoint[-1] == ActionExecuted("action_listen")
    carried = {event.key: event.value for event in checkpoint if isinstance(event, SlotSet)}
    assert carried == {"area": "coventry"}  # unchanged slots (initial values) are not repeated
    assert all(event.timestamp > tracker.events[-1].timestamp for event in checkpoint)


def test_short_busy_expired_or_forgetting_sessions_are_left_alone() -> None:
    now = time.time()
    assert session_checkpoint(long_tracker(turns=3), DOMAIN, now) is None
    in_form = long_tracker()
    in_form.update(ActiveLoop("triage_form"))
    in_form.update(ActionExecuted("action_listen"))
    assert session_checkpoint(in_form, DOMAIN, now) is None  # a form's state lives in its events
    mid_turn = long_tracker()
    mid_turn.update(UserUttered("one more"))
    assert session_checkpoint(mid_turn, DOMAIN, now) is None
    # Two hours and a minute later the session has expired: Rasa starts a fresh one itself.
    assert session_checkpoint(long_tracker(), DOMAIN, now + 121 * 60) is None
    forgetting = long_tracker()
    turn(forgetting, "forget this", SlotSet(FORGET_SLOT, True))
    checkpoint = session_checkpoint(forgetting, DOMAIN, now) or []
    assert FORGET_SLOT not in {event.key for event in checkpoint if isinstance(event, SlotSet)}
    # An offer waiting for its "yes" or "no": the stories read the turn before.
    offering = long_tracker()
    turn(offering, "which type of neglect is no coat in winter?", SlotSet(OFFER_SLOT, True))
    assert session_checkpoint(offering, DOMAIN, now) is None


def test_the_store_gives_rasa_a_short_session_and_keeps_every_event(store: StrictSQLTrackerStore) -> None:
    tracker = long_tracker()
    asyncio.run(store.save(tracker))
    before = asyncio.run(store.retrieve_full_tracker("someone"))
    assert before is not None and len(before.events) == len(tracker.events) > CHECKPOINT_AFTER_EVENTS

    current = asyncio.run(store.retrieve("someone"))
    assert current is not None
    assert len(current.events) < 10 and current.get_slot("area") == "coventry"
    assert current.latest_action_name == "action_listen" and current.applied_events()

    turn(current, "and out of hours?")  # the next turn, saved as Rasa saves it
    asyncio.run(store.save(current))
    again = asyncio.run(store.retrieve("someone"))
    assert again is not None and [e.text for e in again.events if isinstance(e, UserUttered)] == ["and out of hours?"]
    assert again.get_slot("area") == "coventry"

    everything = asyncio.run(store.retrieve_full_tracker("someone"))
    assert everything is not None
    said = [item["text"] for item in conversation_history(everything.events) if item["role"] == "user"]
    assert said == [f"question {n}" for n in range(30)] + ["and out of hours?"]  # the web chat redraws it all


def test_what_was_offered_last_is_still_known_after_a_checkpoint(store: StrictSQLTrackerStore) -> None:
    asyncio.run(store.save(long_tracker()))
    asyncio.run(store.retrieve("someone"))  # the checkpoint is written; the buttons are in the old session
    events = asyncio.run(latest_turn_events(store, "someone"))
    assert offered_payloads(events) == {BUTTONS[0]["payload"]}
    assert asyncio.run(latest_turn_events(store, "nobody")) == []


def test_stored_events_are_rebuilt_as_rasa_rebuilds_them() -> None:
    from rasa.shared.core.events import deserialise_events

    from bot.stores import events

    stored = [event.as_dict() for event in long_tracker(turns=2).events]
    stored += [SessionStarted().as_dict(), ActiveLoop("triage_form").as_dict(), {"no": "event key"}]
    assert events(stored) == deserialise_events(stored)
    assert events([{"event": "not_an_event_type"}]) == []  # left out (and logged), never a crash
