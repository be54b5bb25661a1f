"""Benchmark: our assistant side by side with a `rasa init` baseline, in one run.

    python -m benchmarks.run [--quick]        (or: make benchmark)

Measures, on this machine: knowledge build time; training time and peak
memory (ours and the baseline's default configuration); per-message latency
(median, p95, p99) for questions and for triage steps, sequentially;
throughput at 1, 10 and 50 concurrent conversations (one process each, and
ours scaled to two replicas behind nginx when PostgreSQL and Redis are up);
50 conversations at a practitioner's pace (a message every 5 s); turn 1 vs
turn 100 of one conversation; the action-result validation before and after
our prebuilt validator; RSS of every process. Ours and the baseline run side by side
and take turns, so that a shared machine's drift meets both. Writes docs/benchmarks.md and
results/benchmarks.json. Not a test: the figures are reported, not asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable, Sequence

import aiohttp

from benchmarks import components
from benchmarks.load import percentile
from deploy.processes import ROOT, Assistant, make_assistant
from tests.e2e.chat import LEVEL, next_payload

RASA = str(Path(sys.executable).parent / "rasa")
QUESTIONS = ["what is neglect?", "Kingston SPA phone number", "what does was not brought mean?",
             "tips for a home visit", "what is GCP2", "how do I escalate if I disagree?"]
TRIAGE_PREFERENCES = ["coventry", "no", "not_given", "5_11", "no", "mostly_unmet", "none", "recent",
                      "no_support_yet", "none"]
BASELINE_MESSAGES = ["hello", "I am feeling sad", "yes", "hi there", "I'm great", "bye", "are you a bot?"]


@dataclass
class Stats:
    n: int
    median_ms: float
    p95_ms: float
    p99_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        return cls(len(seconds), round(statistics.median(seconds) * 1000, 1),
                   round(percentile(list(seconds), 0.95) * 1000, 1),
                   round(percentile(list(seconds), 0.99) * 1000, 1))


def _memory_each_mb(pid: int, proc_file: str, field: str) -> list[float]:
    """A memory `field` ("VmRSS:", "Pss:") of a process and of each of its children
    (Sanic workers), read from /proc/<pid>/<proc_file>, in MB."""
    sizes = []
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                    text=True).stdout.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/{proc_file}").read_text().splitlines():
                if line.startswith(field):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        except (FileNotFoundError, PermissionError):
            pass
    return sizes


def rss_each_mb(pid: int) -> list[float]:
    """Resident memory of a process and of each of its children, in MB."""
    return _memory_each_mb(pid, "status", "VmRSS:")


def pss_mb(pid: int) -> float:
    """Proportional memory of a process and its children together, in MB: memory the
    forked workers share is counted once, where their RSS counts it in each."""
    return round(sum(_memory_each_mb(pid, "smaps_rollup", "Pss:")), 1)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children together, in MB."""
    return round(sum(rss_each_mb(pid)), 1)


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time of a command and the peak RSS of its process tree (sampled)."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, rss_mb(process.pid))
        time.sleep(0.5)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, cmd)
    return {"s": round(time.perf_counter() - started, 1), "peak_rss_mb": peak}


# --- talking to a server ----------------------------------------------------------------


async def post(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple:
    started = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        body = await response.json(content_type=None)
    return time.perf_counter() - started, body


async def think(pace: float) -> None:
    """A practitioner's pause: `pace` seconds on average, never in step with
    the others (synchronised arrivals would measure a burst, not a load)."""
    if pace:
        await asyncio.sleep(random.uniform(0.5, 1.5) * pace)


async def our_conversation(session: aiohttp.ClientSession, url: str, latencies: dict[str, list[float]],
                           deadline: float, pace: float = 0.0) -> int:
    """Triage to the end, then questions, repeated until the deadline."""
    sent = 0
    if pace:
        await asyncio.sleep(random.uniform(0, pace))  # practitioners start at different moments
    while time.monotonic() < deadline:
        sender = f"bench-{uuid.uuid4().hex[:10]}"
        seconds, replies = await post(session, url, sender, "I'm worried about a child")
        latencies["triage"].append(seconds)
        sent += 1
        for _ in range(30):
            if time.monotonic() >= deadline or LEVEL.search(" ".join(r.get("text") or "" for r in replies)):
                break
            choice = next_payload(replies, TRIAGE_PREFERENCES)
            if choice is None:
                break
            await think(pace)
            seconds, replies = await post(session, url, sender, choice)
            latencies["triage"].append(seconds)
            sent += 1
        for question in QUESTIONS:
            if time.monotonic() >= deadline:
                break
            await think(pace)
            seconds, _ = await post(session, url, sender, question)
            latencies["question"].append(seconds)
            sent += 1
    return sent


# A typed triage, as a practitioner types it (a description first, then answers
# in their own words): every message goes through the NLU pipeline and the
# description reader, never a button payload.
TYPED_TRIAGE = [
    "health visitor in Coventry, worried about a 7 month old, often hungry and mum seems low",
    "that's right", "no, she's not in danger", "no", "mostly, her clothes are dirty sometimes",
    "fine, jabs are up to date", "fine", "good, mum is warm with her", "fine, lots of play",
    "mum is very low", "that's all", "a few weeks", "nothing tried yet", "a little, she's unsettled",
]


def scripted(messages: Sequence[str], kind: str, prefix: str) -> Callable:
    """A conversation that sends `messages` in order, from a new sender id each
    round, until the deadline; latencies are recorded under `kind`."""

    async def conversation(session: aiohttp.ClientSession, url: str, latencies: dict[str, list[float]],
                           deadline: float, pace: float = 0.0) -> int:
        sent = 0
        while time.monotonic() < deadline:
            sender = f"{prefix}-{uuid.uuid4().hex[:10]}"
            for text in messages:
                if time.monotonic() >= deadline:
                    break
                await think(pace)
                seconds, _ = await post(session, url, sender, text)
                latencies[kind].append(seconds)
                sent += 1
        return sent

    return conversation


typed_conversation = scripted(TYPED_TRIAGE, "typed", "typed")
# The baseline's phrases, a new conversation each round (as ours start a new
# conversation for each triage: a growing conversation gets slower).
baseline_conversation = scripted(BASELINE_MESSAGES * 2, "message", "base")


@dataclass
class Block:
    """Latencies by kind, messages sent and seconds taken, of one or more runs of a conversation."""

    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"triage": [], "question": [], "message": [], "typed": []})
    messages: int = 0
    seconds: float = 0.0

    def add(self, other: Block) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind] += values
        self.messages += other.messages
        self.seconds += other.seconds

    def summary(self) -> dict[str, Any]:
        every = [x for values in self.latencies.values() for x in values]
        result: dict[str, Any] = {"messages": self.messages,
                                  "throughput_msg_s": round(self.messages / self.seconds, 1) if self.seconds else 0.0,
                                  "all": Stats.of(every).__dict__ if every else None}
        for kind, values in self.latencies.items():
            if values:
                result[kind] = Stats.of(values).__dict__
        return result


async def run_block(conversation: Callable, url: str, concurrency: int, duration: float,
                    pace: float = 0.0) -> Block:
    block = Block()
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        deadline = started + duration
        counts = await asyncio.gather(*(conversation(session, url, block.latencies, deadline, pace)
                                        for _ in range(concurrency)))
        block.seconds = time.monotonic() - started
    block.messages = sum(counts)
    return block


async def drive(conversation: Callable, url: str, concurrency: int, duration: float,
                pace: float = 0.0) -> dict[str, Any]:
    return (await run_block(conversation, url, concurrency, duration, pace)).summary()


def interleaved(sides: dict[str, tuple[Callable, str]], concurrency: int, duration: float,
                rounds: int = 3) -> dict[str, dict[str, Any]]:
    """Each side (a conversation and the URL it is sent to) in turn, `rounds` times,
    `duration / rounds` seconds a time: a shared machine's speed drifts within minutes,
    and alternating makes every side meet the same drift, so their ratio holds."""
    totals = {name: Block() for name in sides}
    for _ in range(rounds):
        for name, (conversation, url) in sides.items():
            totals[name].add(asyncio.run(run_block(conversation, url, concurrency, duration / rounds)))
    return {name: block.summary() for name, block in totals.items()}


async def long_conversation(url: str, messages: Sequence[str] = QUESTIONS, turns: int = 110) -> dict[str, float]:
    """Latency of the first and of the hundredth turns of one conversation."""
    sender = f"long-{uuid.uuid4().hex[:8]}"
    seconds: list[float] = []
    async with aiohttp.ClientSession() as session:
        for turn in range(turns):
            took, _ = await post(session, url, sender, messages[turn % len(messages)])
            seconds.append(took)
    first, hundredth = statistics.median(seconds[:10]), statistics.median(seconds[95:105])
    return {"turns_1_10_median_ms": round(first * 1000, 1), "turns_96_105_median_ms": round(hundredth * 1000, 1),
            "ratio": round(hundredth / first, 2)}


# --- the baseline --------------------------------------------------------------------------


def make_baseline(workdir: Path, env: dict[str, str]) -> dict[str, float]:
    """`rasa init --no-prompt` (scaffold + training with Rasa's default config)."""
    run = timed([RASA, "init", "--no-prompt", "--init-dir", str(workdir)], workdir.parent, env)
    return {"init_and_train_s": run["s"], "peak_rss_mb": run["peak_rss_mb"]}


def start_baseline(workdir: Path, env: dict[str, str]) -> Assistant:
    baseline = make_assistant(workdir, env)
    model = next((workdir / "models").glob("*.tar.gz"))
    baseline.processes.append(subprocess.Popen(
        [RASA, "run", "--interface", "127.0.0.1", "--port", str(baseline.port), "--model", str(model),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
        cwd=workdir, env={**baseline.env, "TRACKER_DB": str(workdir / "tracker.db")},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True))
    # `rasa init` writes an endpoints.yml with everything commented out: same
    # as ours but for the store, so give it the same SQLite tracker store.
    return baseline


def baseline_endpoints(workdir: Path) -> None:
    (workdir / "endpoints.yml").write_text("tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: tracker.db\n")


# --- the report -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory_gb": f"{int(memory) / 1024 / 1024:.0f}",
            "python": platform.python_version(), "os": platform.platform(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def write_report(results: dict[str, Any], path: Path) -> None:
    ours, base = results["ours"], results["baseline"]

    def cell(value: Any) -> str:
        return "—" if value is None else str(value)

    def ratio(a: float | None, b: float | None) -> str:
        return "—" if not a or not b else f"{a / b:.2f}"

    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make benchmark` (`python -m benchmarks.run`) on {m['date']}: {m['cpu']}, "
        f"{m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, {m['os']}. A shared machine: "
        "figures vary from run to run by 10–20 %; the ratios in one run are what to compare.",
        "",
        "Ours: as `make run` starts it (one Sanic worker per core sharing a SQLite lock store, SQLite "
        "tracker store, the action server). Baseline: a default `rasa init` assistant (Rasa's default "
        "configuration), trained and started with `rasa run` (one process: Rasa allows one worker with its "
        "in-memory lock store), REST, SQLite tracker store, no action server.",
        "",
        "## Latency per message, sequential (one conversation at a time)",
        "",
        "| | n | median ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for label, stats in [("ours — questions", ours["sequential"].get("question")),
                         ("ours — triage steps (buttons)", ours["sequential"].get("triage")),
                         ("ours — typed triage answers", (ours.get("typed_triage") or {}).get("typed")),
                         ("ours — all", ours["sequential"].get("all")),
                         ("baseline", base["sequential"].get("message"))]:
        if stats:
            lines.append(f"| {label} | {stats['n']} | {stats['median_ms']} | {stats['p95_ms']} | {stats['p99_ms']} |")
    lines += [
        "",
        f"Median ratio ours / baseline: **{ratio(ours['sequential']['all']['median_ms'], base['sequential']['message']['median_ms'])}** "
        "(target ≤ 0.7).",
        "",
        f"Typed questions, median ratio ours / baseline: "
        f"**{ratio((ours['sequential'].get('question') or {}).get('median_ms'), base['sequential']['message']['median_ms'])}** "
        "(target ≤ 0.7); p95 ratio "
        f"**{ratio((ours['sequential'].get('question') or {}).get('p95_ms'), base['sequential']['message']['p95_ms'])}** "
        "(target ≤ 1.5).",
        "",
        f"Typed triage answers, median ratio ours / baseline: "
        f"**{ratio(((ours.get('typed_triage') or {}).get('typed') or {}).get('median_ms'), base['sequential']['message']['median_ms'])}** "
        "(target ≤ 0.7); p95 ratio "
        f"**{ratio(((ours.get('typed_triage') or {}).get('typed') or {}).get('p95_ms'), base['sequential']['message']['p95_ms'])}** "
        "(target ≤ 1.5).",
        "",
        "Ours and the baseline run side by side and take turns (four rounds for the sequential figures, two "
        "for each level of throughput), so that the machine's drift meets both.",
        "",
        "## Throughput (messages per second, closed loop)",
        "",
        "| concurrent conversations | ours, `make run` (a worker per core) | ours, 2 replicas + nginx | baseline, one process | ours (best) / baseline |",
        "|---|---|---|---|---|",
    ]
    for c in results["concurrency"]:
        one = ours["throughput"].get(str(c), {}).get("throughput_msg_s")
        scaled = (ours.get("scaled_throughput") or {}).get(str(c), {}).get("throughput_msg_s")
        b = base["throughput"].get(str(c), {}).get("throughput_msg_s")
        best = max(x for x in (one, scaled, 0) if x is not None)
        lines.append(f"| {c} | {cell(one)} | {cell(scaled)} | {cell(b)} | {ratio(best, b)} |")
    pace = ours.get("practitioner_pace") or {}
    long = ours.get("long_conversation") or {}
    base_long = base.get("long_conversation") or {}
    val = results.get("action_result_validation") or {}
    lines += [
        "",
        "## Other measures",
        "",
        "| measure | ours | baseline |",
        "|---|---|---|",
        f"| 50 conversations at a practitioner's pace (a message every 5 s): p95 ms | {cell((pace.get('all') or {}).get('p95_ms'))} | — |",
        f"| same: median ms | {cell((pace.get('all') or {}).get('median_ms'))} | — |",
        f"| turn 1–10 vs turn 96–105 of one conversation, median ms | {cell(long.get('turns_1_10_median_ms'))} → "
        f"{cell(long.get('turns_96_105_median_ms'))} (×{cell(long.get('ratio'))}) | "
        f"{cell(base_long.get('turns_1_10_median_ms'))} → {cell(base_long.get('turns_96_105_median_ms'))} "
        f"(×{cell(base_long.get('ratio'))}) |",
        f"| RSS, Rasa server, all its processes (MB) | {cell(ours.get('rss_rasa_mb'))} "
        f"({cell(ours.get('rasa_processes'))} processes: a main one and its Sanic workers) | "
        f"{cell(base.get('rss_rasa_mb'))} (one process) |",
        f"| RSS, largest single Rasa process (MB) | {cell(ours.get('rss_rasa_largest_process_mb'))} | "
        f"{cell(base.get('rss_rasa_mb'))} |",
        f"| PSS, Rasa server, all its processes (MB; shared pages counted once) | {cell(ours.get('pss_rasa_mb'))} | "
        f"{cell(base.get('pss_rasa_mb'))} |",
        f"| RSS, action server (MB) | {cell(ours.get('rss_actions_mb'))} | — |",
        f"| training, full (s) | {cell(ours.get('train_s'))} | {cell(base.get('init_and_train_s'))} (incl. `rasa init`) |",
        f"| training peak RSS (MB) | {cell(ours.get('train_peak_rss_mb'))} | {cell(base.get('peak_rss_mb'))} |",
        f"| knowledge build (s, median of 3) | {cell(ours.get('knowledge_build_s'))} | — |",
        f"| action-result validation per call: Rasa's / prebuilt (ms) | {cell(val.get('rasa_ms'))} / {cell(val.get('prebuilt_ms'))} | — |",
        "",
        "## The plain-Python steps of a typed message (benchmarks/components.py)",
        "",
        "Per call, over every NLU training example as a message (twice), and a 10,000-character message for "
        "the redactor; the baseline column is its whole per-message latency, for scale.",
        "",
        "| step | n | median ms | p95 ms | baseline message, median ms |",
        "|---|---|---|---|---|",
    ]
    for name, figures in (results.get("components") or {}).items():
        lines.append(f"| {name.replace('_', ' ')} | {figures['n']} | {figures['median_ms']} | {figures['p95_ms']} | "
                     f"{cell((base.get('sequential') or {}).get('message', {}).get('median_ms'))} |")
    lines += [
        "",
        "Raw figures: `results/benchmarks.json` (not committed; regenerate with the command above).",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def validation_cost() -> dict[str, float]:
    """Rasa's per-call jsonschema.validate vs a validator built once, on a typical reply."""
    from jsonschema import validate
    from rasa.core.actions.action import RemoteAction

    from bot.components.action_results import response_validator

    spec = RemoteAction.action_response_format_spec()
    reply = {"events": [{"event": "slot", "name": "triage_age_band", "value": "5_11"},
                        {"event": "slot", "name": "requested_slot", "value": "triage_disabled"}],
             "responses": [{"text": "How old is the child?", "buttons": [{"title": "5-11", "payload": "/x"}]}]}
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        validate(reply, spec)
    rasa_ms = (time.perf_counter() - started) / rounds * 1000
    validator = response_validator()
    started = time.perf_counter()
    for _ in range(rounds):
        validator.validate(reply)
    return {"rasa_ms": round(rasa_ms, 2), "prebuilt_ms": round((time.perf_counter() - started) / rounds * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short phases, no training (for trying it out)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    duration = 10.0 if args.quick else 30.0
    concurrency = [1, 10, 50]
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    results: dict[str, Any] = {"machine": machine(), "concurrency": concurrency, "ours": {}, "baseline": {}}
    ours, base = results["ours"], results["baseline"]
    raw = ROOT / "results" / "benchmarks.json"

    def save(phase: str) -> None:
        """Each phase's figures are written as soon as they exist: a crash loses none."""
        raw.parent.mkdir(exist_ok=True)
        raw.write_text(json.dumps(results, indent=2))
        print(f"measured: {phase} (so far in {raw})", flush=True)

    builds = [timed([sys.executable, "-m", "bot.knowledge", "build", "--out", str(workdir / "kb.db"),
                     "--spacy-out", str(workdir / "spacy")], ROOT, env)["s"] for _ in range(3)]
    ours["knowledge_build_s"] = statistics.median(builds)
    save("knowledge build")
    if not args.quick:
        training = timed([RASA, "train", "--force", "--domain", "domain.yml", "--out", str(workdir / "models")],
                         ROOT, env)
        ours["train_s"], ours["train_peak_rss_mb"] = training["s"], training["peak_rss_mb"]
        baseline_dir = workdir / "baseline"
        baseline_dir.mkdir()
        base.update(make_baseline(baseline_dir, env))
        save("training")
    results["action_result_validation"] = validation_cost()
    results["components"] = components.measure()
    save("components")

    print("starting our assistant" + ("" if args.quick else " and the baseline"), flush=True)
    run_dir = workdir / "ours-run"
    run_dir.mkdir()
    mine = make_assistant(run_dir)
    mine.start_actions()
    mine.start_rasa()
    baseline = None
    if not args.quick:
        baseline_dir = workdir / "baseline"
        baseline_endpoints(baseline_dir)
        baseline = start_baseline(baseline_dir, env)
    try:
        mine.wait_ready()
        sides: dict[str, tuple[Callable[..., Any], str]] = {
            "ours": (our_conversation, mine.rest_url), "typed": (typed_conversation, mine.rest_url)}
        if baseline is not None:
            baseline.wait_ready()
            sides["baseline"] = (baseline_conversation, baseline.rest_url)
        interleaved(sides, 1, 5.0, rounds=1)  # warm-up
        # Both servers are up and take turns, so that the machine's drift meets both.
        sequential = interleaved(sides, 1, duration * 2, rounds=4)
        ours["sequential"], ours["typed_triage"] = sequential["ours"], sequential["typed"]
        base["sequential"] = sequential.get("baseline") or {}
        save("sequential and typed triage")
        loads = {name: side for name, side in sides.items() if name != "typed"}
        ours["throughput"], base["throughput"] = {}, {}
        for c in concurrency:
            figures = interleaved(loads, c, duration, rounds=2)
            ours["throughput"][str(c)] = figures["ours"]
            if "baseline" in figures:
                base["throughput"][str(c)] = figures["baseline"]
        save("throughput")
        ours["practitioner_pace"] = asyncio.run(drive(our_conversation, mine.rest_url, 50, 60.0, pace=5.0))
        ours["long_conversation"] = asyncio.run(long_conversation(mine.rest_url))
        ours["rss_rasa_mb"] = rss_mb(mine.processes[1].pid)
        ours["rss_rasa_largest_process_mb"] = max(rss_each_mb(mine.processes[1].pid))
        ours["rasa_processes"] = len(rss_each_mb(mine.processes[1].pid))
        ours["pss_rasa_mb"] = pss_mb(mine.processes[1].pid)
        ours["rss_actions_mb"] = rss_mb(mine.processes[0].pid)
        if baseline is not None:
            base["long_conversation"] = asyncio.run(long_conversation(baseline.rest_url, BASELINE_MESSAGES))
            base["rss_rasa_mb"] = rss_mb(baseline.processes[0].pid)
            base["pss_rasa_mb"] = pss_mb(baseline.processes[0].pid)
    finally:
        mine.stop()
        if baseline is not None:
            baseline.stop()
    save("ours and the baseline")

    if not args.quick:
        ours["scaled_throughput"] = scaled_throughput(workdir, concurrency, duration)

    save("everything")
    if not args.quick:
        write_report(results, args.out)
        print(f"wrote {args.out}")
    print(json.dumps(results, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)


def scaled_throughput(workdir: Path, concurrency: list[int], duration: float) -> dict[str, Any] | None:
    """Ours on both cores: two replicas behind nginx (PostgreSQL + Redis)."""
    from deploy.scaled import psql, services_missing, start_scaled

    if services_missing():
        print("SKIPPED the scaled phase: PostgreSQL or Redis not reachable (no scaled figures)", file=sys.stderr)
        return None
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        print("SKIPPED the scaled phase: nginx is not installed (apt-get install nginx-light)", file=sys.stderr)
        return None
    name = f"neglect_bench_{uuid.uuid4().hex[:6]}"
    psql(f"CREATE DATABASE {name}")
    scaled_dir = workdir / "scaled"
    scaled_dir.mkdir()
    scaled = start_scaled(scaled_dir, replicas=2, env={"DB_NAME": name, "REDIS_DB": "8"})
    try:
        url = scaled.url + "/webhooks/rest/webhook"
        asyncio.run(drive(our_conversation, url, 2, 5.0))
        return {str(c): asyncio.run(drive(our_conversation, url, c, duration)) for c in concurrency}
    finally:
        scaled.stop()
        psql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
