"""A subject only one intent covers takes that intent (bot/components/named_subject.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.named_subject import NamedSubject
from bot.out_of_scope import asks_medical_advice


def intent_after(text: str, intent: str, entities: list[dict[str, str]] | None = None) -> str:
    message = Message(data={TEXT: text, ENTITIES: entities or []})
    message.set(INTENT, {"name": intent, "confidence": 0.6})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.6}])
    return NamedSubject().process([message])[0].get(INTENT)["name"]


@pytest.mark.parametrize(("text", "classified"), [
    ("how should I treat conjunctivitis in a 4 year old?", "ask_question"),
    ("signs of whooping cough", "nlu_fallback"),
    ("is croup contagious", "out_of_scope"),
    ("what medicine helps a toddler with a temperature", "ask_guide"),
    ("how long does hand, foot and mouth last", "ask_question"),
])
def test_advice_on_a_named_illness_is_a_medical_question(text: str, classified: str) -> None:
    assert asks_medical_advice(text)
    assert intent_after(text, classified) == "out_of_scope_medical"


@pytest.mark.parametrize(("text", "classified"), [
    ("untreated impetigo again, is that neglect?", "ask_question"),  # a child's care: the guidance
    ("mum never gives him his asthma inhaler, what should I do", "start_triage"),
    ("what counts as medical neglect", "ask_question"),  # no illness named
    ("he is having a seizure and not breathing", "emergency"),  # the emergency is never replaced
    ("what are the signs of neglect", "ask_question"),
    ("/ask_question", "ask_question"),
])
def test_anything_about_a_childs_care_keeps_its_intent(text: str, classified: str) -> None:
    assert intent_after(text, classified) == classified


@pytest.mark.parametrize("text", ["how do i contact the lado in kingston", "what does a LADO do?",
                                  "is it the local authority designated officer I need"])
def test_the_lado_named_is_an_allegation(text: str) -> None:
    assert intent_after(text, "ask_contact") == "out_of_scope_allegation"



@pytest.mark.parametrize("text", ["worried about a childminder who shouts at the babies",
                                  "concern about one of our nursery staff leaving a toddler to cry"])
def test_a_worry_about_someone_who_works_with_children_is_an_allegation(text: str) -> None:
    assert intent_after(text, "start_triage") == "out_of_scope_allegation"


@pytest.mark.parametrize(("text", "classified", "read"), [
    ("self neglect in an older man, who do I tell", "ask_question", "out_of_scope_adult"),
    ("elderly neighbour with dementia isn't eating", "start_triage", "out_of_scope_adult"),
    ("grandma has dementia and looks after the kids", "start_triage", "start_triage"),  # a child in it
    ("carers allowance for my elderly dad", "out_of_scope", "out_of_scope"),
    ("I'm a childminder and worried about a boy I look after", "start_triage", "start_triage"),
    ("man in his 40s i support has no food in the flat and won't eat. no children involved", "ask_question",
     "out_of_scope_adult"),
    ("woman in her 20s, pregnant, no children yet, not eating", "start_triage", "start_triage"),  # pre-birth
])
def test_an_adult_only_concern_is_for_adult_social_care(text: str, classified: str, read: str) -> None:
    assert intent_after(text, classified) == read


OUT_OF_HOURS = [{"entity": "route", "value": "out of hours"}]


@pytest.mark.parametrize(("text", "classified", "entities"), [
    ("worried about a boy in kingston, whos on out of hours tonight", "start_triage", OUT_OF_HOURS),
    ("the family are struggling and i need to speak to the duty social worker", "start_triage", []),
    ("when is the out of hours team open", "ask_question", OUT_OF_HOURS),
    ("what number do i use for childrens social care in wakefield", "ask_question", []),
    ("what hours is the helpline open", "nlu_fallback", [{"entity": "route", "value": "helpline"}]),
    ("who should i refer to in coventry if i think a child is at risk of significant harm", "start_triage", []),
    ("where do we report a neglect concern about a pupil in leeds", "start_triage", []),
    ("no idea who to call about a kid im really worried about, we're in didcot", "start_triage", []),
    ("weekend childrens services number", "nlu_fallback", []),
])
def test_whom_to_ring_asked_of_a_route_or_social_care_is_a_contact(text: str, classified: str,
                                                                     entities: list[dict[str, str]]) -> None:
    assert intent_after(text, classified, entities) == "ask_contact"


@pytest.mark.parametrize(("text", "classified", "entities"), [
    ("what does the out of hours team do", "ask_question", OUT_OF_HOURS),  # what it is, not whom to ring
    ("mum is never home, who should I worry about first", "start_triage", []),  # no route, no social care
    ("who do i ring about a teacher who hits the kids", "out_of_scope_allegation", []),
    ("the baby is not breathing, who do i call at social care", "emergency", []),
    ("what should ring alarm bells about a child's care", "ask_question", []),  # "ring": not a call
    ("national number of kids on child protection plans for neglect", "ask_question", []),
    ("should I refer this family", "start_triage", []),  # whether: the triage's
    ("how do I write a report for a core group", "ask_question", []),
])
def test_other_questions_and_cases_keep_their_intent(text: str, classified: str,
                                                     entities: list[dict[str, str]]) -> None:
    assert intent_after(text, classified, entities) == classified


@pytest.mark.parametrize(("text", "classified"), [
    ("referred twice, NFA both times. I really don't agree with the decision. What should I be doing now?",
     "start_triage"),
    ("social care want to close the case and i dont agree, nothing has changed. what are my options?",
     "ask_question"),
    ("when is it right to escalate a neglect case", "nlu_fallback"),
])
def test_a_disputed_decision_asked_about_is_the_escalation_navigator(text: str, classified: str) -> None:
    assert intent_after(text, classified) == "ask_escalation"


@pytest.mark.parametrize(("text", "classified"), [
    ("social care closed it and I don't agree.", "start_triage"),  # asks nothing: the triage's
    ("mum doesnt agree to early help, what now?", "start_triage"),  # a parent's consent, not a decision
])
def test_a_disagreement_without_a_question_or_a_decision_keeps_its_reading(text: str, classified: str) -> None:
    assert intent_after(text, classified) == classified


@pytest.mark.parametrize(("text", "classified"), [
    ("Rwy'n poeni am blentyn yn fy nosbarth sydd wastad yn llwglyd. Beth ddylwn i ei wneud?", "ask_question"),
    ("Bonjour, je travaille dans une école et je suis inquiète pour un enfant", "start_triage"),
    ("Здравствуйте, мне нужна помощь", "greet"),
])
def test_a_message_in_another_language_is_told_the_assistant_works_in_english(text: str, classified: str) -> None:
    assert intent_after(text, classified) == "out_of_scope_language"


@pytest.mark.parametrize("text", ["wat is neglet", "hv here, csc nfa x3 on fam w 3 kids, esc?"])
def test_english_shorthand_is_not_another_language(text: str) -> None:
    assert intent_after(text, "ask_question") != "out_of_scope_language"


TERM = [{"entity": "term", "value": "cumulative harm"}]


@pytest.mark.parametrize(("text", "entities", "read"), [
    ("cumulative harm - new to this, can someone break it down", TERM, "ask_question"),
    ("can I talk to someone about cumulative harm", TERM, "human_handoff"),  # a person asked for
    ("can someone help me with this", [], "human_handoff"),  # no term: the handoff
])
def test_a_term_asked_about_is_answered_rather_than_handed_off(text: str, entities: list[dict[str, str]],
                                                               read: str) -> None:
    assert intent_after(text, "human_handoff", entities) == read
