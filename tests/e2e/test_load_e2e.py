"""The load script at a small N inside the suite (the large run is reported
in docs/benchmarks.md)."""
from __future__ import annotations

import asyncio
import time

from benchmarks.load import report, run_load, tracker_check


def test_concurrent_practitioners_lose_nothing(assistant):
    started = time.perf_counter()
    results = asyncio.run(run_load(assistant.rest_url, conversations=4, pace=0.0))
    summary = report(results, time.perf_counter() - started, tracker_check(assistant.tracker_db, results))
    assert summary["errors"] == 0, [r.errors for r in results]
    assert summary["completed_triages"] == 4
    assert summary["lost"] == 0 and summary["duplicated"] == 0, summary
