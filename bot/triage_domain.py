"""The triage questions' responses at the end of domain.yml, generated from
knowledge/triage/questions.yml.

The questions' wording and buttons are reviewed once, in knowledge/; Rasa
asks them as plain responses (no action-server call per question). The build
step (`python -m bot.knowledge build`, run by `make run` and `make test`)
rewrites the block between the markers when the questions change, and a test
fails while a committed domain.yml is out of step. The list question (family
factors) is asked by a custom action instead, because its buttons change as
factors are picked.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from bot.paths import ROOT
from bot.render import payload
from bot.triage_flow import Question, QuestionSet, default_questions
from bot.wording import say

DOMAIN = ROOT / "domain.yml"
BEGIN = "  # BEGIN GENERATED from knowledge/triage/questions.yml by the build step: do not edit here."
END = "  # END GENERATED"
ANSWER_INTENT = "choose"
ANSWER_ENTITY = "triage_answer"


class DomainLayoutError(ValueError):
    """domain.yml has no generated block where one is expected."""


def answer_payload(value: str) -> str:
    """The payload as written in the domain. Rasa reads `{...}` in a response
    as a slot placeholder (and logs an error for each button); doubled braces
    are its escape and reach the channel as single ones."""
    return payload(ANSWER_INTENT, **{ANSWER_ENTITY: value}).replace("{", "{{").replace("}", "}}")


def question_text(question: Question) -> str:
    text = question.prompt.strip()
    if question.what_met:
        text += "\n" + say("question_met", text=question.what_met.strip())
    return text


def response(question: Question) -> list[dict[str, Any]]:
    return [{
        "text": question_text(question),
        "buttons": [{"title": o.title, "payload": answer_payload(o.value)} for o in question.options],
    }]


def responses(questions: QuestionSet) -> dict[str, Any]:
    return {f"utter_ask_{q.slot}": response(q) for q in questions.questions if not q.multiple}


def block(questions: QuestionSet) -> str:
    """The generated lines, markers included, indented under `responses:`."""
    body = yaml.safe_dump(responses(questions), sort_keys=False, allow_unicode=True, width=86)
    indented = "".join(f"  {line}" if line.strip() else line for line in body.splitlines(keepends=True))
    return f"{BEGIN}\n{indented}{END}\n"


def with_block(domain_text: str, questions: QuestionSet) -> str:
    """domain.yml's text with its generated block rewritten. The block is the
    end of the file, so that it sits inside `responses:`, the last section."""
    start = domain_text.find(BEGIN)
    if start < 0 or domain_text.find(END, start) < 0:
        raise DomainLayoutError(f"domain.yml must end with the generated block ({BEGIN.strip()!r} … {END.strip()!r})")
    return domain_text[:start] + block(questions)


def write(domain: Path = DOMAIN, questions: QuestionSet | None = None) -> bool:
    """Rewrite the block when the questions changed; True when the file changed."""
    text = domain.read_text(encoding="utf-8")
    new = with_block(text, questions or default_questions())
    if new == text:
        return False
    domain.write_text(new, encoding="utf-8")
    return True


if __name__ == "__main__":
    print("domain.yml rewritten" if write() else "domain.yml is in step with knowledge/triage/questions.yml")
    sys.exit(0)
