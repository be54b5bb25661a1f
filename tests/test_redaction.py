"""Redaction of identifying details (bot/redaction.py, knowledge/safety/privacy.yml)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.redaction import (
    KINDS,
    Redaction,
    Redactor,
    default_redactor,
    emergency_words,
    knowledge_phone_numbers,
    load_privacy,
    nhs_number_valid,
    redact,
)
from bot.paths import ROOT

PRIVACY = ROOT / "knowledge" / "safety" / "privacy.yml"

# Public numbers as another engineer's knowledge files give them (the shapes
# described for knowledge/national.yml and knowledge/areas/*.yml).
NATIONAL = [
    {"key": "police_emergency", "phone": "999"},
    {"key": "nspcc", "phone": "0808 800 5000"},
]
AREA = {
    "id": "kingston_richmond",
    "routes": {"front_door": {"phone": "020 8547 5008"}, "out_of_hours": {"phone": "020 8770 5000"}},
}


@pytest.fixture(scope="module")
def knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("knowledge")
    (root / "safety").mkdir()
    shutil.copy(PRIVACY, root / "safety" / "privacy.yml")
    for word_list in PRIVACY.parent.glob("*.txt"):  # first names, surnames, dictionary
        shutil.copy(word_list, root / "safety" / word_list.name)
    (root / "areas").mkdir()
    (root / "national.yml").write_text(yaml.safe_dump(NATIONAL), encoding="utf-8")
    (root / "areas" / "kingston_richmond.yml").write_text(yaml.safe_dump(AREA), encoding="utf-8")
    (root / "areas" / "broken.yml").write_text("routes: {front_door: {phone: [unclosed\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def redactor(knowledge_dir: Path) -> Redactor:
    return Redactor.from_knowledge(knowledge_dir)


# (message, kind that must be found, fragments that must be gone, fragments that must stay)
POSITIVES = [
    (
        "my pupil Tom Baker, DOB 12/05/2014, is always hungry",
        {"name", "date"},
        ["Tom", "Baker", "12/05/2014"],
        ["my pupil", "DOB", "is always hungry"],
    ),
    # names
    ("a boy called Tom", {"name"}, ["Tom"], ["a boy called"]),
    ("a girl named Sarah who is 6", {"name"}, ["Sarah"], ["who is 6"]),
    ("his name is tom baker and he is 7", {"name"}, ["tom", "baker"], ["and he is 7"]),
    ("name: jayden", {"name"}, ["jayden"], ["name:"]),
    ("Tom's mum never comes to parents evening", {"name"}, ["Tom"], ["'s mum never comes"]),
    ("Mrs Smith said he was fine", {"name"}, ["Smith"], ["Mrs", "said he was fine"]),
    ("Mr O'Brien is the father", {"name"}, ["O'Brien"], ["Mr", "is the father"]),
    ("Ms Jones-Smith came to the door", {"name"}, ["Jones"], ["Ms", "came to the door"]),
    ("Dr. Patel referred her", {"name"}, ["Patel"], ["referred her"]),
    ("Mrs May did not answer", {"name"}, ["May"], ["Mrs", "did not answer"]),
    ("Tom Baker aged 7 looks thin", {"name"}, ["Tom", "Baker"], ["aged 7 looks thin"]),
    ("Tom (7) is hungry", {"name"}, ["Tom"], ["(7) is hungry"]),
    ("Kacey, 4 years old, has no coat", {"name"}, ["Kacey"], ["4 years old, has no coat"]),
    ("my pupil Tom Baker", {"name"}, ["Tom", "Baker"], ["my pupil"]),
    ("her son Jack missed school", {"name"}, ["Jack"], ["her son", "missed school"]),
    ("child: Jake", {"name"}, ["Jake"], ["child:"]),
    ("mother - Jane", {"name"}, ["Jane"], ["mother -"]),
    ("Tom Baker is always hungry", {"name"}, ["Tom", "Baker"], ["is always hungry"]),
    ("I think Callum is hungry", {"name"}, ["Callum"], ["I think", "is hungry"]),
    ("Yesterday Callum was hungry", {"name"}, ["Callum"], ["Yesterday", "was hungry"]),
    ("worried about Zoë Müller in year 2", {"name"}, ["Zoë", "Müller"], ["worried about", "in year 2"]),
    ("Ellie-Mae O'Sullivan-McDonald has head lice", {"name"}, ["Ellie", "Sullivan"], ["has head lice"]),
    # dates
    ("DOB 12/05/2014", {"date"}, ["12/05/2014"], ["DOB"]),
    ("born 12-05-2014 in hospital", {"date"}, ["12-05-2014"], ["born", "in hospital"]),
    ("dob 12.5.14", {"date"}, ["12.5.14"], ["dob"]),
    ("seen on 12 May 2014", {"date"}, ["12 May 2014"], ["seen on"]),
    ("seen on May 12th 2014", {"date"}, ["May 12th 2014"], ["seen on"]),
    ("born on 3rd March 2019", {"date"}, ["3rd March 2019"], ["born on"]),
    ("date of birth 2014-05-12", {"date"}, ["2014-05-12"], ["date of birth"]),
    ("born in May 2014", {"date"}, ["May 2014"], ["born in"]),
    ("DOB: 2015", {"date"}, ["2015"], ["DOB:"]),
    ("I saw him on 3 May", {"date"}, ["3 May"], ["I saw him on"]),
    # postcodes
    ("lives in KT1 1AA", {"postcode"}, ["KT1 1AA"], ["lives in"]),
    ("postcode kt11aa", {"postcode"}, ["kt11aa"], ["postcode"]),
    ("SW1A 1AA", {"postcode"}, ["SW1A"], []),
    ("near W1 2NB today", {"postcode"}, ["W1 2NB"], ["near", "today"]),
    ("at CV1 5RR", {"postcode"}, ["CV1 5RR"], ["at"]),
    ("ox4 6ha", {"postcode"}, ["ox4"], []),
    ("the GIR 0AA office", {"postcode"}, ["GIR 0AA"], ["office"]),
    # addresses
    ("lives at 12 Acacia Avenue with mum", {"address"}, ["12 Acacia", "Avenue"], ["lives at", "with mum"]),
    ("Flat 3, 4 High Street", {"address"}, ["Flat 3", "High Street"], []),
    ("lives at 12 acacia avenue", {"address"}, ["acacia"], ["lives at"]),
    ("moved to 27b Station Road last week", {"address"}, ["Station Road"], ["moved to", "last week"]),
    ("5 The Grove", {"address"}, ["Grove"], []),
    ("at 14 Park Lane", {"address"}, ["Park Lane"], ["at"]),
    # NHS numbers (943 476 5919 passes the modulus-11 check)
    ("NHS number 943 476 5919", {"nhs_number"}, ["943 476 5919"], ["NHS number"]),
    ("nhs no 943-476-5919", {"nhs_number"}, ["5919"], ["nhs no"]),
    ("9434765919", {"nhs_number"}, ["9434765919"], []),
    # Ten digits that fail the modulus-11 check are NHS numbers too (a mistyped
    # NHS number still identifies); these two were in NEGATIVES before.
    ("NHS number 943 476 5918", {"nhs_number"}, ["943 476 5918"], ["NHS number"]),
    ("1234567890", {"nhs_number"}, ["1234567890"], []),
    # a 10-digit string failing the check that looks like a phone number
    ("ring 0123 456 780", {"phone"}, ["0123 456 780"], ["ring"]),
    # phones
    ("mum's mobile is 07700 900123", {"phone"}, ["07700 900123"], ["mobile is"]),
    ("call her on 07700900123", {"phone"}, ["07700900123"], ["call her on"]),
    ("home +44 20 7946 0958", {"phone"}, ["7946"], ["home"]),
    ("dad (020) 7946 0958", {"phone"}, ["7946"], ["dad"]),
    ("nan 0044 1632 960 001", {"phone"}, ["960"], ["nan"]),
    ("landline 01632 960001", {"phone"}, ["960001"], ["landline"]),
    # emails
    ("email jane.doe@example.com please", {"email"}, ["jane.doe", "example.com"], ["email", "please"]),
    ("mum: j_o'neill+school@mail.example.co.uk", {"email"}, ["mail.example"], ["mum:"]),
]


@pytest.mark.parametrize(("message", "kinds", "gone", "kept"), POSITIVES, ids=[p[0][:40] for p in POSITIVES])
def test_identifying_details_are_redacted(
    redactor: Redactor, message: str, kinds: set[str], gone: list[str], kept: list[str]
) -> None:
    result = redactor.redact(message)
    assert kinds <= set(result.kinds), result
    assert result.found
    for fragment in gone:
        assert fragment not in result.text, result.text
    for fragment in kept:
        assert fragment in result.text, result.text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my pupil Tom Baker, DOB 12/05/2014, is always hungry", "my pupil [name], DOB [date], is always hungry"),
        ("Flat 3, 4 High Street, KT1 1AA", "[address], [postcode]"),
        ("Tom's mum, Mrs Baker, 07700 900123", "[name]'s mum, Mrs [name], [phone]"),
        ("NHS 943 476 5919, email a@b.org", "NHS [NHS number], email [email]"),
    ],
)
def test_placeholders_keep_the_message_readable(redactor: Redactor, message: str, expected: str) -> None:
    assert redactor.redact(message).text == expected


NEGATIVES = [
    "Kingston SPA phone number",
    "call 0808 800 5000",
    "call 0800 1111 or 999 or 101 or 111",
    "Kingston SPA on 020 8547 5008, out of hours 020 8770 5000",
    "Richmond, Wakefield, Oxfordshire, Coventry and Wandsworth",
    "Kingston upon Thames and West Yorkshire",
    "The Graded Care Profile was used at the Early Help meeting",
    "Was Not Brought to three appointments",
    "Signs of Safety and Working Together",
    "I rang Children's Social Care and the MASH",
    "NSPCC, MASH, SPA, GP, NHS, DSL, SENCO",
    "the Health Visitor and the Social Worker spoke to the Designated Safeguarding Lead",
    "Mum said She was tired. Dad is away. The house is cold.",
    "We met on Monday in May and again in June",
    "aged 7",
    "7 years old",
    "she is 3 months",
    "this has gone on for 6 months",
    "the visit is at 5pm on Friday",
    "from 9.30 to 17.30",
    "in March 2020 mum lost her job",
    "aged 7 in the park, a 15 minute walk or a 2 hour drive from school",
    "she has 3 siblings and 2 may need help",
    "in Y7 5th lesson",
    "What is Start Again Syndrome?",
    "Tell me about Professional Curiosity and the Voice of the Child",
    "Please Help Me With A Child Who Is Hungry",
    "The Toolkit is useful. What Toolkit is best?",
    "I called the police",
    "what does immediate danger mean",
    "Is this neglect? I'm a health visitor in Kingston & Richmond.",
    "Operation Encompass and Universal Credit and Free School Meals",
    "Female Genital Mutilation and Child Sexual Exploitation",
    "name: unknown",
    "the child's name is not important",
    "",
    "   ",
    "🙂👶🏽 ‏مرحبا שלום",
    "<script>alert('x')</script> AND \"title\":* OR (neglect)",
]


@pytest.mark.parametrize("message", NEGATIVES)
def test_ordinary_words_numbers_and_public_services_are_kept(redactor: Redactor, message: str) -> None:
    result = redactor.redact(message)
    assert result.text == message
    assert result.kinds == ()
    assert not result.found


def test_area_numbers_are_only_kept_because_the_knowledge_lists_them(tmp_path: Path) -> None:
    (tmp_path / "safety").mkdir()
    shutil.copy(PRIVACY, tmp_path / "safety" / "privacy.yml")
    bare = Redactor.from_knowledge(tmp_path)  # no national.yml, no areas/
    assert bare.redact("Kingston SPA 020 8547 5008").text == "Kingston SPA [phone]"
    # The national numbers in privacy.yml are kept even without national.yml.
    assert bare.redact("NSPCC 0808 800 5000").text == "NSPCC 0808 800 5000"


def test_knowledge_phone_numbers_reads_every_phone_and_skips_broken_files(knowledge_dir: Path) -> None:
    assert set(knowledge_phone_numbers(knowledge_dir)) == {"999", "0808 800 5000", "020 8547 5008", "020 8770 5000"}
    assert knowledge_phone_numbers(knowledge_dir / "missing") == ()


def test_words_of_the_danger_signals_are_never_names(tmp_path: Path) -> None:
    path = tmp_path / "signals.yml"
    path.write_text(
        yaml.safe_dump({"sources": ["Kingston"], "signals": [
            {"id": "x", "all_of": [["Left alone"], ["baby"]], "unless_in_sentence": ["Grace"]},
            {"id": "y", "phrases": ["Not breathing"]},
        ]}),
        encoding="utf-8",
    )
    # only the words a signal matches on: exclusion lists may hold names
    assert emergency_words(path) == {"left", "alone", "baby", "not", "breathing"}
    assert emergency_words(tmp_path / "missing.yml") == frozenset()
    (tmp_path / "safety").mkdir()
    shutil.copy(PRIVACY, tmp_path / "safety" / "privacy.yml")
    without = Redactor.from_knowledge(tmp_path)
    assert without.redact("Baby Left Alone").text == "Baby [name]"  # what the danger words prevent
    shutil.copy(ROOT / "knowledge" / "safety" / "emergency_signals.yml", tmp_path / "safety")
    assert Redactor.from_knowledge(tmp_path).redact("Baby Left Alone").text == "Baby Left Alone"


def test_every_public_number_in_the_repository_knowledge_is_kept() -> None:
    numbers = knowledge_phone_numbers(ROOT / "knowledge")
    assert "0808 800 5000" in numbers  # national.yml was read
    default_redactor.cache_clear()
    for number in numbers:
        message = f"call {number} now"
        assert redact(message).text == message


def test_allowed_number_in_another_format_is_kept(redactor: Redactor) -> None:
    assert redactor.redact("+44 (0)20 8547 5008").text == "+44 (0)20 8547 5008"


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("9434765919", True), ("4010232137", True), ("9434765918", False), ("1234567890", False), ("943476591", False)],
)
def test_nhs_number_check_digit(digits: str, valid: bool) -> None:
    assert nhs_number_valid(digits) is valid


def test_kinds_are_sorted_and_known(redactor: Redactor) -> None:
    result = redactor.redact(
        "Tom Baker, 07700 900123, KT1 1AA, 12/05/2014, a@b.org, 943 476 5919, 3 Mill Lane, Quillbyfell Primary School"
    )
    assert result.kinds == tuple(sorted(KINDS))
    assert result == Redaction(text=result.text, kinds=result.kinds)


def test_default_redact_uses_the_repository_knowledge() -> None:
    default_redactor.cache_clear()
    assert redact("my pupil Tom Baker, DOB 12/05/2014, is always hungry").text == (
        "my pupil [name], DOB [date], is always hungry"
    )
    assert default_redactor() is default_redactor()


def test_notice_asks_not_to_share_and_says_why(redactor: Redactor) -> None:
    notice = redactor.notice.lower()
    for word in ("names", "dates of birth", "addresses", "nhs numbers", "phone numbers", "don't need", "not store"):
        assert word in notice


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["placeholders"].pop("phone"), "placeholders: missing phone"),
        (lambda d: d["not_names"].update(ordinary_words=[True, "The"]), "ordinary_words"),
        (lambda d: d.pop("person_context"), "person_context"),
        (lambda d: d["notice"].update(text=""), "notice: text: must be non-empty text"),
    ],
)
def test_load_privacy_rejects_a_malformed_file(tmp_path: Path, change: object, message: str) -> None:
    data = yaml.safe_load(PRIVACY.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path = tmp_path / "privacy.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_privacy(path)


def test_privacy_file_loads_and_every_placeholder_is_distinct() -> None:
    settings_ = load_privacy(PRIVACY)
    assert set(settings_.placeholders) == set(KINDS)
    assert len(set(settings_.placeholders.values())) == len(KINDS)
    assert {"kingston", "mum", "the", "may", "nspcc"} <= settings_.not_names


def test_non_text_input_does_not_raise(redactor: Redactor) -> None:
    assert redactor.redact(None).text == ""  # type: ignore[arg-type]
    assert redactor.redact(12345).text == "12345"  # type: ignore[arg-type]


def test_a_long_message_is_redacted_throughout(redactor: Redactor) -> None:
    """Every repeat of the details in a 10,000-character message goes (its cost is in benchmarks/components.py)."""
    chunk = "my pupil Tom Baker, DOB 12/05/2014, lives at 12 Acacia Avenue KT1 1AA, mum on 07700 900123. "
    message = (chunk * 120)[:10_000]
    result = redactor.redact(message)
    for detail in ("Baker", "07700", "12/05/2014", "KT1 1AA", "Acacia"):
        assert detail not in result.text
    assert result.text.count("[phone]") >= message.count("07700 900123")
    assert "my pupil" in result.text


# Text mixing ordinary words with identifying details, to exercise every rule.
FRAGMENTS = st.sampled_from(
    [
        "Tom", "Baker", "Mrs", "Mr.", "called", "name is", "name:", "child:", "pupil", "mum", "'s", "(7)",
        "aged 7", "is", "was", "hungry", "the", "Kingston", "SPA", "Early Help", "12/05/2014", "12 May 2014",
        "DOB", "born in", "2014", "KT1 1AA", "kt11aa", "12", "Acacia", "Avenue", "Flat 3,", "943 476 5919",
        "07700 900123", "0808 800 5000", "+44", "a@b.org", "[name]", "[date]", "[NHS number]", ",", ".", "\n",
        "-", "'", "O'Brien", "Jones-Smith", "Zoë", "🙂", "\u202e", "\x00",
    ]
)
MESSAGES = st.one_of(
    st.text(max_size=300),
    st.lists(FRAGMENTS, max_size=30).map(" ".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(MESSAGES)
def test_redaction_is_idempotent_and_never_raises(message: str) -> None:
    redactor = default_redactor()
    once = redactor.redact(message)
    twice = redactor.redact(once.text)
    assert twice.text == once.text
    assert set(once.kinds) <= set(KINDS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["hungry", "cold", "tired", "school", "dirty", "late"]), min_size=1, max_size=8))
def test_the_rest_of_the_message_survives(words: list[str]) -> None:
    message = "my pupil Tom Baker, DOB 12/05/2014, is " + " ".join(words)
    result = default_redactor().redact(message)
    assert result.text == "my pupil [name], DOB [date], is " + " ".join(words)
