"""The plain-Python steps every typed message goes through, timed on their own.

Redaction, the immediate-danger net and the description reader run on each
message before or beside the model; their cost per message is measured here
over the NLU training examples (read only as a corpus of realistic messages),
plus one 10,000-character message for the redactor, whose regular expressions
are where a pathological input would show. These figures used to be asserted
in unit tests, which failed on a busy shared machine: they are measurements,
reported in docs/benchmarks.md beside the per-message latency of the server.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from collections.abc import Callable, Sequence

import yaml

from bot.paths import ROOT

LONG_CHUNK = "my pupil Tom Baker, DOB 12/05/2014, lives at 12 Acacia Avenue KT1 1AA, mum on 07700 900123. "


def corpus(folder: Path = ROOT / "data" / "nlu") -> list[str]:
    """Every example of the NLU training files, as a practitioner would type it."""
    texts = []
    for path in sorted(folder.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" in block:
                texts += [line.strip()[2:].strip() for line in str(block.get("examples", "")).splitlines()
                          if line.strip().startswith("- ")]
    return texts


def per_call(function: Callable[[str], object], texts: Sequence[str], rounds: int = 2) -> dict[str, float]:
    """Median and p95 in milliseconds of one call per text (after one warm-up pass)."""
    for text in texts[:50]:
        function(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            function(text)
            timings.append(time.perf_counter() - start)
    timings.sort()
    return {"n": len(timings), "median_ms": round(statistics.median(timings) * 1000, 3),
            "p95_ms": round(timings[int(0.95 * len(timings))] * 1000, 3)}


def measure() -> dict[str, dict[str, float]]:
    from bot.description import default_reader
    from bot.knowledge.snapshot import snapshot
    from bot.redaction import default_redactor

    texts = corpus()
    redactor, signals, reader = default_redactor(), snapshot().emergency, default_reader()
    long_message = (LONG_CHUNK * 120)[:10_000]
    return {
        "redaction": per_call(lambda text: redactor.redact(text), texts),
        "redaction_10k_chars": per_call(lambda text: redactor.redact(text), [long_message], rounds=5),
        "emergency_net": per_call(signals.detect, texts),
        "description_reader": per_call(reader.read, texts),
    }


if __name__ == "__main__":
    for name, figures in measure().items():
        print(f"{name}: {figures}")
