"""Rasa's LogisticRegressionClassifier with its weights laid out for prediction.

scikit-learn scores a message as `X @ coef_.T`: X is one sparse row, and
`coef_` is (intents × features), C-ordered, so its transpose is not
contiguous and SciPy copies the whole weight matrix for every message (about
16 ms for 60 intents × 100,000 features on this machine, against 0.07 ms
without the copy; py-spy showed it as the largest single cost of a turn,
docs/profile.md). Storing `coef_` in Fortran order makes the transpose
contiguous. The model, its training and its scores are Rasa's own; only the
memory layout of one array differs.

Rasa's `_create_X` takes a message's sentence features from
`Message.get_sparse_features`, which deep-copies and joins the sequence
features of every featurizer too (a matrix per token) and then drops them:
a fifth of the NLU graph's time on a question (py-spy). `_create_X` here joins
the same sentence features, in the same order, and nothing else.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
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

    def _create_X(self, messages: list[Message]) -> sp.csr_matrix:
        """Each message's sentence features of its text, sparse then dense, as one row of
        a matrix: what Rasa's `_create_X` builds, without joining the sequence features."""
        rows = []
        for message in messages:
            sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            sparse = [f.features for f in sentence if f.is_sparse()]
            dense = [f.features for f in sentence if f.is_dense()]
            rows.append(sp.hstack([sp.csr_matrix(block) for block in (*sparse, *dense)] or [sp.csr_matrix([])]))
        return sp.vstack(rows)
