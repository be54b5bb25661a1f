"""knowledge/wording.yml holds the wording bot/render.py assembles: every line
the code asks for is there, every line there is used, and a line is filled
only with the values it names."""
from __future__ import annotations

import ast
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


def _say_calls() -> list[tuple[str, str, frozenset[str]]]:
    """Every say("key", name=...) in bot/ and actions/: where, the key(s), the names given.
    A key chosen by a condition (say("a" if x else "b", ...)) counts as both."""
    found = []
    for folder in ("bot", "actions"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say"):
                    continue
                if not node.args or any(k.arg is None for k in node.keywords):
                    continue  # say(**values): checked where the values are built
                first = node.args[0]
                keys = [first] if isinstance(first, ast.Constant) else (
                    [first.body, first.orelse] if isinstance(first, ast.IfExp) else [])
                names = frozenset(str(k.arg) for k in node.keywords)
                found += [(f"{path.relative_to(ROOT)}:{node.lineno}", k.value, names)
                          for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return found


def test_every_say_call_gives_exactly_the_placeholders_of_its_line() -> None:
    """A call that gives a value its line does not name (or misses one) fails at run time:
    found here, before a practitioner meets it."""
    lines = default().lines
    wrong = [f"{where}: {key} names {sorted(placeholders(lines[key]))}, the call gives {sorted(names)}"
             for where, key, names in _say_calls() if key in lines and placeholders(lines[key]) != names]
    assert wrong == []
    assert len(_say_calls()) > 50  # the walk found the calls
