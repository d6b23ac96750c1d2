"""The embedded judge's fit features and training choices: behaviour that can fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backends.local import ARTIFACT_DIR, LocalModels, load_models
from backends.local.encoder import ENCODER_DIR
from backends.local.judge import judge_features
from backends.local.judge_features import FIT_NAMES, fit_features, fit_vector
from backends.local.linear import feature_id
from graphs.state import Event


def _events(*texts: str) -> list[Event]:
    return [Event(time=1_700_000_000.0 + 30.0 * i, text=t) for i, t in enumerate(texts)]


STUCK = _events(
    "The user opens 'report_loader.py' in Visual Studio Code.",
    "The user runs 'report_loader.py' in the terminal and it shows the error "
    "'KeyError: quarterly_revenue'.",
    "The user switches to the browser and searches for 'pandas KeyError column not found'.",
)
WRITING = _events(
    "The user opens 'grant_proposal.docx' in Microsoft Word.",
    "The user types the heading 'Project Summary' in 'grant_proposal.docx'.",
    "The user writes two sentences about coral reef restoration under 'Project Summary'.",
)


@pytest.fixture(scope="module")
def models() -> LocalModels:
    return load_models()


def test_overlap_features_follow_the_last_events() -> None:
    on_topic = fit_features(STUCK, "Explain the pandas KeyError for column quarterly_revenue")
    off_topic = fit_features(STUCK, "Suggest a healthy dinner recipe with lentils")
    assert on_topic["ov_last1"] >= 0.5
    assert on_topic["ov_last3"] >= on_topic["ov_last1"]
    assert "ov_last1" not in off_topic and "ov_all" not in off_topic


def test_names_from_the_last_event_and_invented_names_are_told_apart() -> None:
    named = fit_features(STUCK, "Find examples for 'pandas KeyError column not found'")
    assert named["name_last1"] == 1.0 and named["quotes"] > 0
    assert "quotes_unseen" not in named
    invented = fit_features(STUCK, "Fix the bug in 'billing_service.go'")
    assert "name_last1" not in invented
    assert invented["quotes_unseen"] > 0
    older = fit_features(STUCK, "Review the structure of 'report_loader.py'")
    assert "name_last1" not in older and older["name_last3"] == 1.0


def test_generic_offers_score_as_generic() -> None:
    generic = fit_features(WRITING, "Offer help with any questions you may have")
    specific = fit_features(WRITING, "Draft the Project Summary about coral reef restoration")
    assert generic["generic_share"] > specific.get("generic_share", 0.0)


def test_kind_meets_last_action() -> None:
    fix = fit_features(STUCK, "Fix the KeyError in report_loader.py")
    assert fix["last:search"] == 1.0 and fix["cross:fix|search"] == 1.0
    assert not any(name.startswith("cross:write|") for name in fix)
    draft = fit_features(WRITING, "Draft the Project Summary paragraph")
    assert draft["cross:write|write"] == 1.0


def test_silence_gets_no_task_features() -> None:
    assert set(fit_features(STUCK, None)) <= {"null", "n_events"}
    assert set(fit_features(STUCK, "   ")) <= {"null", "n_events"}
    vector = fit_vector(STUCK, "Fix the KeyError")
    assert len(vector) == len(FIT_NAMES)
    assert all(isinstance(v, float) for v in vector)


def test_judge_features_carry_the_fit_block_per_situation() -> None:
    task = judge_features(STUCK, "Explain the pandas KeyError")
    null = judge_features(STUCK, None)
    assert any(k.startswith("fit_task|") for k in task)
    assert not any(k.startswith("fit_task|") for k in null)
    assert "fit_null|null" in null


def test_on_topic_task_beats_off_topic_task_for_the_same_events(models: LocalModels) -> None:
    for events, on, off in (
        (
            STUCK,
            "Explain what 'KeyError: quarterly_revenue' means and how to check the column names "
            "in 'report_loader.py'",
            "Suggest a healthy dinner recipe with lentils",
        ),
        (
            WRITING,
            "Draft the 'Project Summary' paragraph about coral reef restoration",
            "Find Python examples of asynchronous HTTP requests",
        ),
    ):
        p_on = models.judge.judge(events, on).accept_probability
        p_off = models.judge.judge(events, off).accept_probability
        assert p_on > p_off, (on, p_on, off, p_off)


def test_a_task_naming_what_the_user_just_did_beats_a_vague_one(models: LocalModels) -> None:
    specific = "Find examples that resolve 'pandas KeyError column not found'"
    vague = "Offer help with any questions"
    p_specific = models.judge.judge(STUCK, specific).accept_probability
    p_vague = models.judge.judge(STUCK, vague).accept_probability
    assert p_specific > p_vague


def test_decision_threshold_is_folded_into_the_task_weight_only() -> None:
    """The inner-CV threshold moves the weight of "proposal:task" and nothing else."""
    from backends.local.train import Sample, TrainSettings, _fit_judge

    rng = np.random.default_rng(0)
    samples = []
    for i in range(120):
        task = i % 3 != 0
        label = int(rng.random() < (0.45 if task else 0.6))
        feats = {("proposal:task" if task else "proposal:none"): 1.0, f"w{i % 7}": 1.0}
        feats["noise"] = float(rng.random())
        samples.append(Sample(feats, label, f"g{i % 6}", "reward"))
    plain = _fit_judge(samples, TrainSettings(judge_inner_folds=0), seed=0).model
    tuned = _fit_judge(samples, TrainSettings(judge_inner_folds=3), seed=0).model
    np.testing.assert_array_equal(plain.intercept, tuned.intercept)
    task_id = feature_id("proposal:task")
    for fid, a, b in zip(plain.index, plain.coef[:, 0], tuned.coef[:, 0], strict=True):
        if fid != task_id:
            assert a == b
    assert tuned.index.tolist() == plain.index.tolist()


def test_all_artifacts_fit_the_size_budget() -> None:
    """Trained artifacts and the sentence encoder together stay within issue 4's 30 MB."""
    shipped = [*Path(ARTIFACT_DIR).iterdir(), *ENCODER_DIR.iterdir()]
    total = sum(p.stat().st_size for p in shipped if p.is_file())
    assert (ENCODER_DIR / "model.int8.onnx").is_file()
    assert total <= 30 * 1024 * 1024
