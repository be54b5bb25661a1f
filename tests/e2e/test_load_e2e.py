"""The load script at a small N inside the suite (the large run is reported
in docs/benchmarks.md)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

from benchmarks.load import report, run_load, tracker_check


def _state(pid: str) -> str:
    """A process's state letter from /proc ("Z" for a zombie), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def test_concurrent_practitioners_lose_nothing(assistant):
    started = time.perf_counter()
    results = asyncio.run(run_load(assistant.rest_url, conversations=4, pace=0.0))
    summary = report(results, time.perf_counter() - started, tracker_check(assistant.tracker_db, results))
    assert summary["errors"] == 0, [r.errors for r in results]
    assert summary["completed_triages"] == 4
    assert summary["lost"] == 0 and summary["duplicated"] == 0, summary


def test_the_embedded_default_uses_every_core_and_loses_no_simultaneous_turn(assistant):
    """`make run` starts one Sanic worker per core (deploy/processes.py `default_workers`),
    sharing the conversations' locks in SQLite: two messages of one conversation sent
    at the same moment are both kept, whichever workers take them."""
    rasa = next(p for p in assistant.processes if "actions" not in p.args)
    children = subprocess.run(["pgrep", "-P", str(rasa.pid)], capture_output=True, text=True).stdout.split()
    # A worker that exited at start-up (a zombie until reaped) is not a worker.
    workers = [pid for pid in children if not _state(pid).startswith("Z")]
    assert len(workers) == min(4, os.cpu_count() or 1) or (os.cpu_count() == 1 and not workers), workers
    for attempt in range(10):
        sender = f"race-{attempt}-{uuid.uuid4().hex[:6]}"
        texts = ["what is neglect?", "Kingston SPA phone number"]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda text: assistant.send(sender, text), texts))
        assert all(replies), (attempt, replies)
        with sqlite3.connect(assistant.tracker_db) as db:
            said = [row[0] for row in db.execute(
                "select json_extract(data, '$.text') from events where sender_id = ? and type_name = 'user'",
                (sender,))]
        assert sorted(said) == sorted(texts), (attempt, said)
