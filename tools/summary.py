"""`summarise_document`: an extractive summary of a local document, quoted verbatim.

An extractive summary cannot invent: it picks the document's most central sentences (those
closest to the document's mean sentence vector, from the shipped sentence encoder
backends/local/encoder.py) and quotes them in document order with the line each starts on. When
the encoder cannot load, a word-overlap centrality stands in; a long document is first narrowed
to its `MAX_ENCODED` most word-central sentences so a summary stays fast.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, read_text, relative

MAX_ENCODED = 64
"""Sentences embedded at most (about 2 ms each); longer documents are narrowed first."""
MAX_SENTENCE_CHARS = 600
"""Longer 'sentences' (tables, run-on lists) are left out."""
MIN_WORDS = 4
"""Shorter fragments (labels, headings without a '#') are not summary sentences."""
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was "
    "were will with not but they their we our you your he she his her which who what when".split()
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the document, whitespace collapsed, with the line it starts on."""

    line: int
    text: str


def _units(text: str) -> list[list[tuple[int, str]]]:
    """Paragraphs and list items as their (line number, line) pairs; code, headings, tables out."""
    units: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    fenced = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if _FENCE.match(line):
            fenced = not fenced
            line = ""
        rule = bool(line) and set(line) <= set("-=*_ ")
        if fenced or not line or rule or line.startswith(("#", "|", "<!--", ">")):
            if current:
                units.append(current)
            current = []
            continue
        bullet = _BULLET.match(line)
        if bullet:
            if current:
                units.append(current)
            current = []
            line = line[bullet.end() :]
        current.append((number, line))
    if current:
        units.append(current)
    return units


def split_sentences(text: str) -> list[Sentence]:
    """The document's prose sentences, each with the line it starts on."""
    found: list[Sentence] = []
    for unit in _units(text):
        joined = ""
        starts: list[tuple[int, int]] = []  # (offset in `joined`, line number)
        for number, line in unit:
            if joined:
                joined += " "
            starts.append((len(joined), number))
            joined += line
        offset = 0
        for piece_end in [m.start() for m in _BOUNDARY.finditer(joined)] + [len(joined)]:
            piece = joined[offset:piece_end].strip()
            begin = offset + (
                len(joined[offset:piece_end]) - len(joined[offset:piece_end].lstrip())
            )
            offset = piece_end
            if len(piece.split()) < MIN_WORDS or len(piece) > MAX_SENTENCE_CHARS:
                continue
            line = max(number for at, number in starts if at <= begin)
            found.append(Sentence(line, piece))
    return found


def _word_vectors(sentences: list[Sentence]) -> list[Counter[str]]:
    return [
        Counter(w for w in _WORD.findall(s.text.lower()) if w not in _STOPWORDS) for s in sentences
    ]


def word_centrality(sentences: list[Sentence]) -> list[float]:
    """Each sentence's cosine to the document's word counts (the encoder-free centrality)."""
    vectors = _word_vectors(sentences)
    whole: Counter[str] = Counter()
    for vector in vectors:
        whole.update(vector)
    whole_norm = math.sqrt(sum(v * v for v in whole.values())) or 1.0
    scores = []
    for vector in vectors:
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        dot = sum(count * whole[word] for word, count in vector.items())
        scores.append(dot / (norm * whole_norm))
    return scores


@cache
def _encoder() -> Any:
    """The shipped sentence encoder, or None when it cannot load (the fallback is then used)."""
    try:
        from backends.local.encoder import default_encoder

        return default_encoder()
    except Exception:  # a missing model file or runtime: summarise by word overlap instead
        return None


def encoder_centrality(sentences: list[Sentence]) -> list[float] | None:
    """Each sentence's cosine to the mean sentence vector, or None without the encoder."""
    encoder = _encoder()
    if encoder is None:
        return None
    try:
        vectors = np.stack([encoder.embed(s.text) for s in sentences])
    except Exception:  # the encoder failing mid-way is the same as not having it
        return None
    centre = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centre)) or 1.0
    return [float(v) for v in vectors @ (centre / norm)]


def central_sentences(sentences: list[Sentence], count: int) -> tuple[list[Sentence], str]:
    """The `count` most central sentences in document order, and how centrality was measured."""
    if len(sentences) <= count:
        return sentences, "all sentences"
    candidates = list(range(len(sentences)))
    if len(sentences) > MAX_ENCODED:
        words = word_centrality(sentences)
        candidates = sorted(candidates, key=lambda i: -words[i])[:MAX_ENCODED]
        candidates.sort()
    scores = encoder_centrality([sentences[i] for i in candidates])
    method = "sentence-encoder centrality"
    if scores is None:
        scores = word_centrality([sentences[i] for i in candidates])
        method = "word-overlap centrality"
    ranked = sorted(range(len(candidates)), key=lambda j: (-scores[j], j))[:count]
    return [sentences[candidates[j]] for j in sorted(ranked)], method


def summarise_document(root: Path, path: str, sentences: int = 5) -> str:
    """The most central sentences of a project document, quoted verbatim in document order."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    found = split_sentences(text)
    if not found:
        return f"Error: {name} holds no prose sentences to summarise"
    count = max(1, min(int(sentences), 20))
    chosen, method = central_sentences(found, count)
    header = (
        f"Summary of {name}: {len(chosen)} of {len(found)} sentences ({method}), "
        "quoted verbatim in document order:"
    )
    return "\n".join([header, *(f'- line {s.line}: "{s.text}"' for s in chosen)])


class SummariseDocumentInput(BaseModel):
    """Arguments of summarise_document."""

    path: str = Field(
        min_length=1, description="A text or markdown file, relative to the project root."
    )
    sentences: int = Field(default=5, ge=1, le=20, description="How many sentences to keep.")


def summary_tools(root: Path) -> list[BaseTool]:
    """summarise_document over the project folder `root`."""
    root = Path(root).resolve()

    def summarise_document_tool(path: str, sentences: int = 5) -> str:
        return summarise_document(root, path, sentences)

    return [
        StructuredTool.from_function(
            func=summarise_document_tool,
            name="summarise_document",
            description=(
                "Summarise a text or markdown document of the person's project extractively: its "
                "most central sentences, quoted verbatim in document order, each with the line "
                "it starts on."
            ),
            args_schema=SummariseDocumentInput,
        )
    ]
