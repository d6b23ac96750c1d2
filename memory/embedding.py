"""An offline, deterministic text embedding for Chroma: feature hashing, numpy only.

Chroma's default embedding downloads an ONNX model on first use and fails offline, and the small
neural encoders that ship their weights on PyPI embed about 13-34 sentences a second on two cores
(docs/memory.md has the measurements). Memory embeds one sentence per event, so it uses feature
hashing instead: word unigrams, word bigrams and character n-grams of each word are hashed with a
stable hash (blake2b, not Python's salted `hash()`) into a fixed number of signed dimensions,
weighted by sublinear term frequency, and L2-normalised. The same text gives the same vector in
every process, so a collection persisted by one process is searched correctly by the next.

The class is registered with Chroma under `HashingEmbedding.name()`; importing `memory` registers
it, which is what lets a new process reopen a persisted collection.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

DEFAULT_DIM = 1024
"""Dimensions: 1024 beat 256 and 512 on the retrieval proxy (docs/memory.md); 4 KB a record."""

_WORD = re.compile(r"\w+", re.UNICODE)

# Function words carry little meaning and are in almost every event ("The user opens the ...");
# they keep a small weight so that a query made only of them still has a direction.
STOPWORDS = frozenset(
    """
    a an and are as at be been but by for from had has have he her his i in into is it its
    me my of on or our she so that the their them then there these they this to was we were
    what when which who will with you your user users
    """.split()
)
_CACHE_WORDS = 50_000
"""Most distinct words whose hashed features one embedding object keeps."""

STOPWORD_WEIGHT = 0.2
"""Weight of a stopword unigram relative to a content word (bigrams made of two stopwords drop)."""


@lru_cache(maxsize=1 << 18)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """Stable (index, sign) of one feature; cached because words repeat across events."""
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


def _char_ngrams(word: str, sizes: tuple[int, ...]) -> list[str]:
    padded = f"<{word}>"
    grams: list[str] = []
    for n in sizes:
        if len(padded) < n:
            continue
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Signed feature hashing of words, word pairs and character n-grams into `dim` dimensions."""

    def __init__(
        self,
        dim: int = DEFAULT_DIM,
        word_weight: float = 1.0,
        bigram_weight: float = 0.5,
        char_weight: float = 1.5,
        char_sizes: tuple[int, ...] | list[int] = (3, 4, 5),
    ) -> None:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 16:
            raise ValueError(f"dim must be an integer of at least 16, got {dim!r}")
        for label, weight in (
            ("word_weight", word_weight),
            ("bigram_weight", bigram_weight),
            ("char_weight", char_weight),
        ):
            if not isinstance(weight, int | float) or weight < 0:
                raise ValueError(f"{label} must be a non-negative number, got {weight!r}")
        sizes = tuple(int(n) for n in char_sizes)
        if any(n < 1 for n in sizes):
            raise ValueError(f"char_sizes must be positive integers, got {char_sizes!r}")
        self.dim = dim
        self.word_weight = float(word_weight)
        self.bigram_weight = float(bigram_weight)
        self.char_weight = float(char_weight)
        self.char_sizes = sizes
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- Chroma's embedding-function protocol -------------------------------------------------

    @staticmethod
    def name() -> str:
        return "proactive_agent_hashing"

    def get_config(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "word_weight": self.word_weight,
            "bigram_weight": self.bigram_weight,
            "char_weight": self.char_weight,
            "char_sizes": list(self.char_sizes),
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(**config)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        HashingEmbedding(**config)

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        # Stored vectors were made with the old configuration: a new one would not match them.
        if old_config != new_config:
            raise ValueError("the hashing embedding's configuration cannot change for a collection")

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def __call__(self, input: Documents) -> Embeddings:
        return [self.embed_one(text) for text in input]

    def embed_query(self, input: Documents) -> Embeddings:
        return self(input)

    # -- the embedding itself -------------------------------------------------------------------

    def _word_part(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """Hashed (indices, values) of one word: the word itself plus its character n-grams."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        indices: list[int] = []
        values: list[float] = []
        if self.word_weight:
            weight = self.word_weight * (STOPWORD_WEIGHT if word in STOPWORDS else 1.0)
            index, sign = _bucket("w:" + word, self.dim)
            indices.append(index)
            values.append(sign * weight)
        if self.char_weight and word not in STOPWORDS:
            grams = _char_ngrams(word, self.char_sizes)
            if grams:
                # Spread over the word's n-grams so a long word weighs no more than a short one.
                share = self.char_weight / math.sqrt(len(grams))
                for gram in grams:
                    index, sign = _bucket("c:" + gram, self.dim)
                    indices.append(index)
                    values.append(sign * share)
        part = (np.asarray(indices, dtype=np.intp), np.asarray(values, dtype=np.float64))
        if len(self._cache) < _CACHE_WORDS:
            self._cache[word] = part
        return part

    def embed_one(self, text: str) -> np.ndarray:
        """The L2-normalised vector of one text.

        Each distinct word adds (1 + log tf) times its hashed word and character n-gram features;
        each distinct pair of neighbouring words (unless both are stopwords) adds (1 + log tf) times
        `bigram_weight` at its hashed bucket. A text without any word hashes as a whole, so no
        non-empty text maps to the zero vector.
        """
        if not isinstance(text, str):
            raise ValueError(f"can only embed strings, got {type(text).__name__}")
        words = _WORD.findall(text.lower())
        if not words:
            stripped = text.strip()
            if not stripped:
                return np.zeros(self.dim, dtype=np.float32)
            words = [stripped]
        index_parts: list[np.ndarray] = []
        value_parts: list[np.ndarray] = []
        for word, count in Counter(words).items():
            indices, values = self._word_part(word)
            index_parts.append(indices)
            value_parts.append(values * (1.0 + math.log(count)) if count > 1 else values)
        if self.bigram_weight and len(words) > 1:
            pairs = Counter(
                f"{left} {right}"
                for left, right in zip(words, words[1:], strict=False)
                if not (left in STOPWORDS and right in STOPWORDS)
            )
            if pairs:
                bigram_indices = []
                bigram_values = []
                for pair, count in pairs.items():
                    index, sign = _bucket("b:" + pair, self.dim)
                    bigram_indices.append(index)
                    bigram_values.append(sign * self.bigram_weight * (1.0 + math.log(count)))
                index_parts.append(np.asarray(bigram_indices, dtype=np.intp))
                value_parts.append(np.asarray(bigram_values, dtype=np.float64))
        vector = np.bincount(
            np.concatenate(index_parts), weights=np.concatenate(value_parts), minlength=self.dim
        )
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            vector /= norm
        return vector.astype(np.float32)
