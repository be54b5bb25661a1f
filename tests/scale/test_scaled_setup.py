"""The scaled set-up on loopback: two Rasa replicas sharing PostgreSQL and
an atomic Redis lock store, nginx in front, one action server."""
from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import requests

from deploy.processes import free_port, make_assistant
from deploy.scaled import Scaled, psql, scaled_env, services_missing, start_scaled
from tests.e2e.chat import LEVEL, next_payload

IN_HOURS = "2026-11-18T11:00:00+00:00"  # a weekday morning: in-hours contacts
DB_NAME = f"neglect_scale_{uuid.uuid4().hex[:8]}"
REDIS_DB = "7"


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    missing = services_missing()
    if missing:
        print(f"\n\n!!! SKIPPING THE SCALED SET-UP TEST: {', '.join(missing)} not reachable !!!\n", file=sys.stderr)
        pytest.skip(f"{', '.join(missing)} not reachable on localhost")
    # Redis is not flushed: every lock key names its conversation (a fresh id per test) and
    # expires, and a flush would wipe the locks of another test run on the same Redis mid-turn.
    psql(f"CREATE DATABASE {DB_NAME}")
    running = start_scaled(tmp_path_factory.mktemp("scaled"), replicas=2,
                           env={"DB_NAME": DB_NAME, "REDIS_DB": REDIS_DB, "ASSISTANT_NOW": IN_HOURS})
    try:
        yield running
    finally:
        running.stop()
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


def post(url: str, sender: str, text: str) -> list[dict]:
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return response.json()


def user_turns(sender: str) -> list[str]:
    rows = psql(f"SELECT data FROM events WHERE sender_id = '{sender}' AND type_name = 'user' ORDER BY id", DB_NAME)
    return [json.loads(line)["text"] for line in rows.splitlines() if line]


def bot_turns(sender: str) -> int:
    return int(psql(f"SELECT count(*) FROM events WHERE sender_id = '{sender}' AND type_name = 'bot'", DB_NAME))


PREFERENCES = ["coventry", "no", "not_given", "5_11", "no", "mostly_unmet", "none", "recent", "no_support_yet"]


def test_replicas_are_ready_with_the_shared_tracker_store(scaled):
    for replica in scaled.replicas:
        ready = requests.get(f"{replica.base_url}/webhooks/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["tracker_store"] == "StrictSQLTrackerStore"


def test_a_triage_alternating_between_replicas_keeps_its_answers(scaled):
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    urls = [r.base_url for r in scaled.replicas]
    replies = post(urls[0], sender, "I'm worried about a child")
    for turn in range(1, 40):
        text = " ".join(r.get("text") or "" for r in replies)
        if LEVEL.search(text):
            break
        choice = next_payload(replies, PREFERENCES)
        assert choice is not None, replies
        replies = post(urls[turn % 2], sender, choice)
    text = " ".join(r.get("text") or "" for r in replies)
    assert "Level 3" in text and "024 7678 8555" in text, text


def test_simultaneous_messages_on_two_replicas_lose_no_turn(scaled):
    urls = [r.base_url for r in scaled.replicas]
    for attempt in range(20):
        sender = f"race-{attempt}-{uuid.uuid4().hex[:6]}"
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(post, url, sender, text)
                       for url, text in zip(urls, ["what is neglect?", "Kingston SPA phone number"])]
            results = [f.result() for f in futures]
        assert all(results), (attempt, results)
        turns = user_turns(sender)
        assert sorted(turns) == sorted(["what is neglect?", "Kingston SPA phone number"]), (attempt, turns, results)
        assert bot_turns(sender) >= 2, attempt


def test_conversations_complete_when_a_replica_stops(scaled):
    senders = [f"lb-{i}-{uuid.uuid4().hex[:6]}" for i in range(6)]
    sent = {s: [] for s in senders}
    replies = {s: post(scaled.url, s, "I'm worried about a child") for s in senders}
    for s in senders:
        sent[s].append("I'm worried about a child")
    done = set()
    for turn in range(40):
        if turn == 3:
            scaled.replicas[0].stop_rasa()
        for s in senders:
            if s in done:
                continue
            if LEVEL.search(" ".join(r.get("text") or "" for r in replies[s])):
                done.add(s)
                continue
            choice = next_payload(replies[s], PREFERENCES)
            assert choice is not None, (s, replies[s])
            replies[s] = post(scaled.url, s, choice)
            sent[s].append(choice)
        if len(done) == len(senders):
            break
    assert done == set(senders)
    for s in senders:
        assert user_turns(s) == sent[s], s  # nothing lost, nothing duplicated, in order


def test_an_unreachable_tracker_database_stops_the_server(tmp_path):
    # One worker, as start_scaled runs each replica.
    env = scaled_env({"DB_PORT": str(free_port()), "DB_NAME": DB_NAME, "REDIS_DB": REDIS_DB, "SANIC_WORKERS": "1"})
    replica = make_assistant(tmp_path, env)
    replica.endpoints = "endpoints.scaled.yml"
    replica.start_rasa()
    process = replica.processes[0]
    try:
        process.wait(timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail("the server kept running without its tracker database")
    finally:
        replica.stop()
    log = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert process.returncode != 0
    assert "cannot be reached" in log, log[-2000:]
