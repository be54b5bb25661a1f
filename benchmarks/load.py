"""Load: N concurrent simulated practitioners against a running assistant.

Each practitioner does a full triage (pressing the buttons offered) and asks
questions. Reports errors, latency percentiles, and lost or duplicated
messages by comparing what was sent with the tracker store.

    python -m benchmarks.load --conversations 50            # starts its own assistant
    python -m benchmarks.load --url http://127.0.0.1:5005 --tracker-db build/tracker.db
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.e2e.chat import LEVEL, next_payload

QUESTIONS = ["what is neglect?", "Coventry MASH number", "what does was not brought mean?",
             "how do I escalate if I disagree?", "tips for home visits"]
AREAS = ["kingston_richmond", "wakefield", "oxfordshire", "coventry", "wandsworth"]
NEEDS = ["met", "mostly_met", "mostly_unmet", "unmet"]


@dataclass
class Result:
    sender: str
    sent: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    completed: bool = False


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def practitioner(session: aiohttp.ClientSession, url: str, pace: float, seed: int) -> Result:
    rng = random.Random(seed)
    result = Result(sender=f"load-{uuid.uuid4().hex[:10]}")
    preferences = [rng.choice(AREAS), "no", "not_given", rng.choice(["under_1", "1_4", "5_11", "12_17"]),
                   "no", rng.choice(NEEDS), "none", "recent", "no_support_yet", "none"]

    async def say(text: str) -> list[dict]:
        if pace:
            await asyncio.sleep(pace * rng.uniform(0.5, 1.5))
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": result.sender, "message": text},
                                    timeout=aiohttp.ClientTimeout(total=60)) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or not isinstance(body, list) or not body:
                    result.errors.append(f"{response.status}: {str(body)[:100]}")
                    body = body if isinstance(body, list) else []
        except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as error:
            result.errors.append(repr(error))
            body = []
        result.latencies.append(time.perf_counter() - started)
        result.sent.append(text)
        return body

    replies = await say("I'm worried about a child")
    for _ in range(30):
        if LEVEL.search(" ".join(r.get("text") or "" for r in replies)):
            result.completed = True
            break
        choice = next_payload(replies, preferences)
        if choice is None:
            result.errors.append("no button to press")
            break
        replies = await say(choice)
    for question in rng.sample(QUESTIONS, 2):
        await say(question)
    return result


def tracker_check(db: Path, results: list[Result]) -> dict[str, int]:
    """User messages in the tracker store vs what each practitioner sent."""
    connection = sqlite3.connect(db)
    lost = duplicated = 0
    for result in results:
        rows = connection.execute(
            "select data from events where sender_id = ? and type_name = 'user' order by id",
            (result.sender,),
        ).fetchall()
        stored = [json.loads(row[0]).get("text") for row in rows]
        for text in set(result.sent):
            count = stored.count(text)
            expected = result.sent.count(text)
            lost += max(0, expected - count)
            duplicated += max(0, count - expected)
    return {"lost": lost, "duplicated": duplicated}


async def run_load(url: str, conversations: int, pace: float) -> list[Result]:
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(connector=connector) as session:
        return list(await asyncio.gather(*(
            practitioner(session, url, pace, seed) for seed in range(conversations)
        )))


def report(results: list[Result], elapsed: float, tracker: dict[str, int] | None) -> dict[str, float]:
    latencies = [x for r in results for x in r.latencies]
    summary = {
        "conversations": len(results),
        "completed_triages": sum(r.completed for r in results),
        "messages": len(latencies),
        "errors": sum(len(r.errors) for r in results),
        "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else float("nan"),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "throughput_msg_s": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
    }
    if tracker is not None:
        summary.update(tracker)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--pace", type=float, default=0.0, help="seconds between a practitioner's messages")
    parser.add_argument("--url", help="a running assistant; default: start one")
    parser.add_argument("--tracker-db", type=Path, help="its SQLite tracker store, to check for lost messages")
    args = parser.parse_args()

    assistant = None
    if args.url is None:
        from deploy.processes import make_assistant

        assistant = make_assistant(Path(tempfile.mkdtemp(prefix="load-")))
        assistant.start_actions()
        assistant.start_rasa()
        assistant.wait_ready()
        url, db = assistant.rest_url, assistant.tracker_db
    else:
        url, db = args.url.rstrip("/") + "/webhooks/rest/webhook", args.tracker_db
    try:
        started = time.perf_counter()
        results = asyncio.run(run_load(url, args.conversations, args.pace))
        elapsed = time.perf_counter() - started
        summary = report(results, elapsed, tracker_check(db, results) if db else None)
    finally:
        if assistant is not None:
            assistant.stop()
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
