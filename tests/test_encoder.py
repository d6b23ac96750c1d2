"""The shipped sentence encoder and the judge's head over its vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from backends.local import load_models
from backends.local.encoder import ENCODER_DIR, Encoder, default_encoder
from backends.local.features import user_events
from backends.local.judge import Judge, judge_features
from backends.local.judge_head import EncoderHead, head_vector
from backends.local.linear import ArtifactError, sigmoid
from graphs.state import Event


def _events(*texts: str) -> list[Event]:
    return [Event(time=1_700_000_000.0 + 20.0 * i, text=t) for i, t in enumerate(texts)]


def test_int8_vectors_match_the_float32_model_they_were_exported_from() -> None:
    """reference.json holds PyTorch float32 vectors; the int8 ONNX model stays close to them.

    A wrong tokenizer setting (padding to 128, as tokenizer.json ships) or wrong pooling drops
    these cosines to about 0.4.
    """
    reference = json.loads((ENCODER_DIR / "reference.json").read_text())
    encoder = default_encoder()
    for text, expected in zip(reference["texts"], reference["float32"], strict=True):
        vector = encoder.embed(text)
        assert vector.shape == (encoder.dims,) == (384,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
        assert float(vector @ np.asarray(expected)) > 0.85, text


def test_vectors_are_cached_and_read_only() -> None:
    encoder = default_encoder()
    first = encoder.embed("Opened main.py in VS Code")
    assert encoder.embed("Opened main.py in VS Code") is first
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_related_sentences_are_closer_than_unrelated_ones() -> None:
    encoder = default_encoder()
    query = encoder.embed("Searched for how to merge two pandas dataframes")
    related = encoder.embed("Offer a short example of joining dataframes with pandas")
    unrelated = encoder.embed("Offer to book a table at an Italian restaurant")
    assert float(query @ related) > float(query @ unrelated) + 0.2


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    shutil.copy(ENCODER_DIR / "tokenizer.json", tmp_path / "tokenizer.json")
    shutil.copy(ENCODER_DIR / "info.json", tmp_path / "info.json")
    with pytest.raises(ArtifactError, match="model.int8.onnx"):
        Encoder(tmp_path)


def test_head_vector_layout() -> None:
    encoder = default_encoder()
    events = _events("Opened report.docx in Word", "Searched for 'APA citation format'")
    dims = encoder.dims
    silent = head_vector(encoder, events, None)
    task = head_vector(encoder, events, "Format the references of report.docx in APA style")
    assert silent.shape == task.shape == (3 * dims + 4,)
    np.testing.assert_array_equal(silent[:dims], 0.0)
    np.testing.assert_array_equal(silent[2 * dims : 3 * dims], 0.0)
    assert silent[3 * dims] == 1.0 and task[3 * dims] == 0.0
    np.testing.assert_allclose(silent[dims : 2 * dims], encoder.embed(events[-1].text))
    assert -1.0 <= task[3 * dims + 1] <= 1.0
    assert task[3 * dims + 3] >= task[3 * dims + 1]  # the closest event is at least the last


def test_the_shipped_judge_averages_its_two_models() -> None:
    judge = load_models().judge
    assert judge.head is not None
    assert judge.head.encoder_sha256 == default_encoder().sha256
    events = _events(
        "Opened train.py in VS Code", "Got ValueError: shapes (3,) and (4,) in terminal"
    )
    seen = user_events(events)
    for task in (None, "Explain the ValueError about mismatched shapes in train.py"):
        sparse = sigmoid(float(judge.model.logits(judge_features(seen, task))[0]))
        head = judge.head.probability(head_vector(default_encoder(), seen, task))
        verdict = judge.judge(events, task)
        assert verdict.accept_probability == pytest.approx(0.5 * (sparse + head))
        assert verdict.accepted == (verdict.accept_probability >= 0.5)


def test_a_head_trained_on_another_encoder_is_refused() -> None:
    judge = load_models().judge
    assert judge.head is not None
    other = Judge(
        model=judge.model,
        head=EncoderHead(judge.head.coef, judge.head.intercept, encoder_sha256="0" * 64),
    )
    with pytest.raises(ArtifactError, match="another sentence encoder"):
        other.judge(_events("Opened notes.md"), "Summarise notes.md")


def test_a_corrupt_head_is_named_and_the_file_kept(tmp_path: Path) -> None:
    from backends.local import ARTIFACT_DIR
    from backends.local.judge import ARTIFACT

    payload = json.loads((Path(ARTIFACT_DIR) / ARTIFACT).read_text())
    payload["encoder_head"]["coef"] = ["not a number"]
    path = tmp_path / ARTIFACT
    path.write_text(json.dumps(payload))
    before = path.read_bytes()
    with pytest.raises(ArtifactError, match="corrupt encoder head"):
        Judge.load(path)
    assert path.read_bytes() == before


def test_a_judge_without_a_head_is_the_sparse_model_alone() -> None:
    judge = load_models().judge
    sparse_only = Judge(model=judge.model)
    events = _events("Opened notes.md in Obsidian")
    seen = user_events(events)
    expected = sigmoid(float(judge.model.logits(judge_features(seen, "Tidy notes.md"))[0]))
    assert sparse_only.judge(events, "Tidy notes.md").accept_probability == pytest.approx(expected)
