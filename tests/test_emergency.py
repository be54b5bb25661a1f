"""The immediate-danger safety net (bot/emergency.py, knowledge/safety/emergency_signals.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emergency import EmergencyMatch, EmergencySignals, normalise, osa_distance
from bot.redaction import default_redactor
from bot.knowledge.snapshot import snapshot

EMERGENCY_FILE = snapshot().path("emergency")


@pytest.fixture(scope="module")
def signals() -> EmergencySignals:
    return EmergencySignals.from_file(EMERGENCY_FILE)


# (message, signal that must fire)
POSITIVES = [
    ("the child is in danger right now", "immediate_danger"),
    ("I think he is in immediate danger", "immediate_danger"),
    ("She's at risk right now", "immediate_danger"),
    ("IMMEDIATE DANGER", "immediate_danger"),
    ("not sure if she is in immediate danger", "immediate_danger"),  # doubt still fires
    ("no, he IS in immediate danger", "immediate_danger"),
    ("she's not safe right now", "immediate_danger"),
    ("I think this child is in danger", "in_danger"),
    ("please call the police", "police_or_ambulance"),
    ("someone needs to call the police, a child is at risk right now", "immediate_danger"),
    ("I need to ring 999", "police_or_ambulance"),
    ("Should I call the police?", "police_or_ambulance"),  # answered with 999 on purpose
    ("the baby is not breathing", "medical_emergency"),
    ("the baby isn’t breathing", "medical_emergency"),
    ("he can't breathe", "medical_emergency"),
    ("the toddler won't wake up", "medical_emergency"),
    ("he's unconscious", "unconscious"),
    ("she is not eating and is unconscious", "unconscious"),
    ("What is happening the baby is unconscious", "unconscious"),
    ("the baby has been left alone", "young_child_left_alone"),
    ("a 3-year-old has been left alone at home", "young_child_left_alone"),
    ("the toddler was left on his own all night", "young_child_left_alone"),
    ("an 8 month old left alone in the flat", "young_child_left_alone"),
    ("she is locked in her room", "locked_in"),
    ("the kids are locked out of the house", "locked_in"),
    ("dad has a knife", "weapon"),
    ("he's got a knife", "weapon"),
    ("he is being hit right now", "being_hurt_now"),
    ("mum is being beaten", "being_hurt_now"),
    ("he is threatening to kill her", "threat_to_kill"),
    ("a serious injury to the baby's head", "serious_injury"),
    ("she is bleeding", "bleeding"),
    ("mum has taken an overdose", "overdose"),
    ("she is suicidal", "suicide"),
    ("he says he wants to kill himself", "threat_to_kill"),
    ("she is going to take her own life", "suicide"),
    ("he is missing right now", "missing_now"),
    ("I can't find her, she has gone missing", "missing_now"),
    ("our pupil has not come home", "missing_now"),
    ("the house is on fire", "fire"),
    ("Is this neglect? The baby is not breathing.", "medical_emergency"),
    ("When should I call 999? The baby is not breathing", "medical_emergency"),
]


# New wording of each kind of danger the signals are meant to generalise to
# (written for these tests, not taken from the NLU training data).
MORE_POSITIVES = [
    # said in so many words, or asking for the police or an ambulance
    ("this is an emergency, please help", "declared_emergency"),
    ("urgent!! a kid in danger at the flats", "in_danger"),
    ("please send an ambulance to the school", "police_or_ambulance"),
    ("somebody phone 999", "police_or_ambulance"),
    ("get the police round here", "police_or_999_now"),
    ("police needed at the park", "police_or_999_needed"),
    ("999 now?? please", "police_or_999_needed"),
    # medical
    ("a baby in the flat isn't breathing properly", "medical_emergency"),
    ("my toddler has gone a funny colour and is floppy", "medical_emergency"),
    ("the infant's lips look blue to me", "turning_blue"),
    ("the new born is freezing and blue", "medical_emergency"),
    ("the boy is unresponsive on the landing", "unconscious"),
    ("the infant is not responding and feels cold", "unconscious"),
    ("the little girl is having a fit in the playground", "passed_out"),
    ("mum has passed out with the toddler in the bath", "passed_out"),
    ("my daughter's friend is fitting on the floor", "fitting"),
    ("he collapsed in PE and isn't moving", "not_moving"),
    ("our pupil swallowed a button battery at lunch", "swallowed"),
    ("the 2 year old got into nan's methadone", "swallowed_substance"),
    ("the toddler drank some bleach from under the sink", "swallowed_substance"),
    ("she has necked a whole packet of paracetamol", "taken_too_much"),
    ("she just told me she has taken 30 paracetamol", "taken_too_much"),
    ("he says he is going to take all his tablets tonight", "overdose_planned"),
    ("the baby was dropped on his head and is now very sleepy", "serious_injury"),
    ("the girl has a nasty scald from the kettle", "burns"),
    ("a teenager has stabbed himself", "bleeding"),
    ("the baby has a broken arm and mum is refusing to take her to hospital", "refusing_help"),
    # fire, smoke, gas, water, heights, roads
    ("there's a fire in the kitchen and the kids are upstairs", "a_fire"),
    ("smoke is pouring out of the flat next door and there are children inside", "smoke_now"),
    ("I can smell gas and the children are on their own", "fire"),
    ("the twins have fallen into the garden pond", "in_water"),
    ("a toddler is face down in the paddling pool", "near_water"),
    ("a child is sitting on the window ledge on the 6th floor", "fall_from_height"),
    ("a 3 year old is climbing over the balcony railing", "fall_from_height"),
    ("a baby is hanging out of an upstairs window", "out_of_window"),
    ("the little lad is playing on the railway line", "road_or_railway"),
    # carers unable to keep a child safe now
    ("mum is too drunk to stand and the baby is crying", "carer_incapable"),
    ("dad is about to drive the kids home and he's drunk", "drink_drive_now"),
    # young children alone, children with no adult
    ("mum just left the newborn in the car outside the shop", "child_left_behind"),
    ("an 18 month old is alone in the flat and I can't reach anyone", "young_child_left_alone"),
    ("help!! 3 year old on her own in the bath", "child_alone"),
    ("three kids alone in a house since Friday", "child_alone"),
    ("the baby has been abandoned on the doorstep", "child_alone"),
    ("a 4 year old is wandering around the car park", "young_child_wandering"),
    ("two children have been left in the flat with no adult for three days", "children_without_adult"),
    ("the toddler has been shut in the shed all day", "locked_in"),
    # violence, weapons, threats
    ("dad is punching mum and the kids are screaming", "violence_in_progress"),
    ("he's smashing the place up right now", "violence_now"),
    ("someone is kicking the front door in and the children are inside", "break_in"),
    ("I can hear a woman screaming upstairs", "hear_screaming"),
    ("there's a man with a machete outside the school gate", "weapon"),
    ("he's chasing her with a hammer", "weapon_held"),
    ("her ex is threatening the staff with a broken bottle", "weapon_improvised"),
    ("he said he will strangle the baby", "threat_to_harm"),
    ("my pupil says her stepdad is going to beat her when she gets home", "threat_to_harm"),
    ("I think the mother is about to harm the toddler", "intent_to_harm"),
    ("he's too frightened to go home tonight", "afraid_to_go_home"),
    ("someone shook the baby really hard", "harm_to_a_baby"),
    # suicide
    ("my student texted to say she has a rope and is going to hang herself", "suicide"),
    ("she says she wants to die and has pills in her bag", "suicide"),
    ("a lad is on the car park roof and says he will jump", "jump"),
    # missing or taken now
    ("a 13 year old has been missing since last night", "is_missing"),
    ("we can't find the toddler anywhere", "cannot_find_child"),
    ("a girl was pushed into a car by two men", "taken_away"),
    ("she is being held in a trap house", "held_now"),
]


@pytest.mark.parametrize(("message", "signal"), POSITIVES + MORE_POSITIVES)
def test_danger_is_recognised(signals: EmergencySignals, message: str, signal: str) -> None:
    match = signals.detect(message)
    assert match is not None, message
    assert match.signal == signal
    assert match.phrase


NEGATIVES = [
    "not in immediate danger",
    "the child is not in immediate danger",
    "there is no immediate danger",
    "she isn't in danger",
    "she isn't in danger right now",
    "I don't think she is in immediate danger",
    "there is no sign of immediate danger",
    "what does immediate danger mean",
    "What does 'immediate danger' mean?",
    "what counts as immediate danger?",
    "what is meant by immediate danger",
    "when should I call 999",
    "When should I call the police?",
    "how do I know if a child is in immediate danger",
    "what counts as a serious injury",
    "he is not suicidal",
    "the baby was never left alone",
    "I am worried about a child who is often hungry",
    "children are in danger of being missed",
    "unconscious bias training",
    "his gums are bleeding",
    "the family is not responding to calls",
    "a teenager left alone for the weekend",
    "mum is on her own with the baby",
    "a child missing from education",
    "the baby sleeps alone in her cot",
    "what are the seven types of neglect",
    "the family have a history with children's services",
    "",
    "   ",
    "🙂👶🏽",
]


# Questions about the rule, worries that are real but not immediate, habits,
# the past, and ordinary uses of danger words (new wording, as above).
MORE_NEGATIVES = [
    # questions about when to call 999 or what immediate danger means
    "in which situations do we need to phone the police",
    "in what situations would I dial 999",
    "what counts as an emergency",
    "what number do I ring for the police if it is not an emergency",
    "how do I know whether a child is in danger",
    "at what age can a child be left at home alone",
    "is it illegal to leave a 10 year old alone",
    "what type of neglect is leaving a baby alone",
    "should I speak to the child on their own",
    # neglect worries that are not immediate
    "a pupil in my class often arrives hungry",
    "the toddler has had untreated nappy rash for weeks",
    "the flat was dirty and smelt of cat urine",
    "the baby has a flat head from the car seat",
    "mum smokes in the house around the baby",
    "they have no smoke alarm fitted",
    "the nursery says the 4 year old is always hungry on Mondays",
    "the child is blue with cold most mornings at school",
    "the family cannot afford heating",
    # habits and the past
    "the parents often leave the 3 year old alone while they go to the shop",
    "the 8 year old walks to school on his own",
    "she went missing twice last year",
    "he keeps missing his dental appointments",
    "dad has a history of drink driving",
    "his older brother was stabbed two years ago",
    "mum used to be hit by her ex",
    "the parents were shouting at each other on my visits",
    # ordinary uses of danger words
    "mum is a single parent raising the toddler alone",
    "the toddler plays alone at nursery",
    "the family are moving house next month",
    "the placement collapsed",
    "the case isn't moving forward",
    "I can't find her file",
    "dad dropped the baby off at nursery late again",
    "he is fitting in well at his new school",
    "will it hurt my relationship with the family if I refer",
    "neglect can harm a child's development",
    "I am worried I will burn out",
    "there's a hole in the roof and damp everywhere",
    "they live on the 10th floor with a balcony",
    "the family live near a canal",
    "the kitchen had knives left on the counter",
    "I am drowning in referrals",
    "don't jump to conclusions about the family",
    "the baby is with dad today",
]


@pytest.mark.parametrize("message", NEGATIVES + MORE_NEGATIVES)
def test_negations_questions_and_ordinary_uses_do_not_fire(signals: EmergencySignals, message: str) -> None:
    assert signals.detect(message) is None


@pytest.mark.parametrize(("message", "signal"), POSITIVES + MORE_POSITIVES)
def test_redaction_never_hides_a_danger_signal(signals: EmergencySignals, message: str, signal: str) -> None:
    """The NLU sees the redacted text, so redaction must keep every signal, even in Title Case."""
    redactor = default_redactor()
    for variant in (message, message.title(), f"Tom Baker (7): {message}"):
        redacted = redactor.redact(variant).text
        assert signals.detect(redacted) is not None, (variant, redacted)


def test_match_says_which_phrases_matched(signals: EmergencySignals) -> None:
    assert signals.detect("The TODDLER  has been\nleft alone") == EmergencyMatch(
        "young_child_left_alone", "left alone + toddler"
    )
    # Both parts of an all_of signal must be in the same sentence.
    assert signals.detect("The toddler is fine. Mum was left alone.") is None


def _signals_with(tmp_path: Path, *signals: dict[str, object]) -> EmergencySignals:
    """The repository's negation and rule-question settings with only `signals`."""
    data = yaml.safe_load(EMERGENCY_FILE.read_text(encoding="utf-8"))
    data["signals"] = list(signals)
    path = tmp_path / "signals.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return EmergencySignals.from_file(path)


@pytest.mark.parametrize(
    ("message", "phrase"),
    [
        ("they left the baby alone", "left the baby alone"),
        ("she left her tiny baby alone", "left her tiny baby alone"),
        ("left baby alone", "left baby alone"),
        ("the baby was left alone", None),  # wrong order
        ("they left the poor little baby alone", None),  # three words between left and baby
        ("they left the baby and went out alone", None),  # a clause break in the gap
        ("they left the baby, alone", None),  # a comma in the gap
        ("they left the baby not alone", None),  # a negator in the gap
        ("they never left the baby alone", None),  # negated before the first part
    ],
)
def test_ordered_signal_needs_its_parts_in_order_and_close(tmp_path: Path, message: str, phrase: str | None) -> None:
    signals = _signals_with(tmp_path, {"id": "t", "all_of": [["left"], ["baby"], ["alone"]], "max_words_between": 2})
    match = signals.detect(message)
    assert (match.phrase if match else None) == phrase


def test_hash_in_a_phrase_stands_for_any_number(tmp_path: Path) -> None:
    signals = _signals_with(tmp_path, {"id": "t", "phrases": ["taken # tablets"]})
    assert signals.detect("she has taken 30 tablets") == EmergencyMatch("t", "taken 30 tablets")
    assert signals.detect("she has taken some tablets") is None
    assert signals.detect("she has taken #tablets") is None


def test_a_list_of_phrases_may_include_a_shared_list(tmp_path: Path) -> None:
    """Lists are shared with YAML anchors: `[*young_children, child]` is one flat list."""
    signals = _signals_with(tmp_path, {"id": "t", "all_of": [[["baby", "toddler"], "child"], ["alone"]]})
    for message in ("the toddler is alone", "the child is alone", "the baby is alone"):
        assert signals.detect(message) == EmergencyMatch("t", f"{message.split()[1]} + alone")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She Isn’t breathing", "she is not breathing"),
        ("he won't wake — help", "he will not wake , help"),
        ("I can't; he cannot", "i can not; he can not"),
        ("a 3-year-old", "a 3 year old"),
        ("'immediate danger'", " immediate danger "),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_phrases_in_the_file_are_normalised_like_messages(tmp_path: Path) -> None:
    path = tmp_path / "signals.yml"
    data = yaml.safe_load(EMERGENCY_FILE.read_text(encoding="utf-8"))
    data["signals"] = [{"id": "test", "phrases": ["Won’t  WAKE-UP"]}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert EmergencySignals.from_file(path).detect("the baby will not wake up") == EmergencyMatch(
        "test", "will not wake up"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("negation"), "negation"),
        (lambda d: d["signals"].append({"id": "x"}), "either phrases or all_of"),
        (lambda d: d["signals"].append({"id": "x", "phrases": [True]}), "quote"),
        (lambda d: d["signals"].append({"phrases": ["help"]}), "id: missing"),
        (lambda d: d["negation"].update(window=0), "window"),
        (lambda d: d["signals"].append({"id": "x", "phrases": ["a"], "max_words_between": 1}), "max_words_between"),
        (lambda d: d["signals"].append({"id": "x", "all_of": [["a"], ["b"]], "max_words_between": -1}), "number"),
        (lambda d: d["signals"].append({"id": "x", "all_of": [["a"], ["b"]], "max_words_between": "2"}), "number"),
        (lambda d: d["signals"].append({"id": "x", "phrases": [[["too", "deep"]]]}), "quote"),
    ],
)
def test_a_malformed_file_is_rejected(tmp_path: Path, change: object, message: str) -> None:
    _assert_rejected(tmp_path, change, message)


def _assert_rejected(tmp_path: Path, change: object, message: str) -> None:
    """The shipped file with one `change` made is refused with an error naming `message`."""
    data = yaml.safe_load(EMERGENCY_FILE.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path = tmp_path / "signals.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        EmergencySignals.from_file(path)


def test_the_file_cites_its_sources_and_review_date() -> None:
    data = yaml.safe_load(EMERGENCY_FILE.read_text(encoding="utf-8"))
    assert any("000_ee43792caad444cb.txt" in s and "999" in s for s in data["sources"])
    assert any("triage.md" in s for s in data["sources"])
    assert data["reviewed"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_detect_never_raises(signals: EmergencySignals, text: str) -> None:
    match = signals.detect(text)
    assert match is None or (match.signal and match.phrase)


# --- Canonical form: spellings, typing slips, placeholders --------------------

@pytest.mark.parametrize(
    ("message", "signal"),
    [
        ("cant wake mum, baby crying", "medical_emergency"),
        ("the bbay hasnt eaten in 2 days and theres no one home", "young_child_left_alone"),
        ("…had to leave his baby sister at home by herself", "child_alone"),
        ("the baby isnt breathing", "medical_emergency"),
        ("baby not breathng", "medical_emergency"),
        ("hes got a knfie", "weapon"),
        ("shes unconcious", "unconscious"),
        ("plz send police rn", "police_or_999_now"),
        ("[name] is unconscious and not breathing", "medical_emergency"),
        ("he says his stepdad hit him last night and he's scared to go home, what do I do?", "afraid_to_go_home"),
        ("the baby isn't breathing what do i do?", "medical_emergency"),
        ("what should I do, a child has been left alone in a hot car", "child_alone"),
    ],
)
def test_misspelt_and_questioning_reports_still_fire(signals: EmergencySignals, message: str, signal: str) -> None:
    match = signals.detect(message)
    assert match is not None and match.signal == signal, (message, match, signals.canonical(message))


@pytest.mark.parametrize(
    "message",
    [
        "her dad [name] is from Poland",
        "We meet on Monday [date] about the Child in Need Plan",
        "is a child left alone at 14 in danger?",
        "at what age can a child be left home alone?",
        "what counts as immediate danger?",
        "when should I call 999 rather than the MASH?",
        "not [NHS number] in immediate danger",
        "the children are home alone most [name] evenings, the eldest is 10",
        "mum isn't responding [name] to the baby's cues",
        "she is often left on her own after [school]",
        "where is the safeguarding policy",
        "the family live along the canal",
    ],
)
def test_placeholders_general_questions_and_real_words_do_not_fire(signals: EmergencySignals, message: str) -> None:
    assert signals.detect(message) is None, (message, signals.canonical(message))


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("cant wake HIM", [" can not wake him "]),
        ("the bbay isnt breathng", [" the baby is not breathing "]),
        ("pls hurry rn", [" please hurry right now "]),
        ("[name]'s mum. [NHS number] ok", [" mum ", " ok "]),
        ("after [school]", [" after school "]),
        ("the policy and the plan", [" the policy and the plan "]),  # real words are kept
        ("in Y7, 3rd lesson", [" in y7, 3rd lesson "]),  # numbers and short words are kept
    ],
)
def test_canonical_form(signals: EmergencySignals, text: str, sentences: list[str]) -> None:
    assert signals.canonical(text) == sentences


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("baby", "baby", 0), ("bbay", "baby", 1), ("babby", "baby", 1), ("bay", "baby", 1), ("bady", "baby", 1),
     ("unconsious", "unconscious", 1), ("unconcious", "unconscious", 1), ("uncnocsious", "unconscious", 2),
     ("fire", "knife", 3), ("", "abc", 3)],
)
def test_osa_distance(a: str, b: str, distance: int) -> None:
    assert osa_distance(a, b, 2) == min(distance, 3)
    assert osa_distance(b, a, 2) == min(distance, 3)


def test_typo_correction_reaches_two_edits_only_for_long_words(signals: EmergencySignals) -> None:
    assert signals.canonical("uncnocsious") == [" unconscious "]  # 11 letters, two edits
    assert signals.canonical("bbya") == [" bbya "]  # 4 letters, two edits: left alone


def test_without_the_matching_sections_the_old_exact_matching_applies(tmp_path: Path) -> None:
    data = yaml.safe_load(EMERGENCY_FILE.read_text(encoding="utf-8"))
    del data["matching"], data["generic_questions"]
    path = tmp_path / "signals.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    signals = EmergencySignals.from_file(path)
    assert signals.detect("the baby is not breathing") == EmergencyMatch("medical_emergency", "not breathing")
    assert signals.detect("the bbay is not braething") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["matching"]["fuzzy"].update(min_length="4"), "min_length"),
        (lambda d: d["matching"]["fuzzy"].update(two_edits_from=2), "two_edits_from"),
        (lambda d: d["matching"]["fuzzy"].update(keep="policy"), "keep"),
        (lambda d: d["matching"].update(placeholders=["[name]"]), "placeholders"),
        (lambda d: d["matching"].update(spellings={"cant": 1}), "spellings"),
        (lambda d: d["generic_questions"].pop("leads"), "generic_questions: leads: missing"),
        (lambda d: d["generic_questions"].update(max_words_between=-1), "max_words_between"),
        (lambda d: d["negation"].update(not_negating=[]), "not_negating"),
    ],
)
def test_a_malformed_matching_section_is_rejected(tmp_path: Path, change: object, message: str) -> None:
    _assert_rejected(tmp_path, change, message)


def test_kept_words_are_real_words_not_signal_words() -> None:
    """`keep` must not list a word of a signal: that word would then never be a typo target."""
    data = yaml.safe_load(EMERGENCY_FILE.read_text(encoding="utf-8"))
    keep = set(data["matching"]["fuzzy"]["keep"])
    assert {"infact", "atone", "lamp", "turn", "make"} <= keep
    signals = EmergencySignals.from_file(EMERGENCY_FILE)
    assert not {word for word in keep if signals.signal_word(word) == word}
