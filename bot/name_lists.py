"""Generate the word lists that name redaction uses (knowledge/safety/*.txt).

bot/redaction.py reads three committed lists at start-up, so the assistant
needs no extra package and no network at run time:

- first_names.txt: first names people in the UK are likely to have, from the
  `names-dataset` PyPI package (3.3.1: first names by country with ranks,
  taken from a large public data set of social-network profiles);
- surnames.txt: last names from the same package;
- english_words.txt: the lower-case entries of the SCOWL British English word
  list (Debian package `wbritish`, /usr/share/dict/british-english). A first
  name that is also a lower-case dictionary word ("will", "grace", "mark") is
  only treated as a name when it is capitalised and something else points to a
  person; a lower-case word that is not in this list but is a first name
  ("kayden", "deshawn") is a name wherever it is.

Regenerate (only when a source changes; the output is sorted, so a diff shows
exactly what changed):

    pip install names-dataset==3.3.1       # in any Python >= 3.9 environment
    apt-get install wbritish=2020.12.07-2
    python -m bot.name_lists knowledge/safety

The selection rules are the constants below; each file's header repeats them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

GENERATED = "2026-12-01"
NAMES_PACKAGE = "names-dataset==3.3.1"
DICTIONARY_PACKAGE = "wbritish=2020.12.07-2 (Debian; SCOWL British English)"
DICTIONARY_PATH = Path("/usr/share/dict/british-english")

# English-speaking countries: first names ranked up to FIRST_RANK_ENGLISH.
ENGLISH_COUNTRIES = ("GB", "IE", "US", "CA")
FIRST_RANK_ENGLISH = 5000
# Countries of birth common in the four partnership areas (ONS census top
# countries of birth, by a generous reading), ranked up to FIRST_RANK_OTHER.
OTHER_COUNTRIES = (
    "IN", "PK", "BD", "LK", "NG", "GH", "SO", "KE", "ZA", "ZW", "JM", "PL", "RO", "LT", "LV", "BG",
    "HU", "SK", "CZ", "PT", "ES", "IT", "FR", "DE", "NL", "GR", "CY", "TR", "AL", "IQ", "IR", "AF",
    "SY", "EG", "MA", "DZ", "SA", "AE", "MY", "PH", "CN", "HK", "BR", "CO", "RU", "UA", "ET",
)
FIRST_RANK_OTHER = 1500
# Last names: ranked up to SURNAME_RANK in these countries.
SURNAME_COUNTRIES = ("GB", "IE", "US")
SURNAME_RANK = 20000
# A name is kept only if it is made of letters (with inner hyphens or apostrophes).
_NAME_SHAPE = re.compile(r"[^\W\d_]{2,}(?:['-][^\W\d_]+)*")


def select_names(names: Mapping[str, Mapping[str, Any]], ranks: Mapping[str, int]) -> list[str]:
    """Names whose rank in any country of `ranks` is at most that country's limit,
    letters only, sorted and without duplicates (compared casefolded)."""
    chosen: dict[str, str] = {}
    for name, info in names.items():
        name_ranks = (info or {}).get("rank") or {}
        if not isinstance(name, str) or not _NAME_SHAPE.fullmatch(name):
            continue
        if any(country in ranks and rank <= ranks[country] for country, rank in name_ranks.items()):
            chosen.setdefault(name.casefold(), name)
    return sorted(chosen.values(), key=str.casefold)


def english_words(lines: Iterable[str]) -> list[str]:
    """The lower-case entries of a dictionary word list, letters only, with
    apostrophes dropped (practitioners type "isnt", "hasnt", "dont")."""
    words = (line.strip().replace("'", "") for line in lines)
    return sorted({w for w in words if w.isalpha() and w.islower()})


def _write(path: Path, header: str, words: list[str]) -> None:
    lines = [f"# {line}" if line else "#" for line in header.strip().splitlines()]
    path.write_text("\n".join([*lines, *words]) + "\n", encoding="utf-8")
    print(f"{path}: {len(words)} entries")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write to (knowledge/safety)")
    parser.add_argument("--dictionary", type=Path, default=DICTIONARY_PATH)
    args = parser.parse_args(argv)
    try:
        from names_dataset import NameDataset
    except ImportError:
        print(f"needs {NAMES_PACKAGE}: pip install {NAMES_PACKAGE}", file=sys.stderr)
        return 2
    if not args.dictionary.is_file():
        print(f"needs {args.dictionary}: apt-get install wbritish", file=sys.stderr)
        return 2
    dataset = NameDataset()  # about 2.5 GB of memory while it runs
    first_ranks = {c: FIRST_RANK_ENGLISH for c in ENGLISH_COUNTRIES} | {c: FIRST_RANK_OTHER for c in OTHER_COUNTRIES}
    common = f"Generated {GENERATED} by `python -m bot.name_lists` (bot/name_lists.py); do not edit by hand."
    _write(
        args.out / "first_names.txt",
        f"""
First names for redaction (bot/redaction.py), one per line, compared case-insensitively.
Source: PyPI {NAMES_PACKAGE}, NameDataset().first_names.
Rule: letters only (inner - or ' allowed), 2+ letters, ranked <= {FIRST_RANK_ENGLISH} in
{', '.join(ENGLISH_COUNTRIES)} or <= {FIRST_RANK_OTHER} in {', '.join(OTHER_COUNTRIES)}.
{common}
""",
        select_names(dataset.first_names, first_ranks),
    )
    _write(
        args.out / "surnames.txt",
        f"""
Last names for redaction (bot/redaction.py), one per line, compared case-insensitively.
Source: PyPI {NAMES_PACKAGE}, NameDataset().last_names.
Rule: letters only (inner - or ' allowed), 2+ letters, ranked <= {SURNAME_RANK} in {', '.join(SURNAME_COUNTRIES)}.
{common}
""",
        select_names(dataset.last_names, {c: SURNAME_RANK for c in SURNAME_COUNTRIES}),
    )
    _write(
        args.out / "english_words.txt",
        f"""
Ordinary English words for redaction (bot/redaction.py): a first name that is one of
these ("will", "grace") is not redacted when typed in lower case.
Source: {DICTIONARY_PACKAGE}, {DICTIONARY_PATH}.
Rule: the entries that are all lower-case letters once apostrophes are dropped ("isn't" gives
"isnt"), so proper nouns such as "Oliver" are left out.
{common}
""",
        english_words(args.dictionary.read_text(encoding="utf-8").splitlines()),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
