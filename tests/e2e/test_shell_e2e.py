"""`make shell` in a pseudo-terminal against the running assistant: the
greeting, buttons as numbered choices, a typed number sends that button's
payload, and typed text goes through the guarded REST channel (redacted)."""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from typing import Any

from bot.channels.guard import load_safety_texts
from bot.paths import ROOT



class Terminal:
    """A program on a pseudo-terminal, read as a person reads the screen."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                        close_fds=True)
        os.close(slave)
        self.screen = ""

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Waits until the output after what was already matched shows `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.screen)
            if match:
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None and not self._ready(0):
                raise AssertionError(f"{pattern!r} never appeared; the terminal showed:\n{self.screen}")
            if self._ready(min(remaining, 0.5)):
                try:
                    self.screen += os.read(self.master, 65536).decode("utf-8", "replace").replace("\r\n", "\n")
                except OSError:  # the program ended and closed the terminal
                    pass

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self.master], [], [], timeout)[0])

    def type(self, line: str) -> None:
        self.screen = ""  # from now on, look at what comes next
        os.write(self.master, (line + "\n").encode("utf-8"))

    def close(self) -> int:
        os.write(self.master, b"\x04")  # Ctrl-D
        try:
            return self.process.wait(timeout=10)
        finally:
            os.close(self.master)


def number_of(screen: str, title: str) -> str:
    match = re.search(rf"^\s+(\d+)\. {re.escape(title)}\s*$", screen, re.MULTILINE)
    assert match, f"no numbered choice {title!r} in:\n{screen}"
    return match.group(1)


def test_make_shell_shows_numbered_choices_and_a_typed_number_presses_the_button(assistant: Any) -> None:
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(assistant.port), "TERM": "dumb"}
    terminal = Terminal(["make", "--no-print-directory", "shell"], env)
    try:
        terminal.expect(r"call 999")
        screen = terminal.expect(r"Type a number from 1 to \d+").string
        worried = number_of(screen, "I'm worried about a child")
        terminal.type(worried)
        terminal.expect(r"\[I'm worried about a child\]")
        screen = terminal.expect(r"Which area do you work in\?[\s\S]*Type a number").string
        terminal.type(number_of(screen, "Coventry"))
        terminal.expect(r"immediate danger right now\?")
        screen = terminal.expect(r"Type a number").string
        assert number_of(screen, "No")
        # Typed text goes through the guard: the name redacted, the answer read, then the privacy notice.
        terminal.type("no, Tom Baker is not in danger")
        notice = load_safety_texts(ROOT / "knowledge").privacy_notice.split(".")[0]
        terminal.expect(r"What is your role\?")
        terminal.expect(re.escape(notice))
        replies = terminal.screen.split("in danger\n", 1)[1]  # after the terminal's echo of the typed line
        assert "Tom" not in replies and "Baker" not in replies
    finally:
        code = terminal.close()
    assert code == 0, terminal.screen


def test_the_shell_says_so_when_the_assistant_is_not_running() -> None:
    env = {**os.environ, "TERM": "dumb"}
    terminal = Terminal([sys.executable, "-m", "bot.shell", "--url", "http://127.0.0.1:9"], env)
    try:
        terminal.expect(r"Cannot reach the assistant at http://127\.0\.0\.1:9 .*call 999")
        assert terminal.process.wait(timeout=10) == 1
    finally:
        os.close(terminal.master)
