"""Does the story policy earn its place? The typed conversation suites and each
turn's latency, rules only against rules and stories, in one run.

Trains two models from this checkout: "rules only" (data/nlu and data/rules,
config.yml without MemoizationPolicy) and "rules + stories" (as config.yml
says, with data/stories). Both run at once; every conversation is typed to
one, then the other, so that the machine's drift meets both. Reports each
suite's pass count and the median and p95 of a turn, and writes
results/stories.json.

    .venv/bin/python -m benchmarks.stories
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.paths import ROOT
from deploy.processes import Assistant, make_assistant
from tests.e2e.conftest import IN_HOURS
from tests.e2e.test_typed_conversations_e2e import run as run_conversation

RASA = str(Path(sys.executable).parent / "rasa")
E2E = ROOT / "tests" / "e2e"
SUITES = {
    "ours": E2E / "typed_conversations.yml",
    "descriptions": E2E / "typed_descriptions.yml",
    "contact times": E2E / "contact_times.yml",
    "questions in context": E2E / "questions_in_context.yml",
    "samples": ROOT.parent / "shared" / "eval" / "conversations.yaml",
}
STORY_POLICY = "MemoizationPolicy"


class Timed:
    """An assistant whose every turn is timed."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.turns_ms: list[float] = []

    def send(self, sender: str, message: str, timeout: float = 30.0) -> list[dict]:
        start = time.perf_counter()
        replies = self.assistant.send(sender, message, timeout)
        self.turns_ms.append((time.perf_counter() - start) * 1000)
        return replies


def train(workdir: Path, stories: bool) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    if not stories:
        config["policies"] = [p for p in config["policies"] if p["name"] != STORY_POLICY]
    name = "stories" if stories else "rules"
    config_path = workdir / f"config-{name}.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    data = ["data/nlu", "data/rules"] + (["data/stories"] if stories else [])
    subprocess.run([RASA, "train", "--quiet", "--config", str(config_path), "--domain", "domain.yml",
                    "--data", *data, "--out", str(workdir), "--fixed-model-name", name],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return workdir / f"{name}.tar.gz"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="stories-"))
    variants = {"rules only": False, "rules + stories": True}
    print("training both models (about 3 minutes)", flush=True)
    models = {name: train(workdir, stories) for name, stories in variants.items()}
    assistants: dict[str, Timed] = {}
    for index, (name, model) in enumerate(models.items()):
        run_dir = workdir / f"run-{index}"
        run_dir.mkdir()
        # The clock the end-to-end tests pin (a weekday morning), so that the suites expect the same routes.
        assistant = make_assistant(run_dir, {"ASSISTANT_NOW": IN_HOURS}, model=model)
        assistant.start_actions()
        assistant.start_rasa()
        assistants[name] = Timed(assistant)
    results: dict[str, Any] = {name: {"suites": {}} for name in variants}
    try:
        for timed in assistants.values():
            timed.assistant.wait_ready()
            run_conversation(timed.assistant, {"turns": [{"say": "hello"}]})  # warm-up
        for suite, path in SUITES.items():
            if not path.exists():
                print(f"SKIPPED LOUDLY: {path} is not beside this checkout", flush=True)
                continue
            conversations = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
            passed = dict.fromkeys(variants, 0)
            for conversation in conversations:
                for name, timed in assistants.items():
                    passed[name] += not run_conversation(timed, conversation)
            for name in variants:
                results[name]["suites"][suite] = [passed[name], len(conversations)]
        for name, timed in assistants.items():
            results[name]["turns"] = len(timed.turns_ms)
            results[name]["median_ms"] = round(statistics.median(timed.turns_ms), 1)
            results[name]["p95_ms"] = round(percentile(timed.turns_ms, 95), 1)
    finally:
        for timed in assistants.values():
            timed.assistant.stop()
    out = ROOT / "results" / "stories.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    suites = list(next(iter(results.values()))["suites"])
    print("\n| variant | " + " | ".join(suites) + " | turn median | turn p95 |")
    print("|---|" + "---|" * (len(suites) + 2))
    for name, figures in results.items():
        cells = [f"{p}/{n}" for p, n in figures["suites"].values()]
        print(f"| {name} | " + " | ".join(cells) + f" | {figures['median_ms']} ms | {figures['p95_ms']} ms |")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
