"""A practitioner talking to the running assistant over REST."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from collections.abc import Callable, Sequence

from deploy.processes import Assistant


@dataclass
class Conversation:
    assistant: Assistant
    sender: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    replies: list[dict] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    def say(self, text: str) -> list[dict]:
        self.transcript.append(f"> {text}")
        self.replies = self.assistant.send(self.sender, text)
        self.transcript.extend(f"< {r.get('text', '')}" for r in self.replies)
        return self.replies

    @property
    def text(self) -> str:
        """Every reply's text and button titles, joined."""
        parts = []
        for reply in self.replies:
            parts.append(reply.get("text") or "")
            parts.extend(b.get("title", "") for b in reply.get("buttons") or [])
        return "\n".join(parts)

    @property
    def buttons(self) -> list[dict]:
        return [b for r in self.replies for b in r.get("buttons") or []]

    def press(self, choose: Callable[[dict], bool]) -> list[dict]:
        """Press the first button the bot offered for which `choose` is true."""
        match: dict | None = next((b for b in self.buttons if choose(b)), None)
        assert match is not None, (
            f"no matching button among {[b['title'] for b in self.buttons]}\n" + "\n".join(self.transcript)
        )
        return self.say(match["payload"])

    def press_title(self, *words: str) -> list[dict]:
        wanted = [w.lower() for w in words]
        return self.press(lambda b: all(w in b["title"].lower() for w in wanted))


LEVEL = re.compile(r"\bLevel [1-4]\b")


def payload_value(button: dict) -> str | None:
    """The entity value a button's payload carries: /choose{"x": "value"}."""
    match = re.match(r"^/\w+(\{.*\})$", button.get("payload", ""))
    if not match:
        return None
    try:
        values = list(json.loads(match.group(1)).values())
    except ValueError:
        return None
    return str(values[0]) if values else None


def next_payload(replies: Sequence[dict], preferences: Sequence[str]) -> str | None:
    """The payload of the first offered button whose value is most preferred."""
    offered = {payload_value(b): b["payload"] for r in replies for b in r.get("buttons") or []}
    return next((offered[p] for p in preferences if p in offered), None)
