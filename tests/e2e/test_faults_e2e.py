"""Faults: the action server down or slow, a restart mid-conversation.

The Rasa server talks to the action server through a small proxy that the
test controls, so one assistant can be made to see a healthy, a dead and a
slow action server in turn.
"""
from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.chat import Conversation
from deploy.processes import Assistant, free_port, make_assistant
from bot.paths import ROOT

API_TOKEN = "test-token-not-a-secret"


class ActionProxy:
    """Forwards to the real action server, or fails, or stalls, on demand."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.mode = "forward"
        self.port = free_port()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if proxy.mode == "down":
                    self.send_response(502)
                    self.end_headers()
                    return
                if proxy.mode == "slow":
                    time.sleep(30)
                upstream = requests.post(proxy.target, data=body, timeout=60,
                                         headers={"Content-Type": "application/json"})
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(upstream.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    running = make_assistant(tmp_path_factory.mktemp("faults"))
    proxy = ActionProxy(f"http://127.0.0.1:{running.actions_port}/webhook")
    running.env["ACTION_SERVER_URL"] = proxy.url
    running.start_actions()
    running.start_rasa(["--enable-api", "--auth-token", API_TOKEN])
    try:
        running.wait_ready()
        yield running, proxy
    finally:
        proxy.server.shutdown()
        running.stop()


def safe(text: str) -> bool:
    return "999" in text and "0808 800 5000" in text


def test_action_server_down_still_gives_the_emergency_route(faulty):
    assistant, proxy = faulty
    proxy.mode = "down"
    try:
        for message in ["what is neglect?", "I'm worried about a child", "Coventry MASH number"]:
            chat = Conversation(assistant)
            chat.say(message)
            assert safe(chat.text), chat.transcript
        chat = Conversation(assistant)
        chat.say("a child is in danger right now, call the police")
        assert "999" in chat.text
    finally:
        proxy.mode = "forward"


def _to_the_area_question(assistant: Assistant) -> Conversation:
    chat = Conversation(assistant)
    chat.say("I'm worried about a child")
    chat.press(lambda b: '"wandsworth"' in b["payload"])
    return chat


@pytest.mark.parametrize("mode", ["down", "slow"])
@pytest.mark.parametrize("in_triage", [False, True], ids=["outside", "in-triage"])
def test_the_emergency_reply_with_the_local_route_needs_no_action_server(faulty, mode, in_triage):
    """999 and the area's route come from the Rasa server alone, at once, even mid-triage."""
    assistant, proxy = faulty
    chat = _to_the_area_question(assistant) if in_triage else Conversation(assistant)
    if not in_triage:
        chat.say("wandsworth front door number")
    proxy.mode = mode
    try:
        started = time.monotonic()
        chat.say("the toddler has drunk bleach")
        elapsed = time.monotonic() - started
    finally:
        proxy.mode = "forward"
    first = chat.replies[0]["text"]
    assert "999" in first and "Wandsworth" in first, chat.transcript
    assert "020 8871 6000" in first or "MASH" in first, chat.transcript  # out of hours, or in office hours
    assert elapsed < 2.0, f"the 999 reply took {elapsed:.1f} s with the action server {mode}"
    print(f"time to the 999 reply, action server {mode}, {'in' if in_triage else 'outside'} the triage: "
          f"{elapsed * 1000:.0f} ms")


def test_after_an_emergency_the_triage_carries_on(faulty):
    assistant, _ = faulty
    chat = _to_the_area_question(assistant)
    chat.say("a child is in danger right now, call the police")
    assert "999" in chat.text and "carry on" in chat.text
    chat.press(lambda b: b["payload"].endswith('"no"}')) if chat.buttons else chat.say("no")
    assert chat.buttons and "role" in chat.text.lower(), chat.transcript


def test_slow_action_server_gets_a_safe_reply_in_time(faulty):
    assistant, proxy = faulty
    proxy.mode = "slow"
    try:
        chat = Conversation(assistant)
        started = time.monotonic()
        chat.say("what is neglect?")
        assert time.monotonic() - started < 15, "Teams resends after 15 s"
        assert safe(chat.text), chat.transcript
    finally:
        proxy.mode = "forward"


def test_a_restart_mid_conversation_continues_from_the_tracker_store(faulty):
    assistant, _ = faulty
    chat = Conversation(assistant)
    chat.say("I'm worried about a child")
    chat.press(lambda b: '"wakefield"' in b["payload"])
    assert "danger" in chat.text.lower()
    assistant.stop_rasa()
    assistant.start_rasa()
    assistant.wait_ready()
    chat.press(lambda b: b["payload"].endswith('"no"}'))
    after = chat.text.lower()
    assert "danger" not in after or "role" in after or "work" in after, chat.transcript
    assert chat.buttons, "the form should ask its next question"


def test_missing_or_corrupt_knowledge_database_names_the_rebuild_command(tmp_path):
    corrupt = tmp_path / "knowledge.db"
    corrupt.write_bytes(b"this is not a database")
    for path in (tmp_path / "missing.db", corrupt):
        result = subprocess.run([sys.executable, "-m", "bot.knowledge", "verify", str(path)],
                                cwd=ROOT, capture_output=True, text=True)
        assert result.returncode != 0
        assert "python -m bot.knowledge build" in result.stdout + result.stderr


def listening_addresses(port: int) -> set:
    """Local addresses with a listening TCP socket on `port` (from /proc)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, state = fields[1], fields[3]
            host, hex_port = address.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(host)
    return found


def test_servers_listen_on_loopback_only(faulty):
    assistant, _ = faulty
    for port in (assistant.port, assistant.actions_port):
        addresses = listening_addresses(port)
        assert addresses == {"0100007F"}, f"port {port} listens on {addresses}"  # 127.0.0.1 only


def test_the_http_api_requires_its_token(faulty):
    assistant, _ = faulty
    url = f"{assistant.base_url}/conversations/anyone/tracker"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=30).status_code == 401
    assert requests.get(url, params={"token": API_TOKEN}, timeout=30).status_code == 200


def test_a_corrupt_tracker_database_stops_the_start_loudly(tmp_path):
    """Rasa would otherwise keep conversations in memory and still say it was ready."""
    broken = make_assistant(tmp_path)
    broken.tracker_db.write_bytes(b"this is not a database" * 1000)
    broken.start_rasa()
    try:
        with pytest.raises(RuntimeError, match="exited during start-up"):
            broken.wait_ready(timeout=180)
    finally:
        broken.stop()
    log = next(tmp_path.glob("rasa-*.log")).read_text(errors="replace")
    assert "tracker database cannot be reached or used" in log and "Refusing to start" in log


def test_readiness_tells_the_truth_when_the_tracker_database_breaks(tmp_path):
    running = make_assistant(tmp_path)
    running.start_rasa()
    try:
        running.wait_ready()
        ready = f"{running.base_url}/webhooks/health/ready"
        assert requests.get(ready, timeout=30).status_code == 200
        running.tracker_db.unlink()
        assert requests.get(ready, timeout=30).status_code == 503
    finally:
        running.stop()
