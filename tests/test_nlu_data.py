"""Hygiene checks for the NLU training data and the held-out test split.

The held-out split in tests/nlu/heldout.yml measures how well the assistant
understands phrasings it never saw, so it must stay disjoint from training:
no duplicates and no trivial edits (case, punctuation, word order, one extra
word) of a training example.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from bot.paths import ROOT

TRAINING_DIR = ROOT / "data" / "nlu"
HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout.yml"
# Held-out phrasings kept beside the main split, each for the intents of one feature.
HELDOUT_FILES = (HELDOUT_FILE, ROOT / "tests" / "nlu" / "heldout_out_of_scope.yml")
# Held-out questions labelled with the answer they need (tests/e2e/test_answers_e2e.py).
ANSWER_FILES = tuple(ROOT / "tests" / "nlu" / f"{name}.yml" for name in (
    "heldout_answers", "heldout_topics", "heldout_answers_fresh", "heldout_answers_fresh2",
    "heldout_answers_fresh3"))
TRAINING_FILES = ("core", "emergency", "triage", "questions", "contacts", "learning", "out_of_scope")

MIN_TRAINING = 12
MIN_HELDOUT = 4
TRIVIAL_EDIT_JACCARD = 0.9

# The intent names are a contract with domain.yml, stories and actions.
EXPECTED_INTENTS = frozenset(
    {
        # conversation
        "greet", "goodbye", "thank", "bot_capabilities", "out_of_scope",
        # out of scope, with a route; where the practitioner works
        "out_of_scope_adult", "out_of_scope_allegation", "out_of_scope_child",
        "out_of_scope_medical", "out_of_scope_language", "inform_area",
        "affirm", "deny", "dont_know", "inform", "emergency", "start_triage",
        "go_back", "stop", "forget", "request_summary", "tell_me_more",
        "skip_question", "repeat_question", "explain_question", "human_handoff",
        # contacts
        "ask_contact",
        # learning
        "start_quiz", "list_guides", "ask_guide", "ask_escalation",
        # a question about neglect (its topic is found in knowledge/guidance: bot/topics.py)
        "ask_question",
    }
)

# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" as entity
# annotations; a bare redaction placeholder such as "[name]" is plain text.
ENTITY_ANNOTATION = re.compile(r"\[[^\]]+\][(\[{]")

Example = tuple[str, str]  # (intent, text)


# Letters and digits of any script, so examples in other languages compare too.
WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> frozenset[str]:
    """Lower-cased, punctuation-stripped token set of an example."""
    return frozenset(WORD.findall(text.lower()))


def normalise(text: str) -> str:
    """Lower-cased text with punctuation and extra spaces removed, order kept."""
    return " ".join(WORD.findall(text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def read_nlu_file(path: Path) -> list[Example]:
    """Parse one Rasa 3.x NLU file strictly, returning (intent, text) pairs."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path}: not a YAML mapping"
    assert document.get("version") == "3.1", f"{path}: version must be \"3.1\""
    assert set(document) == {"version", "nlu"}, f"{path}: unexpected keys {sorted(document)}"
    examples: list[Example] = []
    for block in document["nlu"]:
        assert set(block) == {"intent", "examples"}, f"{path}: block keys {sorted(block)}"
        for line in block["examples"].splitlines():
            if not line.strip():
                continue
            assert line.startswith("- "), f"{path}: {block['intent']}: bad line {line!r}"
            text = line[2:].strip()
            assert text, f"{path}: {block['intent']}: empty example"
            examples.append((block["intent"], text))
    return examples


def intent_blocks(path: Path) -> list[str]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [block["intent"] for block in document["nlu"]]


@pytest.fixture(scope="module")
def training() -> list[Example]:
    return [ex for name in TRAINING_FILES for ex in read_nlu_file(TRAINING_DIR / f"{name}.yml")]


@pytest.fixture(scope="module")
def heldout() -> list[Example]:
    return [ex for path in HELDOUT_FILES for ex in read_nlu_file(path)]


@pytest.fixture(scope="module")
def held_apart(heldout: list[Example]) -> list[Example]:
    """Every held-out phrasing: the NLU splits and the answer sets."""
    answers = [(row["expect"], row["text"]) for path in ANSWER_FILES
               for row in yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]]
    return heldout + answers


def duplicates(examples: list[Example]) -> list[str]:
    counts = Counter(normalise(text) for _, text in examples)
    return sorted(text for text, n in counts.items() if n > 1)


@pytest.mark.parametrize(
    ("a", "b", "trivial"),
    [
        ("Go back!", "go back", True),
        ("what is neglect", "neglect, what is?", True),
        ("who do I call in Oxfordshire", "who do I call in Coventry", False),
        ("a b c d e f g h i j", "a b c d e f g h i j k", True),
        ("stop", "stop please", False),
    ],
)
def test_trivial_edit_detector(a: str, b: str, trivial: bool) -> None:
    assert (jaccard(tokens(a), tokens(b)) >= TRIVIAL_EDIT_JACCARD) is trivial


@pytest.mark.parametrize(
    ("text", "annotated"),
    [
        ("my pupil [name], DOB [date], is hungry", False),
        ("SPA in [Kingston](area)", True),
        ('[Kingston]{"entity": "area"}', True),
        ("[name][date]", True),
    ],
)
def test_entity_annotation_detector(text: str, annotated: bool) -> None:
    assert bool(ENTITY_ANNOTATION.search(text)) is annotated


@pytest.mark.parametrize("name", TRAINING_FILES)
def test_training_file_exists_and_parses(name: str) -> None:
    assert read_nlu_file(TRAINING_DIR / f"{name}.yml")


def test_no_unexpected_training_files() -> None:
    found = {p.stem for p in TRAINING_DIR.glob("*.yml")} | {p.stem for p in TRAINING_DIR.glob("*.yaml")}
    assert found == set(TRAINING_FILES)


def test_each_intent_defined_in_one_block_only() -> None:
    blocks = [i for name in TRAINING_FILES for i in intent_blocks(TRAINING_DIR / f"{name}.yml")]
    assert [i for i, n in Counter(blocks).items() if n > 1] == []
    held = [i for path in HELDOUT_FILES for i in intent_blocks(path)]
    assert [i for i, n in Counter(held).items() if n > 1] == []


@pytest.mark.parametrize("split", ["training", "heldout"])
def test_intents_match_the_contract(split: str, request: pytest.FixtureRequest) -> None:
    examples: list[Example] = request.getfixturevalue(split)
    found = {intent for intent, _ in examples}
    assert sorted(found - EXPECTED_INTENTS) == [], "intents not in the contract"
    assert sorted(EXPECTED_INTENTS - found) == [], "contract intents with no examples"


@pytest.mark.parametrize("intent", sorted(EXPECTED_INTENTS))
def test_minimum_examples_per_intent(intent: str, training: list[Example], heldout: list[Example]) -> None:
    assert sum(i == intent for i, _ in training) >= MIN_TRAINING
    assert sum(i == intent for i, _ in heldout) >= MIN_HELDOUT


@pytest.mark.parametrize("split", ["training", "heldout"])
def test_no_duplicates_within_split(split: str, request: pytest.FixtureRequest) -> None:
    assert duplicates(request.getfixturevalue(split)) == []


@pytest.mark.parametrize("split", ["training", "heldout"])
def test_no_entity_annotations(split: str, request: pytest.FixtureRequest) -> None:
    examples: list[Example] = request.getfixturevalue(split)
    assert [text for _, text in examples if ENTITY_ANNOTATION.search(text)] == []


def test_no_contradictory_training_examples(training: list[Example]) -> None:
    """The same words under two intents would teach the model both answers."""
    intents_by_tokens: dict[frozenset[str], set[str]] = defaultdict(set)
    for intent, text in training:
        intents_by_tokens[tokens(text)].add(intent)
    clashes = {" ".join(sorted(t)): sorted(i) for t, i in intents_by_tokens.items() if len(i) > 1}
    assert clashes == {}


def test_heldout_is_disjoint_from_training(training: list[Example], held_apart: list[Example]) -> None:
    trained = {normalise(text) for _, text in training}
    assert sorted(normalise(text) for _, text in held_apart if normalise(text) in trained) == []


def test_no_heldout_example_is_a_trivial_edit_of_training(
    training: list[Example], held_apart: list[Example]
) -> None:
    trained = {tokens(text): text for _, text in training}
    near = [
        (held, seen)
        for (_, held), (train_tokens, seen) in itertools.product(held_apart, trained.items())
        if jaccard(tokens(held), train_tokens) >= TRIVIAL_EDIT_JACCARD
    ]
    assert not near, "\n".join(f"held-out {held!r} ~ training {seen!r}" for held, seen in near)


def test_no_sample_phrasing_is_trained_on(training: list[Example]) -> None:
    """The shared eval samples (../shared/eval) are samples, not training data."""
    import warnings

    shared = ROOT.parent / "shared" / "eval"
    if not shared.is_dir():
        warnings.warn(f"SKIPPED LOUDLY: {shared} is not beside this checkout; samples not checked")
        pytest.skip(f"{shared} not present")
    samples = set()
    for name in ("questions.yaml", "conversations.yaml"):
        data = yaml.safe_load((shared / name).read_text(encoding="utf-8"))
        samples |= {q["text"] for q in data.get("questions", [])}
        samples |= {t["say"] for c in data.get("conversations", []) for t in c["turns"]}
    def key(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    trained = {key(text) for _, text in training}
    assert sorted(s for s in samples if key(s) in trained) == []
