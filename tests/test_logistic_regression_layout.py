"""The intent classifier's weights are laid out so that scoring copies nothing
(bot/components/logistic_regression.py), and its scores are unchanged."""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from bot.components.logistic_regression import FastLogisticRegressionClassifier


def test_the_weights_transpose_is_contiguous_and_the_scores_are_the_same() -> None:
    rng = np.random.default_rng(0)
    features = sp.random(120, 500, density=0.05, format="csr", random_state=1)
    labels = rng.integers(0, 6, size=120)
    component = FastLogisticRegressionClassifier({}, "classifier", Any, Any)  # type: ignore[arg-type]
    component.clf = LogisticRegression(max_iter=200).fit(features, labels)
    before = component.clf.predict_proba(features[:10])
    assert not component.clf.coef_.T.flags.c_contiguous  # what scikit-learn leaves: a copy per message
    component._lay_out()
    assert component.clf.coef_.T.flags.c_contiguous
    np.testing.assert_allclose(component.clf.predict_proba(features[:10]), before, rtol=1e-12, atol=1e-12)
