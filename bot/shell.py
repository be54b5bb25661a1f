"""`make shell`: chat with the running assistant in a terminal.

It talks to the guarded REST channel (``POST /webhooks/rest/webhook``), so a
message is sanitised and redacted before Rasa sees it, exactly as from the
web chat. Buttons are shown as numbered choices: typing a choice's number
sends that button's payload (the guard passes it because the assistant has
just offered it); anything else is sent as typed. Each conversation gets a
random sender id, so nobody else can continue it.

Replies are plain text: a structured result (a ``custom`` payload, for the
web chat and Teams) comes with its own plain-text version, which is shown.

Usage: ``python -m bot.shell [--url http://127.0.0.1:5005]`` (default from
``HOST`` and ``PORT``). Ctrl-D or Ctrl-C ends it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

EMERGENCY = "If a child is in immediate danger, call 999."
TIMEOUT_SECONDS = 30


@dataclass
class Choices:
    """The buttons of the latest reply, numbered from 1."""

    buttons: list[dict[str, str]] = field(default_factory=list)

    def pick(self, typed: str) -> dict[str, str] | None:
        """The button a typed number stands for ("2" is the second), else None."""
        text = typed.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return self.buttons[int(text) - 1]
        return None


def render_replies(replies: list[dict[str, Any]], out: TextIO) -> Choices:
    """Prints the replies; returns their buttons, numbered across the whole reply."""
    choices = Choices()
    for reply in replies:
        text = reply.get("text")
        if isinstance(text, str) and text.strip():
            for line in text.strip().splitlines():
                out.write(f"  {line}\n" if line.strip() else "\n")
        for button in reply.get("buttons") or []:
            if isinstance(button, dict) and isinstance(button.get("payload"), str):
                choices.buttons.append({"title": str(button.get("title") or ""), "payload": button["payload"]})
                out.write(f"    {len(choices.buttons)}. {button.get('title')}\n")
    if choices.buttons:
        out.write(f"  (Type a number from 1 to {len(choices.buttons)} to choose, or type your answer.)\n")
    out.flush()
    return choices


def post(url: str, sender: str, message: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
        replies = json.loads(reply.read().decode("utf-8"))
    return replies if isinstance(replies, list) else []


def chat(server: str, sender: str, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    url = server.rstrip("/") + "/webhooks/rest/webhook"
    out.write(f"Talking to the assistant at {server}. {EMERGENCY}\n"
              "Do not type names or other details that could identify a child or family. Ctrl-D ends.\n")
    choices = Choices()
    message = "hello"  # the assistant's greeting (999, what it can do), as the web chat opens with
    while True:
        try:
            replies = post(url, sender, message)
        except (urllib.error.URLError, OSError, ValueError) as error:
            out.write(f"Cannot reach the assistant at {server} ({type(error).__name__}): is `make run` "
                      f"running? {EMERGENCY}\n")
            out.flush()
            return 1
        choices = render_replies(replies, out)
        out.write("> ")
        out.flush()
        line = stdin.readline()
        if not line:
            out.write("\n")
            return 0
        picked = choices.pick(line)
        if picked is not None:
            out.write(f"  [{picked['title']}]\n")
            message = picked["payload"]
        elif line.strip():
            message = line.strip()
        else:
            message = ""  # the guard asks for text


def main(argv: list[str] | None = None) -> int:
    default = f"http://{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '5005'}"
    parser = argparse.ArgumentParser(description="Chat with the running assistant in the terminal.")
    parser.add_argument("--url", default=default, help=f"the Rasa server (default {default})")
    args = parser.parse_args(argv)
    try:
        return chat(args.url, f"terminal-{uuid.uuid4().hex}")
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        return 0


if __name__ == "__main__":
    sys.exit(main())
