"""The shipped embedded models: what they promise, on events written for these tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backends.local import (
    ARTIFACT_DIR,
    KINDS,
    ArtifactError,
    LocalModels,
    extract_entities,
    load_models,
)
from backends.local.drafter import TEMPLATES
from backends.local.features import window_features
from backends.local.kinds import label_kind
from backends.local.text import read_event
from graphs.state import Event

REPO = Path(__file__).resolve().parents[1]


def _events(*texts: str, start: float = 1_700_000_000.0, step: float = 20.0) -> list[Event]:
    return [Event(time=start + i * step, text=t) for i, t in enumerate(texts)]


CODING = (
    "The user opens 'parser_utils.py' in Visual Studio Code.",
    "The user types a few lines into the 'parse_dates' function in 'parser_utils.py'.",
)
STUCK = _events(
    *CODING,
    "The user runs 'parser_utils.py' in the terminal and it shows the error "
    "'ValueError: unconverted data remains'.",
    "The user switches to the browser and searches for 'ValueError unconverted data remains'.",
    "The user searches again for 'strptime unconverted data remains ValueError'.",
)
NEUTRAL = _events(
    *CODING,
    "The user scrolls down in 'parser_utils.py' in Visual Studio Code.",
    "The user moves the mouse within Visual Studio Code.",
    "The user saves 'parser_utils.py'.",
)
RESEARCH = _events(
    "The user opens a new browser tab.",
    "The user types 'tidal energy storage' into the search bar and presses 'Enter'.",
    "The user clicks the result titled 'Storing the Tides - Ocean Power Review'.",
    "The user scrolls through the 'Storing the Tides - Ocean Power Review' page.",
)
WINDOWS = (STUCK, NEUTRAL, RESEARCH, STUCK[:1], RESEARCH[:2])


@pytest.fixture(scope="module")
def models() -> LocalModels:
    return load_models()


# ---------------------------------------------------------------- loading


def test_load_models_is_cached_per_directory(models: LocalModels) -> None:
    assert load_models() is models
    assert load_models(ARTIFACT_DIR) is models


def test_shipped_artifacts_stay_small() -> None:
    total = sum(p.stat().st_size for p in ARTIFACT_DIR.glob("*.json"))
    assert total < 5 * 1024 * 1024


def test_manifest_describes_the_shipped_artifacts() -> None:
    manifest = json.loads((ARTIFACT_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name, info in manifest["artifacts"].items():
        assert (ARTIFACT_DIR / name).stat().st_size == info["bytes"]
    assert set(manifest["artifacts"]) == {
        "need.json",
        "judge.json",
        "drafter.json",
        "personal.json",
    }
    assert {"need", "judge", "drafter"} <= set(manifest["cv"])
    assert "seed" in manifest


def test_missing_artifact_names_the_file_and_the_fix(tmp_path: Path) -> None:
    for name in ("need.json", "judge.json", "drafter.json"):
        shutil.copy(ARTIFACT_DIR / name, tmp_path / name)
    (tmp_path / "judge.json").unlink()
    with pytest.raises(ArtifactError, match=r"judge\.json.*missing.*proactive train"):
        load_models(tmp_path)


def test_corrupt_artifact_is_an_artifact_error(tmp_path: Path) -> None:
    for name in ("need.json", "judge.json", "drafter.json"):
        shutil.copy(ARTIFACT_DIR / name, tmp_path / name)
    (tmp_path / "need.json").write_text('{"artifact": "need", "format": 1', encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"need\.json.*proactive train"):
        load_models(tmp_path)


def test_artifact_from_another_feature_version_is_refused(tmp_path: Path) -> None:
    for name in ("need.json", "judge.json", "drafter.json"):
        shutil.copy(ARTIFACT_DIR / name, tmp_path / name)
    payload = json.loads((tmp_path / "drafter.json").read_text(encoding="utf-8"))
    payload["feature_version"] = -1
    (tmp_path / "drafter.json").write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"drafter\.json.*feature version"):
        load_models(tmp_path)


def test_inference_needs_numpy_only_and_no_salted_hash() -> None:
    """Loading and scoring never import scikit-learn, and scores do not depend on the process's
    string-hash seed (features are hashed with a stable hash)."""
    code = (
        "import sys, json\n"
        "from backends.local import load_models\n"
        "from graphs.state import Event\n"
        "m = load_models()\n"
        "ev = [Event(time=1.0, text=\"The user searches for 'rust borrow checker'.\"),\n"
        "      Event(time=9.0, text=\"The user opens 'main.rs' in Visual Studio Code.\")]\n"
        "out = [m.need.score(ev), m.judge.judge(ev, 'Review the code').accept_probability,\n"
        "       [d.task for d in m.drafter.candidates(ev)]]\n"
        "print(json.dumps({'sklearn': 'sklearn' in sys.modules, 'out': out}))\n"
    )
    results = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        results.append(json.loads(done.stdout))
    assert results[0]["sklearn"] is False
    assert results[0]["out"] == results[1]["out"]


# ---------------------------------------------------------------- need detector


def test_need_scores_are_probabilities(models: LocalModels) -> None:
    for window in WINDOWS:
        assert 0.0 <= models.need.score(window) <= 1.0


def test_need_is_zero_without_user_events(models: LocalModels) -> None:
    assert models.need.score([]) == 0.0
    agent_only = [Event(time=1.0, text="Proposed: summarise the page.", source="agent")]
    assert models.need.score(agent_only) == 0.0


def test_need_ignores_the_agents_own_events(models: LocalModels) -> None:
    with_agent = [
        *STUCK[:-1],
        Event(time=STUCK[-1].time - 1, text="Offered help.", source="agent"),
        STUCK[-1],
    ]
    assert models.need.score(with_agent) == pytest.approx(models.need.score(STUCK))


def test_need_ranks_searching_in_circles_after_an_error_above_routine_editing(
    models: LocalModels,
) -> None:
    assert models.need.score(STUCK) > models.need.score(NEUTRAL)


def test_window_features_see_the_signs_of_being_stuck() -> None:
    stuck = window_features(STUCK)
    assert stuck["rep:search"] == 1.0
    assert stuck["win:error"] == 1.0
    assert "a:search" in stuck
    neutral = window_features(NEUTRAL)
    assert "rep:search" not in neutral and "win:error" not in neutral


def test_features_are_fast() -> None:
    start = time.perf_counter()
    for _ in range(50):
        for window in WINDOWS:
            window_features(window)
    per_event = (time.perf_counter() - start) / (50 * len(WINDOWS))
    assert per_event < 0.005  # budget 1 ms; generous here for loaded CI machines


# ---------------------------------------------------------------- entities


def test_entities_find_files_queries_errors_pages_and_apps() -> None:
    ents = extract_entities(STUCK)
    assert ents.files == ("parser_utils.py",)
    assert ents.queries[0] == "strptime unconverted data remains ValueError"  # most recent first
    assert "ValueError unconverted data remains" in ents.queries
    assert ents.errors == ("ValueError: unconverted data remains",)
    assert "Visual Studio Code" in ents.apps and "Terminal" in ents.apps
    research = extract_entities(RESEARCH)
    assert research.queries == ("tidal energy storage",)
    assert research.pages == ("Storing the Tides - Ocean Power Review",)


def test_apostrophes_are_not_quotes() -> None:
    facts = read_event(
        "The user reads Maria's summary of the 'Winter Tides' page and the users' notes."
    )
    assert facts.quoted == ("Winter Tides",)
    assert facts.pages == ("Winter Tides",)
    assert facts.files == () and facts.queries == ()


def test_entities_skip_agent_events() -> None:
    events = [*RESEARCH, Event(time=2e9, text="Opened 'agent_log.txt'.", source="agent")]
    assert "agent_log.txt" not in extract_entities(events).files


# ---------------------------------------------------------------- judge


def test_judge_gives_a_probability_a_decision_and_a_reason(models: LocalModels) -> None:
    for window in WINDOWS:
        for task in (None, "Summarise 'Storing the Tides' in five bullet points."):
            verdict = models.judge.judge(window, task)
            assert 0.0 <= verdict.accept_probability <= 1.0
            assert verdict.accepted == (verdict.accept_probability >= models.judge.threshold)
            assert len(verdict.reason) > 10


def test_judge_reason_for_silence_talks_about_need(models: LocalModels) -> None:
    verdict = models.judge.judge(RESEARCH, None)
    expected = "no help seems needed" if verdict.accepted else "staying silent"
    assert expected in verdict.reason


def test_judge_reason_names_the_kind_and_the_entity_it_offers_help_for(
    models: LocalModels,
) -> None:
    task = "Find a short, working code example for 'strptime unconverted data remains ValueError'."
    verdict = models.judge.judge(STUCK, task)
    if verdict.accepted:
        assert "worked examples" in verdict.reason
        assert "strptime unconverted data remains ValueError" in verdict.reason
    else:
        assert "no help seems needed" in verdict.reason or "worked examples" in verdict.reason


# ---------------------------------------------------------------- drafter


def test_every_template_reads_as_its_own_kind() -> None:
    """The judge labels a task's kind from its wording; the drafter's wording must agree."""
    assert set(TEMPLATES) == set(KINDS)
    for kind, templates in TEMPLATES.items():
        for template in templates:
            assert label_kind(template.task.format(name="Quartz")) == kind, template.task


def test_drafts_name_the_events_entities(models: LocalModels) -> None:
    drafts = models.drafter.candidates(STUCK)
    ents = extract_entities(STUCK)
    names = (*ents.files, *ents.queries, *ents.errors)
    assert drafts and all(any(n in d.task for n in names) for d in drafts)
    research = models.drafter.candidates(RESEARCH)
    assert any("tidal energy storage" in d.task or "Storing the Tides" in d.task for d in research)


def test_drafts_are_complete_distinct_and_ranked(models: LocalModels) -> None:
    for window in WINDOWS:
        drafts = models.drafter.candidates(window, k=3)
        assert 1 <= len(drafts) <= 3
        assert len({d.kind for d in drafts}) == len(drafts)
        assert [d.score for d in drafts] == sorted((d.score for d in drafts), reverse=True)
        for d in drafts:
            assert d.kind in KINDS
            assert d.task and d.purpose and d.thoughts
            assert d.response.startswith("Shall I ") and d.response.endswith("?")


def test_a_fix_is_offered_for_a_visible_error(models: LocalModels) -> None:
    drafts = models.drafter.candidates(STUCK, k=len(KINDS))
    fixes = [d for d in drafts if d.kind == "fix_error"]
    assert fixes and "ValueError: unconverted data remains" in fixes[0].task


def test_avoided_kinds_are_never_drafted(models: LocalModels) -> None:
    first = models.drafter.candidates(STUCK, k=3)
    avoid = {d.kind for d in first}
    again = models.drafter.candidates(STUCK, avoid_kinds=avoid, k=3)
    assert again and not {d.kind for d in again} & avoid
    assert models.drafter.candidates(STUCK, avoid_kinds=KINDS) == []


def test_avoided_tasks_are_never_drafted_again(models: LocalModels) -> None:
    first = models.drafter.candidates(RESEARCH, k=len(KINDS))
    avoided = [d.task for d in first]
    again = models.drafter.candidates(RESEARCH, avoid_tasks=[t.upper() for t in avoided], k=8)
    assert again, "other wordings of the same kinds should remain"
    assert not {d.task.casefold() for d in again} & {t.casefold() for t in avoided}


def test_drafts_are_deterministic(models: LocalModels) -> None:
    for window in WINDOWS:
        assert models.drafter.candidates(window) == models.drafter.candidates(window)


def test_no_drafts_without_user_events(models: LocalModels) -> None:
    assert models.drafter.candidates([]) == []
    assert models.drafter.candidates(STUCK, k=0) == []


def test_a_full_step_fits_the_latency_budget(models: LocalModels) -> None:
    start = time.perf_counter()
    for window in WINDOWS * 10:
        models.need.score(window)
        drafts = models.drafter.candidates(window)
        models.judge.judge(window, drafts[0].task if drafts else None)
    per_event = (time.perf_counter() - start) / (len(WINDOWS) * 10)
    assert per_event < 0.030


def _dataset_sentences(data: Path) -> set[str]:
    from backends.local.data import load_reward_rows, load_test_traces

    sentences = {r.pred_task for r in load_reward_rows(data) if r.pred_task}
    for trace in load_test_traces(data):
        for tasks in trace.candidates:
            sentences.update(tasks)
        sentences.update(e.text for e in trace.events)
    return {" ".join(s.casefold().split()).rstrip(".?!") for s in sentences}


@pytest.mark.data
def test_no_draft_repeats_a_dataset_sentence(models: LocalModels, bench_data: Path) -> None:
    from backends.local.data import load_reward_rows, load_test_traces

    sentences = _dataset_sentences(bench_data)
    windows = [
        t.events[: i + 1] for t in load_test_traces(bench_data) for i in range(len(t.events))
    ]
    windows += [r.obs for r in load_reward_rows(bench_data)[::25]]
    for window in windows:
        for d in models.drafter.candidates(window, k=len(KINDS)):
            for text in (d.task, d.thoughts, d.response, d.purpose):
                assert " ".join(text.casefold().split()).rstrip(".?!") not in sentences, text
