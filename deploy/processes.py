"""Start the action server and Rasa servers as child processes.

Used by the end-to-end fixtures and by the benchmark and load scripts: the
same start-up as `make run` (same model, endpoints and credentials), with
the tracker store and ports chosen by the caller.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from bot.paths import KNOWLEDGE_DB, ROOT

VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "neglect-assistant.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Assistant:
    """A running action server + Rasa server pair."""

    port: int
    actions_port: int
    tracker_db: Path
    log_dir: Path
    env: dict[str, str]
    endpoints: str = "endpoints.yml"
    rasa_args: list[str] = field(default_factory=list)
    model: Path = MODEL
    processes: list[subprocess.Popen] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"

    @property
    def webchat_url(self) -> str:
        return f"{self.base_url}/webhooks/webchat/"

    def start_actions(self) -> None:
        self._spawn(
            "actions",
            [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(self.actions_port),
             "--actions", "actions"],
        )

    def start_rasa(self, extra: list[str] | None = None) -> None:
        """Start the Rasa server; `extra` arguments are kept for restarts."""
        if extra is not None:
            self.rasa_args = list(extra)
        self._spawn(
            "rasa",
            [str(VENV_BIN / "rasa"), "run", "--interface", "127.0.0.1", "--port", str(self.port),
             "--model", str(self.model), "--endpoints", self.endpoints,
             "--credentials", "credentials.yml", *self.rasa_args],
        )

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.log_dir / f"{name}-{self.port}.log", "ab")
        self._logs.append(log)
        self.processes.append(
            subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        )

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"a server exited during start-up; see {self.log_dir}")
            try:
                if requests.get(self.base_url, timeout=2).ok and self._actions_up():
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise TimeoutError(f"servers not ready after {timeout:.0f}s; see {self.log_dir}")

    def _actions_up(self) -> bool:
        if not any("actions" in " ".join(map(str, p.args)) for p in self.processes):
            return True
        try:
            return requests.get(f"http://127.0.0.1:{self.actions_port}/health", timeout=2).ok
        except requests.RequestException:
            return False

    def send(self, sender: str, message: str, timeout: float = 30.0) -> list[dict]:
        response = requests.post(self.rest_url, json={"sender": sender, "message": message},
                                 timeout=timeout)
        response.raise_for_status()
        return response.json()

    def stop_rasa(self) -> None:
        self._stop([p for p in self.processes if "actions" not in p.args])

    def stop_actions(self) -> None:
        self._stop([p for p in self.processes if "actions" in p.args])

    def stop(self) -> None:
        self._stop(list(self.processes))
        for log in self._logs:
            log.close()

    def _stop(self, procs: list[subprocess.Popen]) -> None:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            self.processes.remove(proc)


def default_workers() -> int:
    """Sanic workers for a Rasa server, as `make run` chooses them: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def make_assistant(workdir: Path, extra_env: dict[str, str] | None = None, model: Path = MODEL) -> Assistant:
    port, actions_port = free_port(), free_port()
    tracker_db = workdir / "tracker.db"
    env = dict(os.environ)
    env.update(
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
        TRACKER_DB=str(tracker_db),
        LOCK_DB=str(workdir / "locks.db"),
        SANIC_WORKERS=str(default_workers()),
        KNOWLEDGE_DB=str(KNOWLEDGE_DB),
        SANIC_HOST="127.0.0.1",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        LOG_LEVEL_LIBRARIES="ERROR",
        RASA_TELEMETRY_ENABLED="false",
    )
    env.update(extra_env or {})
    return Assistant(port=port, actions_port=actions_port, tracker_db=tracker_db,
                     log_dir=workdir, env=env, model=model)
