"""The privacy corpus (tests/safety/privacy_corpus.yml), for unit and end-to-end tests.

Each entry is a message a practitioner might type with identifying details in
it, and the identifier substrings that must not survive redaction. The unit
test (tests/safety/test_privacy_corpus.py) redacts each message; an
end-to-end test can send each message to the running assistant and search the
tracker store and the logs for the same identifiers with `survivors()`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.sanitise import strip_invisible

CORPUS = Path(__file__).resolve().parent / "privacy_corpus.yml"


@dataclass(frozen=True)
class PrivacyCase:
    """One message and the identifiers that must not survive it."""

    text: str
    identifiers: tuple[str, ...]
    form: str  # which kind of identifier it exercises (zero_width, lone_name, nhs...)

    @property
    def id(self) -> str:
        """A short, stable test id."""
        return f"{self.form}:{strip_invisible(self.text)[:40]}"

    def survivors(self, stored: str) -> list[str]:
        """The identifiers still in `stored` (any text: a redacted message, a
        tracker event, a log file), compared case-insensitively, as typed and
        without their invisible characters."""
        haystack = stored.casefold()
        found = []
        for identifier in self.identifiers:
            forms = {identifier, unicodedata.normalize("NFKC", strip_invisible(identifier))}
            if any(form.casefold() in haystack for form in forms if form.strip()):
                found.append(identifier)
        return found


def load_privacy_corpus(path: Path = CORPUS) -> list[PrivacyCase]:
    """Every entry of the corpus; a malformed entry raises ValueError naming it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected `messages:` with a list")
    cases = []
    for number, entry in enumerate(entries, start=1):
        text = entry.get("text") if isinstance(entry, dict) else None
        identifiers = entry.get("identifiers") if isinstance(entry, dict) else None
        if not isinstance(text, str) or not isinstance(identifiers, list) or not identifiers:
            raise ValueError(f"{path}: message {number}: expected text and a list of identifiers")
        cases.append(PrivacyCase(text, tuple(str(i) for i in identifiers), str(entry.get("form", "other"))))
    return cases
