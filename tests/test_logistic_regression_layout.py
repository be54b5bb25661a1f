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


def test_a_message_is_scored_on_the_same_row_as_rasas() -> None:
    """`_create_X` joins the sentence features only; the row is Rasa's, value for value."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    messages = []
    for seed in range(3):
        message = Message(data={TEXT: f"message {seed}"})
        for origin, width in (("lexical", 30), ("words", 200), ("chars", 900)):
            message.add_features(Features(sp.random(4, width, density=0.2, format="coo", random_state=seed),
                                          "sequence", TEXT, origin))
            message.add_features(Features(sp.random(1, width, density=0.3, format="coo", random_state=seed + 7),
                                          "sentence", TEXT, origin))
        message.add_features(Features(sp.random(1, 5, density=1.0, format="coo", random_state=seed), "sentence",
                                      "intent", "words"))  # another attribute: not the text's
        messages.append(message)
    component = FastLogisticRegressionClassifier({}, "classifier", Any, Any)  # type: ignore[arg-type]
    ours = component._create_X(messages)
    rasas = LogisticRegressionClassifier._create_X(component, messages)
    assert ours.shape == rasas.shape == (3, 1130)
    assert (ours != rasas).nnz == 0
