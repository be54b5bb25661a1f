"""The escalation navigator's steps, read from knowledge/learning/escalation.yml,
and where typed progress ("I've spoken to the social worker and nothing
changed") takes the practitioner next."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from bot.knowledge.files import DocRef
from bot.schema import Line, StrictModel, non_empty, problems, read_yaml
from bot.triage_flow import phrase_tokens


# What a professional disagreement is about: escalating, challenging or disputing a decision,
# a referral declined or a case closed or stepped down, concerns not listened to. A message
# with none of these ("can I pass concerns to another agency") is not asking about one.
_DISAGREEMENT = re.compile(
    r"\b(?:escal+at\w*|disagree\w*|dispute\w*|challeng\w*|conflict\w*|differences|resol(?:ve|ving|ution)\w*|appeal\w*"
    r"|declined|rejected|refused|dismiss\w*|turned\s+down|bounced|(?:knock|sen[dt])\w*\s+(?:\w+\s+){0,2}back|no\s+further\s+action|nfa'?d?"
    r"|step(?:ped|ping|s)?\s+(?:\w+\s+){0,2}down|clos(?:e|ed|ing)|over\s?rul\w*|go(?:ing)?\s+above|got\s+it\s+wrong"
    r"|listen\w*|ignor\w*|looked\s+at\s+again|handling\s+(?:a|the|this)\s+case|what\s+they\s+agreed"
    r"|threshold\s+decision)\b"
    r"|(?:\bnot|n't|\bnever)\s+(?:been\s+|being\s+|be\s+)?(?:accept\w*|tak\w*|happy|act\w*|agree\w*|meet\w*|met"
    r"|seriously|doing|let)\b",
    re.IGNORECASE,
)


# A decision the writer disputes, in words no other subject uses: "i really dont agree",
# "they've got it wrong", "how do I escalate", "challenge the decision".
_DISPUTED = re.compile(
    r"\b(?:disagree\w*|(?:don'?t|do\s+not|didn'?t|doesn'?t)\s+(?:really\s+|fully\s+)?agree\b(?!\s+to\b)"
    r"|(?:got|get|getting)\s+(?:it|this|that)\s+wrong|escal+at\w*"
    r"|challeng\w*\s+(?:the|their|a|this|that|social\s+care'?s?|csc'?s?|mash'?s?)\s+(?:\w+\s+)?decision"
    r"|(?:not|n't)\s+happy\s+with\s+(?:the|their|this|that)\s+(?:\w+\s+)?(?:decision|outcome))",
    re.IGNORECASE,
)


def disputes_a_decision(text: str) -> bool:
    """Whether `text` disputes a decision or asks to escalate, in words that say nothing
    else: narrower than `names_a_disagreement`, so that it can overrule the classifier."""
    return bool(_DISPUTED.search(text))


def names_a_disagreement(text: str) -> bool:
    """Whether `text` speaks of a professional disagreement (a decision challenged, a referral
    declined, a case closed too soon...)."""
    return bool(_DISAGREEMENT.search(text))

class EscalationError(ValueError):
    """knowledge/learning/escalation.yml is malformed."""


class Step(StrictModel):
    id: str
    title: Line
    said: tuple[str, ...] = ()
    text: Line
    sources: list[DocRef]

    _given = non_empty("sources")


class Escalation(StrictModel):
    id: str
    review_date: date
    progress: tuple[str, ...]
    reminder: Line
    steps: tuple[Step, ...]

    _given = non_empty("steps")

    def next_step(self, text: str, current: int) -> int | None:
        """The step (1-based) typed progress leads to from step `current`, or
        None when the message says no progress."""
        said = f" {' '.join(phrase_tokens(text))} "

        def names(phrase: str) -> bool:
            return f" {' '.join(phrase_tokens(phrase))} " in said

        furthest = max((i for i, step in enumerate(self.steps, 1) if any(names(p) for p in step.said)), default=0)
        progress = any(names(p) for p in self.progress)
        if not furthest and not progress:
            return None
        return min(max(furthest + 1, current + 1 if progress else 0), len(self.steps))


def load_escalation(path: Path) -> Escalation:
    try:
        return Escalation.parse_obj(read_yaml(path, EscalationError))
    except ValidationError as error:
        raise EscalationError(f"{path}: " + "; ".join(problems(error))) from None
