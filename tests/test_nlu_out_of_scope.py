"""The trained NLU on held-out phrasings of the area statement and the
out-of-scope routes (tests/nlu/heldout_out_of_scope.yml, never trained on).

Threshold: accuracy (top-1 intent) on this file. Measured 2026-12-01: see the
printed report. A miss is never unsafe on its own: an immediate danger is
caught by the emergency signals whatever the intent, a low-confidence message
gets the clarification (and, in another language, the plain-English note),
and the slot mapping still takes an area named in a misread statement.
"""
from __future__ import annotations

import json
from pathlib import Path

from tests.test_rasa_project import MODEL, RASA, ROOT, run

HELDOUT = ROOT / "tests" / "nlu" / "heldout_out_of_scope.yml"
ACCURACY_THRESHOLD = 0.80


def test_out_of_scope_and_area_statements_generalise(tmp_path: Path) -> None:
    assert MODEL.exists(), "train first (make setup)"
    result = run(RASA, "test", "nlu", "--model", str(MODEL), "--nlu", str(HELDOUT), "--out", str(tmp_path))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    errors = json.loads((tmp_path / "intent_errors.json").read_text())
    intents = sorted(k for k in report if k.startswith(("out_of_scope_", "inform_area")))
    print(f"\nheld-out out-of-scope accuracy: {report['accuracy']:.3f} "
          f"(weighted F1 {report['weighted avg']['f1-score']:.3f}, {report['weighted avg']['support']} examples)")
    for intent in intents:
        print(f"  {intent}: recall {report[intent]['recall']:.2f} precision {report[intent]['precision']:.2f}")
    for error in errors:
        print(f"  miss: {error['intent']} -> {error['intent_prediction']['name']}")
    assert len(intents) == 6
    assert report["accuracy"] >= ACCURACY_THRESHOLD, f"accuracy {report['accuracy']:.3f} < {ACCURACY_THRESHOLD}"
