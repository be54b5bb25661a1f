"""Rasa's LogisticRegressionClassifier with its weights laid out for prediction.

scikit-learn scores a message as `X @ coef_.T`: X is one sparse row, and
`coef_` is (intents × features), C-ordered, so its transpose is not
contiguous and SciPy copies the whole weight matrix for every message (about
16 ms for 60 intents × 100,000 features on this machine, against 0.07 ms
without the copy; py-spy showed it as the largest single cost of a turn,
docs/profile.md). Storing `coef_` in Fortran order makes the transpose
contiguous. The model, its training and its scores are Rasa's own; only the
memory layout of one array differs.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FastLogisticRegressionClassifier(LogisticRegressionClassifier):
    """LogisticRegressionClassifier whose weights need no copy to score a message."""

    def train(self, training_data: TrainingData) -> Resource:
        resource = super().train(training_data)
        self._lay_out()
        return resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> FastLogisticRegressionClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(component, FastLogisticRegressionClassifier)
        component._lay_out()
        return component

    def _lay_out(self) -> None:
        if hasattr(self.clf, "coef_"):
            self.clf.coef_ = np.asfortranarray(self.clf.coef_)
