"""Regenerate `matching.fuzzy.keep` in knowledge/safety/emergency_signals.yml.

`keep` lists the real English words that typo correction must leave alone
because they are within its reach of a word of the signal file ("policy" is
one edit from "police"). It is every word among the most frequent English
words (the `wordfreq` package, not a dependency of the project: install it
anywhere, e.g. `pip install --target /tmp/wf wordfreq`) that the corrector
would otherwise change, less the words listed in MISSPELLINGS below, which
are common misspellings of signal words and so should be corrected.

    PYTHONPATH=/tmp/wf .venv/bin/python -m tests.safety.emergency_keep [--write]

prints the list (or, with --write, replaces the `keep:` list, which must be the
last entry of the file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.emergency import EmergencySignals
from bot.knowledge.snapshot import snapshot

EMERGENCY_FILE = snapshot().path("emergency")

TOP_WORDS = 40_000

# Frequent on the web but misspellings of a word of the signal file: corrected.
MISSPELLINGS = frozenset(
    {"abou", "belive", "couldn", "cryin", "drinkin", "eatin", "fallin", "fightin", "happend", "wouldn"}
)


def keep_words(path: Path = EMERGENCY_FILE, top: int = TOP_WORDS) -> list[str]:
    """Frequent English words that the corrector of `path` (with an empty keep list) would change."""
    from wordfreq import top_n_list  # imported here: a tool dependency only

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["matching"]["fuzzy"]["keep"] = []
    scratch = path.with_name(".emergency_keep_scratch.yml")
    scratch.write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        signals = EmergencySignals.from_file(scratch)
    finally:
        scratch.unlink()
    speller = signals._speller  # noqa: SLF001 - a maintenance tool of the module
    words = {w for w in top_n_list("en", top) if w.isalpha() and w.isascii()}
    return sorted(w for w in words if w not in MISSPELLINGS and speller.correct(w) != w)


def keep_block(words: list[str], width: int = 100) -> str:
    """The `keep:` entry as a flow list wrapped at `width` characters."""
    quoted = [f'"{w}"' if w in {"yes", "no", "on", "off", "y", "n", "true", "false", "null"} else w for w in words]
    lines, line = [], "      "
    for word in quoted:
        if len(line) + len(word) + 2 > width:
            lines.append(line.rstrip())
            line = "      "
        line += word + ", "
    lines.append(line.rstrip().rstrip(","))
    return "    keep: [\n" + "\n".join(lines) + "\n    ]\n"


def main(argv: list[str]) -> None:
    words = keep_words()
    block = keep_block(words)
    if "--write" in argv:
        text = EMERGENCY_FILE.read_text(encoding="utf-8")
        head, found, _ = text.rpartition("\n    keep: [")
        if not found:
            raise SystemExit("no `    keep: [` entry in the file")
        EMERGENCY_FILE.write_text(head + "\n" + block, encoding="utf-8")
    print(f"{len(words)} words", file=sys.stderr)
    print(block, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
