"""Learning: the threshold quiz, the escalation navigator, one-minute guides."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ROOT, KnowledgeAction, current_area, entity_number, entity_value
from bot.clock import now
from bot import render
from bot.escalation import load_escalation
from bot.knowledge.store import KnowledgeStore
from bot.quiz import QuizRound, Scenario, level_in, load_scenarios


# Featurised: while it is true, what the practitioner types is read as an answer.
QUIZ_RUNNING = "quiz_running"


@lru_cache(maxsize=1)
def scenarios() -> list[Scenario]:
    return load_scenarios(ROOT / "knowledge" / "quiz")


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
        if level is None:  # not a level from 1 to 4: ask again
            dispatcher.utter_message(**render.quiz_question(quiz, store))
            return []
        feedback = quiz.answer(level)
        dispatcher.utter_message(**render.quiz_feedback(feedback))
        if quiz.finished:
            dispatcher.utter_message(**render.quiz_score(quiz))
            return [SlotSet("quiz_state", None), SlotSet(QUIZ_RUNNING, False)]
        dispatcher.utter_message(**render.quiz_question(quiz, store))
        return [SlotSet("quiz_state", quiz.to_dict())]


class ActionEscalation(KnowledgeAction):
    """Professional disagreement, one step at a time, with the area's policy."""

    def name(self) -> str:
        return "action_escalation"

    def respond(self, store: KnowledgeStore, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> list[dict[str, Any]]:
        area = current_area(store, tracker)
        step = entity_number(tracker, "step", 1, len(load_escalation().steps)) or 1
        plan = store.contacts(area.id if area else None, now())
        dispatcher.utter_message(**render.escalation_step(
            load_escalation(), step, plan, store.areas(), store.cite))
        return [SlotSet("area", area.id)] if area else []


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
