"""Where a turn's time goes: py-spy on both servers while one conversation runs.

    python -m benchmarks.profile [--turns 160] [--from-turn 120] [--typed]
    python -m benchmarks.profile --concurrency 10 [--seconds 20]

Starts our assistant on its own ports and tracker database (as the benchmark
does), sends one long conversation of questions (or, with --typed, typed
triages one after another; or, with --concurrency, the benchmark's
conversations that many at a time), records both the Rasa server and the
action server with py-spy (pinned in requirements/dev.txt) from `--from-turn`
on, and prints the latencies, then the functions holding the largest share
of each server's samples (inclusive). The raw stacks are kept
in results/profile-<server>.txt (py-spy's "raw" format, for flame graphs).
Not a test: nothing is asserted. Findings are in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp

from benchmarks.run import QUESTIONS, TYPED_TRIAGE, drive, our_conversation, post
from deploy.processes import ROOT, make_assistant

PY_SPY = Path(sys.executable).parent / "py-spy"


def messages(turns: int, typed: bool) -> list[tuple[str, str]]:
    """(sender, text) for every turn: one conversation, or a new one per typed triage."""
    if not typed:
        sender = f"profile-{uuid.uuid4().hex[:8]}"
        return [(sender, QUESTIONS[turn % len(QUESTIONS)]) for turn in range(turns)]
    sent: list[tuple[str, str]] = []
    while len(sent) < turns:
        sender = f"profile-{uuid.uuid4().hex[:8]}"
        sent += [(sender, text) for text in TYPED_TRIAGE]
    return sent[:turns]


def shares(raw: Path, top: int) -> list[tuple[float, str]]:
    """The functions with the largest inclusive share of the samples in a py-spy raw file."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = {f"{frame.split(' (')[0]} ({frame.split('/')[-1].split(':')[0]})" for frame in stack.split(";")}
        for frame in frames:
            inclusive[frame] += samples
    return [(samples / total, frame) for frame, samples in inclusive.most_common(top)] if total else []


async def converse(url: str, sent: list[tuple[str, str]], start_recording: int,
                   recorders: list[subprocess.Popen[bytes]], commands: list[list[str]]) -> list[float]:
    seconds = []
    async with aiohttp.ClientSession() as session:
        for turn, (sender, text) in enumerate(sent):
            if turn == start_recording:
                recorders += [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                              for cmd in commands]
                await asyncio.sleep(1.0)  # py-spy attaches
            took, _ = await post(session, url, sender, text)
            seconds.append(took)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=160)
    parser.add_argument("--from-turn", type=int, default=120, help="start recording at this turn")
    parser.add_argument("--typed", action="store_true", help="typed triages instead of one long conversation")
    parser.add_argument("--concurrency", type=int, default=0, help="conversations at a time (closed loop)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long, with --concurrency")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if not PY_SPY.is_file():
        sys.exit(f"py-spy is not installed in {PY_SPY.parent} (make test installs requirements/dev.txt)")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    assistant = make_assistant(Path(tempfile.mkdtemp(prefix="profile-")))
    assistant.start_actions()
    assistant.start_rasa()
    assistant.wait_ready()
    recorders: list[subprocess.Popen[bytes]] = []
    servers = {"actions": assistant.processes[0].pid, "rasa": assistant.processes[1].pid}
    # --subprocesses: the Rasa server's Sanic workers are children of the process started.
    commands = [[str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--subprocesses",
                 "--output", str(out / f"profile-{name}.txt")] for name, pid in servers.items()]
    try:
        if args.concurrency:
            recorders += [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                          for cmd in commands]
            figures = asyncio.run(drive(our_conversation, assistant.rest_url, args.concurrency, args.seconds))
            print(f"{args.concurrency} conversations at a time: {figures}")
        else:
            seconds = asyncio.run(converse(assistant.rest_url, messages(args.turns, args.typed), args.from_turn,
                                           recorders, commands))
            for turn in range(0, len(seconds), 10):
                median = statistics.median(seconds[turn:turn + 10]) * 1000
                print(f"turns {turn + 1}-{turn + 10}: median {median:.1f} ms")
    finally:
        for recorder in recorders:
            recorder.send_signal(2)  # py-spy writes its file on SIGINT
            recorder.wait(timeout=60)
        assistant.stop()
    for name in servers:
        print(f"\n{name} server, from turn {args.from_turn + 1} (share of samples, inclusive):")
        for share, frame in shares(out / f"profile-{name}.txt", args.top):
            print(f"  {share:6.1%}  {frame}")


if __name__ == "__main__":
    main()
