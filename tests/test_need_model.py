"""The need detector (issue 4): its situation features, its artifact, and held-out quality."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backends.local import ARTIFACT_DIR, ArtifactError, load_models
from backends.local.need import NeedDetector
from backends.local.need_features import FAMILIES, NEED_FEATURES_VERSION, need_features
from graphs.state import Event


def _events(*texts: str, times: list[float] | None = None) -> list[Event]:
    times = times or [1_700_000_000.0 + 20.0 * i for i in range(len(texts))]
    return [Event(time=t, text=x) for t, x in zip(times, texts, strict=True)]


SEARCH = "The user types 'tidal energy storage' into the Google search bar and presses 'Enter'."
RESULT = (
    "The user scrolls through the 'Storing the Tides - Ocean Power Review' page in the browser."
)
EDIT = "The user switches back to Visual Studio Code and edits 'notes.md'."


# ---------------------------------------------------------------- features


def test_features_name_the_situation() -> None:
    typing = need_features(_events(SEARCH))
    assert typing["typing_query"] == 1.0 and typing["a:search"] == 1.0
    assert typing["first"] == 1.0 and typing["consume"] == 0.0

    reading = need_features(_events(SEARCH, RESULT))
    assert reading["consume"] == 1.0 and reading["consume_web"] == 1.0
    assert reading["after_search"] == 1.0 and reading["typing_query"] == 0.0

    back = need_features(_events(SEARCH, RESULT, EDIT))
    assert back["to_editor"] == 1.0 and back["app_changed"] == 1.0
    assert back["produce"] == 1.0 and back["has:file"] == 1.0


def test_features_are_bounded_and_ignore_agent_events() -> None:
    window = _events(SEARCH, RESULT, EDIT, SEARCH, RESULT)
    features = need_features(window)
    assert all(0.0 <= v <= 1.0 for v in features.values())
    agent = Event(time=window[-1].time, text="Proactive agent proposed a task.", source="agent")
    assert need_features([*window, agent]) == features
    assert need_features([]) == {"empty": 1.0}
    assert need_features([agent]) == {"empty": 1.0}


def test_repeated_query_is_noticed() -> None:
    again = need_features(_events(SEARCH, RESULT, SEARCH))
    assert again["rep_query"] == 1.0
    assert need_features(_events(SEARCH))["rep_query"] == 0.0


def test_relative_dwell_does_not_depend_on_the_time_unit() -> None:
    """Test traces are in seconds, reward traces often in 5-15 minute steps: the relative dwell
    time reads both alike, while the absolute one tells them apart."""
    texts = (SEARCH, RESULT, EDIT, RESULT)
    fast = need_features(_events(*texts, times=[0.0, 10.0, 30.0, 40.0]))
    slow = need_features(_events(*texts, times=[0.0, 600.0, 1800.0, 2400.0]))
    assert fast["dt_rel"] == pytest.approx(slow["dt_rel"])
    assert fast["dt_log"] < slow["dt_log"]


def test_every_feature_belongs_to_one_family() -> None:
    window = _events(SEARCH, RESULT, EDIT, SEARCH, RESULT)
    for name in need_features(window):
        owners = [f for f, prefixes in FAMILIES.items() if name.startswith(prefixes)]
        assert len(owners) == 1, (name, owners)


# ---------------------------------------------------------------- the shipped detector


def test_shipped_artifact_records_the_feature_version() -> None:
    payload = json.loads((ARTIFACT_DIR / "need.json").read_text(encoding="utf-8"))
    assert payload["need_features"] == NEED_FEATURES_VERSION
    # A compact model: tens of weights, not thousands of hashed words.
    assert len(payload["model"]["index"]) < 200


def test_an_artifact_for_other_features_is_refused(tmp_path: Path) -> None:
    payload = json.loads((ARTIFACT_DIR / "need.json").read_text(encoding="utf-8"))
    payload["need_features"] = NEED_FEATURES_VERSION + 1
    (tmp_path / "need.json").write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ArtifactError, match="need features"):
        NeedDetector.load(tmp_path / "need.json")


def test_threshold_decides_needs_help() -> None:
    detector = load_models().need
    window = _events(SEARCH, RESULT)
    score = detector.score(window)
    assert 0.0 < score < 1.0
    strict = NeedDetector(model=detector.model, threshold=min(1.0, score + 1e-9))
    lenient = NeedDetector(model=detector.model, threshold=score)
    assert not strict.needs_help(window) and lenient.needs_help(window)


def test_error_then_repeated_searching_scores_above_quiet_editing() -> None:
    detector = load_models().need
    stuck = _events(
        "The user opens 'parser.py' in Visual Studio Code.",
        "The user runs 'parser.py' in the terminal and sees the error 'ValueError: bad date'.",
        "The user switches to the browser and searches for 'ValueError bad date python'.",
        "The user clicks a Stack Overflow answer about 'ValueError bad date' and reads it.",
    )
    quiet = _events(
        "The user opens 'parser.py' in Visual Studio Code.",
        "The user types a few lines in 'parser.py'.",
        "The user moves the mouse within Visual Studio Code.",
        "The user saves 'parser.py'.",
    )
    assert detector.score(stuck) > detector.score(quiet)


# ---------------------------------------------------------------- held-out quality


def _auc(truth: np.ndarray, scores: np.ndarray) -> float:
    pos, neg = scores[truth == 1], scores[truth == 0]
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def test_need_features_generalise_to_unseen_traces_better_than_words(bench_data: Path) -> None:
    """Leave-one-trace-out over the reward rows' help_needed: the situation features rank
    unseen traces' needs clearly above chance, and above the hashed words they replaced."""
    from backends.local import train as T
    from backends.local.data import load_reward_rows
    from backends.local.features import window_features

    rows = load_reward_rows(bench_data)
    results = {}
    for name, featurize in (("need", need_features), ("words", window_features)):
        samples, seen = [], set()
        for row in rows:
            key = tuple(e.text for e in row.obs)
            if key not in seen:
                seen.add(key)
                samples.append(T.Sample(featurize(row.obs), int(row.help_needed), row.trace, "r"))

        def fit(s, c=0.1):
            return T._fit(s, ("no", "yes"), c, True, 0, 3000)

        scores, groups = T._held_out(samples, fit, T._prob_yes)
        assert len(groups) >= 10
        results[name] = _auc(np.asarray([s.label for s in samples]), scores)
    assert results["need"] > 0.65
    assert results["need"] > results["words"] + 0.02
