"""Learning: the threshold quiz, the escalation navigator, one-minute guides."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    KnowledgeAction,
    current_area,
    entity_number,
    entity_value,
    place_not_covered,
    remember_area,
    say_not_covered,
    say_review_due,
)
from actions.questions import ActionAnswerQuestion
from bot.answers import looks_like_a_question
from bot.clock import now
from bot import render, topics
from bot.knowledge.snapshot import snapshot
from bot.knowledge.store import KnowledgeStore
from bot.quiz import QuizRound, Scenario, level_in


# Featurised: while it is true, what the practitioner types is read as an answer.
QUIZ_RUNNING = "quiz_running"
# The navigator's step on screen, and (featurised) whether typed progress is read as such.
ESCALATION_STEP, ESCALATION_RUNNING = "escalation_step", "escalation_running"


def scenarios() -> tuple[Scenario, ...]:
    return snapshot().quiz


class ActionQuizStart(KnowledgeAction):
    def name(self) -> str:
        return "action_quiz_start"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        quiz = QuizRound.start(scenarios())
        dispatcher.utter_message(**render.quiz_intro(quiz))
        dispatcher.utter_message(**render.quiz_question(quiz, store))
        return [SlotSet("quiz_state", quiz.to_dict()), SlotSet(QUIZ_RUNNING, True)]


class ActionQuizAnswer(KnowledgeAction):
    def name(self) -> str:
        return "action_quiz_answer"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        state = tracker.get_slot("quiz_state")
        level = entity_number(tracker, "quiz_level", 1, 4)
        if level is None:  # typed: "level 3", "I'd say early help"
            area = current_area(store, tracker)
            names = {n: store.level(n, area.id if area else None).name for n in range(1, 5)}
            level = level_in(tracker.latest_message.get("text") or "", names)
        if not state:
            dispatcher.utter_message(**render.quiz_not_running())
            return []
        quiz = QuizRound.from_dict(state, scenarios())
        if quiz.finished:
            dispatcher.utter_message(**render.quiz_not_running())
            return [SlotSet(QUIZ_RUNNING, False)]
        if level is None:  # not a level from 1 to 4: answer a real question, then ask again
            text = tracker.latest_message.get("text") or ""
            intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
            events: list[dict[str, Any]] = []
            if intent == topics.INTENT and looks_like_a_question(text):
                events = ActionAnswerQuestion().respond(store, dispatcher, tracker)
            dispatcher.utter_message(**render.quiz_question(quiz, store))
            return events
        feedback = quiz.answer(level)
        dispatcher.utter_message(**render.quiz_feedback(feedback))
        if quiz.finished:
            dispatcher.utter_message(**render.quiz_score(quiz))
            return [SlotSet("quiz_state", None), SlotSet(QUIZ_RUNNING, False)]
        dispatcher.utter_message(**render.quiz_question(quiz, store))
        return [SlotSet("quiz_state", quiz.to_dict())]


class ActionQuizStop(KnowledgeAction):
    """"Stop the quiz": the round ends with its score so far; the conversation is kept."""

    def name(self) -> str:
        return "action_quiz_stop"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        state = tracker.get_slot("quiz_state")
        quiz = QuizRound.from_dict(state, scenarios()) if state else None
        if quiz is not None and quiz.picks:
            dispatcher.utter_message(**render.quiz_score(quiz))
        dispatcher.utter_message(response="utter_quiz_stopped")
        # "stop" maps to forgetting the conversation; here it only stops the quiz.
        return [SlotSet("quiz_state", None), SlotSet(QUIZ_RUNNING, False), SlotSet("forget_conversation", False)]


class ActionEscalation(KnowledgeAction):
    """Professional disagreement, one step at a time, with the area's policy.

    The step comes from the button ("Done that — what next?"), or from typed
    progress while the navigator runs ("I've spoken to the social worker and
    nothing changed": bot/escalation.py `next_step`)."""

    def name(self) -> str:
        return "action_escalation"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        escalation = snapshot().escalation
        last = len(escalation.steps)
        area = current_area(store, tracker)
        shown = tracker.get_slot(ESCALATION_STEP)
        step = entity_number(tracker, "step", 1, last)
        if step is None and tracker.get_slot(ESCALATION_RUNNING) and shown:
            text = tracker.latest_message.get("text") or ""
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            step = escalation.next_step(text, int(shown))
            if step is None and intent in ("goodbye", "thank"):
                dispatcher.utter_message(response=f"utter_{intent}")
                return [SlotSet(ESCALATION_RUNNING, False)]
            if step is None and intent == "start_triage":  # a worry about a child, typed mid-way
                dispatcher.utter_message(response="utter_escalation_or_triage",
                                         next_step=min(int(shown) + 1, last))
                return remember_area(tracker, area) + [SlotSet(ESCALATION_RUNNING, False)]
            # An area typed when it was asked for shows the same step, now with the area.
            step = step or int(shown)
        step = step or 1
        if not shown and place_not_covered(store, tracker):  # "escalation policy in Devon": no local policy
            say_not_covered(store, dispatcher, tracker)
            area = None
        plan = store.contacts(area.id if area else None, now())
        asked = render.route_asked(store.lexicon(), tracker.latest_message)
        if asked == "escalation" and plan.escalation is not None:  # "coventry escalation policy?"
            dispatcher.utter_message(**render.contacts(plan, "escalation"))
            say_review_due(store, dispatcher, [plan.escalation], area)
        dispatcher.utter_message(**render.escalation_step(escalation, step, plan, store.areas(), store.cite))
        running = step < last or plan.area is None
        return remember_area(tracker, area) + [SlotSet(ESCALATION_STEP, step), SlotSet(ESCALATION_RUNNING, running)]


class ActionListGuides(KnowledgeAction):
    def name(self) -> str:
        return "action_list_guides"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        area = current_area(store, tracker)
        dispatcher.utter_message(**render.guide_list(store.guides(area.id if area else None)))
        return []


class ActionShowGuide(KnowledgeAction):
    def name(self) -> str:
        return "action_show_guide"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        asked = entity_value(tracker, "item")
        guide = store.guide(str(asked)) if asked else None
        if guide is None:
            guide = store.find_guide(tracker.latest_message.get("text") or "")
        if guide is None:
            area = current_area(store, tracker)
            dispatcher.utter_message(**render.guide_list(store.guides(area.id if area else None),
                                                         not_found=True))
            return []
        dispatcher.utter_message(**render.guide_card(guide))
        return []
