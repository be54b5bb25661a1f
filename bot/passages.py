"""The passage of an answer's detail that answers the question asked, to show first.

A topic's short answer is general; the fact a practitioner asks for ("should I
accept a cuppa on a home visit?", "how long is the multi-agency chronology?")
may sit in its detail, behind "Tell me more". The detail is cut into passages
(paragraphs, and each item of a list), and each is scored by the words it shares
with the question, the rarer within the item the more they count. The words of the
item's title are left out (they name the topic, not the fact asked). The best
passage is shown before the short answer when it clearly scores best, above a
floor, and above the short answer; otherwise nothing changes. Plain word matching, deliberately: a passage is only brought forward
when it visibly contains what was asked.
"""
from __future__ import annotations

import math
import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from bot.knowledge.models import GuidanceItem

__all__ = ["best_passage", "passages"]

_WORD = re.compile(r"[a-z0-9]+")
# Words every answer shares, which say nothing about which passage answers.
_COMMON = frozenset({"neglect", "neglected", "neglectful", "child", "children", "family", "families", "parent",
                     "parents", "carer", "carers", "need", "needs", "practitioner", "practitioners", "work",
                     # and the words of asking, which name no fact
                     "tip", "tips", "advice", "guide", "guidance", "help", "information", "info", "explain",
                     "tell", "mean", "meaning", "look", "see", "know", "ask", "use", "make", "say", "think",
                     "ok", "okay", "good", "best", "way", "ways", "thing", "things", "sort", "kind"})
# A passage must share this much with the question: one word found nowhere else in the
# item (weight 2 and more), or two that are merely uncommon.
_MIN_WEIGHT = 2.0


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS and w not in _COMMON}


def passages(detail: str) -> list[str]:
    """The detail's paragraphs, with each item of a list as a passage of its own."""
    found: list[str] = []
    for block in re.split(r"\n\s*\n", detail.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        items = [i for i, line in enumerate(lines) if line.startswith("- ")]
        if not items:
            found.append(" ".join(lines))
            continue
        lead = " ".join(lines[: items[0]])
        if lead:
            found.append(lead)
        current: list[str] = []
        for line in lines[items[0]:]:
            if line.startswith("- ") and current:
                found.append(" ".join(current))
                current = []
            current.append(line[2:] if line.startswith("- ") else line)
        if current:
            found.append(" ".join(current))
    return found


def best_passage(item: GuidanceItem, question: str) -> str | None:
    """The passage of `item`'s detail that answers `question` better than its summary, if any."""
    if not item.detail:
        return None
    asked = _terms(question) - _terms(item.title)  # the title's words name the topic, not the fact asked
    if not asked:
        return None
    candidates = passages(item.detail)
    documents = [_terms(item.summary), *(_terms(p) for p in candidates)]
    rarity = {t: math.log((1 + len(documents)) / (1 + sum(t in d for d in documents))) + 1 for t in asked}

    def score(terms: set[str]) -> tuple[float, int]:
        shared = asked & terms
        return sum(rarity[t] for t in shared), len(shared)

    summary_score = score(documents[0])[0]
    weights = sorted(((score(documents[i + 1])[0], i) for i in range(len(candidates))), reverse=True)
    if not weights:
        return None
    (weight, best), runner_up = weights[0], (weights[1][0] if len(weights) > 1 else 0.0)
    # Brought forward only when one passage clearly holds what was asked, and the summary does not.
    return candidates[best] if weight >= _MIN_WEIGHT and weight > runner_up and weight > summary_score else None
