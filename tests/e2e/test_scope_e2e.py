"""End to end, typed as practitioners (and a child) type: every out-of-scope
route, the area said in a sentence and held for the conversation, and the
line for answers resting on content past its review date. Phrasings written
for these tests, not taken from the training data."""
from __future__ import annotations

import pytest

from tests.e2e.chat import Conversation


def lower(chat: Conversation) -> str:
    return chat.text.lower()


def must(chat: Conversation, *wanted: str, never: tuple[str, ...] = ()) -> None:
    text = lower(chat)
    missing = [w for w in wanted if w.lower() not in text]
    unwanted = [n for n in never if n.lower() in text]
    assert not missing and not unwanted, f"missing {missing}, unwanted {unwanted}\n" + "\n".join(chat.transcript)


# --- out of scope, each with its route ---------------------------------------------

ROUTES = [
    ("adult", "my elderly neighbour has dementia and nobody seems to be checking on him",
     ("adult social care", "999"), ("which area do you work in",)),
    ("allegation", "a mum says one of our nursery staff grabbed her son, is this a LADO thing?",
     ("local authority designated officer", "which area are you in"), ("level 3", "which area do you work in")),
    ("child", "im 12 and my mum never buys food... who can i talk to",
     ("childline", "0800 1111", "999"), ("which area do you work in",)),
    ("area not covered", "I'm a health visitor in Woking, Surrey",
     ("don't hold local contacts", "999", "0808 800 5000"), ("which area do you work in",)),
    ("medical", "how much calpol can a 3 year old have",
     ("gp", "nhs 111"), ()),
    ("another language", "Bonjour, j'ai besoin d'aide pour un enfant de ma classe",
     ("english", "999"), ()),
]


@pytest.mark.parametrize(("kind", "text", "wanted", "never"), ROUTES, ids=[r[0] for r in ROUTES])
def test_out_of_scope_gets_its_route(assistant, kind: str, text: str, wanted: tuple[str, ...],
                                     never: tuple[str, ...]) -> None:
    chat = Conversation(assistant)
    chat.say(text)
    must(chat, *wanted, never=never)


def test_a_child_in_danger_gets_999_first_and_childline(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("im 11 and my stepdad hit me last night and im scared to go home")
    text = lower(chat)
    assert "999" in text and "childline" in text and "0800 1111" in text, chat.transcript
    assert text.index("999") < text.index("childline")


def test_an_allegation_in_a_known_area_gives_its_front_door_and_no_invented_number(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("I work in Wakefield")
    chat.say("a parent has told me a teaching assistant hit her daughter, who deals with that?")
    must(chat, "LADO", "I don't hold a LADO number for Wakefield", "0345 8 503 503")


@pytest.mark.parametrize(("held", "question", "never"), [
    (None, "social care referral number in Sunderland?", ()),
    ("I work in Oxfordshire", "and the front door number in Bedford?", ("0345 050 7666",)),
    (None, "how do we get early help for a family in Lancashire", ()),
])
def test_a_place_not_covered_named_in_a_question_gets_the_national_routes(
        assistant, held: str | None, question: str, never: tuple[str, ...]) -> None:
    """A town or county outside the covered areas (knowledge/places.yml) is not covered,
    even when another area is held, and is never asked about as "which area?"."""
    chat = Conversation(assistant)
    if held:
        chat.say(held)
    chat.say(question)
    must(chat, "don't hold local contacts", "0808 800 5000", never=("which area is the child in", *never))


# --- the area said in a sentence, held for the conversation -----------------------------

@pytest.mark.parametrize(("statement", "question", "expected"), [
    ("I work in Oxfordshire", "what's the MASH number?", "0345 050 7666"),
    ("we're in richmond", "who do I ring out of hours?", "020 8770 5000"),
    ("I'm a PC in Coventry", "how do I get early help for a family?", "Family Hubs"),
    ("cov", "what's the escalation policy?", "westmidlands.procedures.org.uk"),
    ("I'm a teacher at a school in Twickenham", "front door number please", "020 8547 5008"),
    ("our nursery is in Kingston", "what's the early help route?", "Early Help"),
])
def test_an_area_said_in_a_sentence_is_used_at_once(assistant, statement: str, question: str,
                                                    expected: str) -> None:
    chat = Conversation(assistant)
    chat.say(statement)
    chat.say(question)
    must(chat, expected)


def test_the_area_is_confirmed_and_can_be_changed(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("I work in Oxfordshire")
    must(chat, "Oxfordshire")
    chat.say("sorry, I've just moved to the Wakefield team")
    must(chat, "Wakefield")
    chat.say("what's the front door number?")
    must(chat, "0345 8 503 503", never=("0345 050 7666",))


def test_an_area_named_in_a_question_answers_it_and_the_area_held_stays(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("I work in Oxfordshire")
    chat.say("what's the coventry MASH number?")
    must(chat, "024 7678 8555")
    chat.say("what's the MASH number?")
    must(chat, "0345 050 7666", never=("024 7678 8555",))


def test_the_emergency_route_uses_the_area_held(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("I'm a social worker in Coventry")
    chat.say("a toddler has been left alone in the flat and is in danger right now")
    must(chat, "999", "024 7678 8555")


# --- unsure: a short clarification, never "Goodbye" ---------------------------------

def test_unsure_gets_a_short_clarification(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("the thing with the form and the scores")
    assert len(chat.buttons) <= 3, chat.transcript
    must(chat, never=("goodbye", "sorry, i did not understand"))


# --- past its review date -----------------------------------------------------------

def test_an_answer_resting_on_content_past_review_says_so(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("what is GCP2 and who uses it")
    must(chat, "due for review in October 2023", "https://www.wscp.org.uk")


def test_a_current_answer_has_no_review_line(assistant) -> None:
    chat = Conversation(assistant)
    chat.say("what does was not brought mean")
    must(chat, "was not brought", never=("due for review",))
