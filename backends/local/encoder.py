"""The embedded sentence encoder: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime.

384-dimensional, mean-pooled, L2-normalised sentence vectors in about 4 ms a sentence on two
cores, with no PyTorch and no download: the model file ships in `backends/local/encoder/`
(exported by `backends/local/export_encoder.py`), onnxruntime and `tokenizers` come with
chromadb. Vectors are cached by text: an event is embedded once however often it is judged.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from threading import Lock

import numpy as np

from backends.local.linear import ArtifactError

ENCODER_DIR = Path(__file__).resolve().parent / "encoder"
"""The shipped encoder: model.int8.onnx, tokenizer.json, info.json, reference.json."""

MAX_TOKENS = 128
"""Longer texts are truncated (events and tasks are one sentence)."""

CACHE_SIZE = 8192
"""Texts whose vectors are kept."""


class Encoder:
    """Sentence vectors from the ONNX encoder in `directory`."""

    def __init__(
        self, directory: Path = ENCODER_DIR, threads: int = 1, *, optimize: bool = True
    ) -> None:
        """`optimize=False` runs the graph as exported, without onnxruntime's fusions (another
        kernel path whose vectors differ slightly; benchmarks/encoder_kernels.py compares)."""
        import onnxruntime
        from tokenizers import Tokenizer

        directory = Path(directory)
        model, vocab = directory / "model.int8.onnx", directory / "tokenizer.json"
        for path in (model, vocab):
            if not path.is_file():
                raise ArtifactError(
                    f"the sentence encoder file {path} is missing; reinstall the package or run "
                    "`python -m backends.local.export_encoder`"
                )
        info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
        self.dims: int = int(info["dims"])
        """Length of every vector."""
        self.sha256: str = str(info["sha256"])
        """Digest of the model file, recorded by the artifacts trained on its vectors."""
        self._tokenizer = Tokenizer.from_file(str(vocab))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = (
            onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            if optimize
            else onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        )
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    def embed(self, text: str) -> np.ndarray:
        """The unit vector of one text (float32, read-only, cached)."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
        ones = np.ones_like(ids)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)}
        )[0][0]
        vector = hidden.mean(axis=0)
        norm = float(np.linalg.norm(vector))
        vector = (vector / norm if norm else vector).astype(np.float32)
        vector.setflags(write=False)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector

    def clear(self) -> None:
        """Forget every cached vector."""
        with self._lock:
            self._cache.clear()


@lru_cache(maxsize=1)
def default_encoder() -> Encoder:
    """The shipped encoder, loaded once per process."""
    return Encoder()
