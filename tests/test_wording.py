"""knowledge/wording.yml holds the wording bot/render.py assembles: every line
the code asks for is there, every line there is used, and a line is filled
only with the values it names."""
from __future__ import annotations

import re

import pytest

from bot.paths import ROOT
from bot.wording import Wording, WordingError, default, load, placeholders
from bot.knowledge.snapshot import snapshot

WORDING_FILE = snapshot().path("wording")

# say("key", ...), say('key', ...) or say("key" if ... else "other", ...) in the code;
# ask_area's lines are named by its `question`.
_SAID = re.compile(r"""\bsay\(\s*["']([a-z0-9_]+)["'](?:\s+if\s+[^"'()]+\s+else\s+["']([a-z0-9_]+)["'])?""")
_DYNAMIC = re.compile(r"""say\(f["']ask_area_\{question\}["']\)""")


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for folder in ("bot", "actions") for p in sorted((ROOT / folder).rglob("*.py")))


def test_every_line_the_code_asks_for_exists_and_every_line_is_used() -> None:
    code = _code()
    asked = {key for keys in _SAID.findall(code) for key in keys if key}
    if _DYNAMIC.search(code):
        asked |= {f"ask_area_{q}" for q in ("triage", "contact", "escalation", "emergency")}
    lines = set(default().lines)
    assert sorted(asked - lines) == [], "asked for by the code but not in knowledge/wording.yml"
    assert sorted(lines - asked) == [], "in knowledge/wording.yml but never used"


def test_the_project_wording_loads() -> None:
    assert load(WORDING_FILE).lines["immediate"].endswith("call 999 now.")


def test_a_line_is_filled_with_exactly_the_values_it_names() -> None:
    wording = Wording(lines={"nspcc": "NSPCC helpline for adults: {phone}."})
    assert wording.say("nspcc", phone="0808 800 5000") == "NSPCC helpline for adults: 0808 800 5000."
    with pytest.raises(WordingError, match=r"names \['phone'\], the code gives \[\]"):
        wording.say("nspcc")
    with pytest.raises(WordingError, match=r"the code gives \['area', 'phone'\]"):
        wording.say("nspcc", phone="0808 800 5000", area="Coventry")
    with pytest.raises(WordingError, match="no line 'missing'"):
        wording.say("missing")


@pytest.mark.parametrize("template, problem", [
    ("Call 0808 800 5000.", "a number is a fact"),
    ("NSPCC: {phone", "write a literal brace"),
    ("{phone.number}", "plain names"),
])
def test_a_bad_line_is_refused_naming_it(template: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Wording(lines={"nspcc": template})


def test_999_and_literal_braces_are_allowed() -> None:
    wording = Wording(lines={"immediate": "Call 999 now.", "brace": "{{not a placeholder}}"})
    assert wording.say("brace") == "{not a placeholder}"
    assert placeholders("{a} and {b}") == {"a", "b"}
