"""Files the project wrote, found hostile or damaged, and training that could break the assistant
(issue 19, items 6 and 7), through the real `proactive` command.

A profile, a rows file, an annotation file or a memory journal holding a line of 100 000 nested
brackets gives a one-line error or is set aside with a notice, never a traceback or a crash at
every start. `proactive train` writes into the data directory, never the installed package, puts
models in use only when they are sound, and a damaged retrained model falls back to the shipped
ones with a notice naming a fix that works.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from backends.local import ARTIFACT_DIR
from memory.journal import JOURNAL_FILE, WriteJournal
from memory.profile import PROFILE_DIR, file_name
from tests.conftest import ROOT, proactive

DEEP = "[" * 100_000
"""A line nested 100 000 levels deep: Python's decoder raises RecursionError on it."""

SCENARIO = ROOT / "cli" / "scenarios" / "coding.jsonl"


def shipped_hashes() -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ARTIFACT_DIR.iterdir())
    }


def events_file(directory: Path, count: int = 4) -> Path:
    path = directory / "events.jsonl"
    path.write_text("".join(SCENARIO.read_text().splitlines(keepends=True)[:count]))
    return path


def assert_one_line_error(done, *needles: str) -> None:
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr[-2000:]
    for needle in needles:
        assert needle in errors[0], errors[0]


def hostile_profile(data: Path, user: str) -> Path:
    path = data / PROFILE_DIR / file_name(user)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"kind": "proactive-profile", "version": 2, "user": user})
    path.write_text(f"{header}\n{DEEP}\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- item 6: hostile files


def test_a_profile_line_100k_deep_is_moved_aside_not_a_crash_at_every_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    path = hostile_profile(data, "ana")
    shown = proactive("profile", "show", "--user", "ana", "--data-dir", str(data))
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "Traceback" not in shown.stderr
    assert "could not be read" in shown.stdout + shown.stderr
    assert "nested deeper than 64 levels" in shown.stdout + shown.stderr
    assert len(list(path.parent.glob(path.name + ".corrupt-*"))) == 1  # kept, not deleted

    hostile_profile(data, "ana")  # damaged again: the run must survive it too
    events = events_file(tmp_path)
    for _ in range(2):  # and the next start as well (no crash loop)
        done = proactive(
            "run", "--events", str(events), "--data-dir", str(data), "--user", "ana",
            "--threshold", "0", "--thread", f"t{_}",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
    assert len(list(path.parent.glob(path.name + ".corrupt-*"))) >= 1
    listed = proactive("profile", "list", "--data-dir", str(data))
    assert listed.returncode == 0 and "ana" in listed.stdout


def test_train_rows_with_a_line_100k_deep_is_one_line_error(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"obs": [{"time": 1, "event": "x"}], "valid": true, "help_needed": true}\n')
    rows.write_text(rows.read_text() + DEEP + "\n")
    before = shipped_hashes()
    done = proactive("train", "--rows", str(rows), "--data-dir", str(tmp_path / "data"))
    assert_one_line_error(done, f"{rows}:2:", "nested deeper than 64 levels")
    assert shipped_hashes() == before and not (tmp_path / "data" / "models").exists()


def test_a_rows_line_longer_than_the_limit_is_refused_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(b'{"obs": "' + b"x" * (2 << 20) + b'"}\n')
    done = proactive("train", "--rows", str(rows), "--data-dir", str(tmp_path / "data"))
    assert_one_line_error(done, f"{rows}:1:", "longer than 1048576 bytes")


def test_a_hostile_memory_journal_is_set_aside_with_a_notice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    WriteJournal(data / JOURNAL_FILE).close()
    with sqlite3.connect(data / JOURNAL_FILE) as conn:
        for metadata in (DEEP, '{"a": [1]}', "{not json"):
            conn.execute(
                "INSERT INTO pending (user, id, text, metadata) VALUES (?, ?, ?, ?)",
                ("default", "event:x#0", "The user opens a file.", metadata),
            )
    done = proactive("run", "--events", str(events_file(tmp_path, 2)), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    notices = [line for line in done.stderr.splitlines() if "pending write" in line]
    assert len(notices) == 3 and all("moved to the journal's 'damaged' table" in n for n in notices)
    with sqlite3.connect(data / JOURNAL_FILE) as conn:
        assert conn.execute("SELECT COUNT(*) FROM damaged").fetchone()[0] == 3  # kept
    again = proactive("run", "--events", str(events_file(tmp_path, 3)), "--data-dir", str(data))
    assert again.returncode == 0 and "pending write" not in again.stderr


def test_hostile_annotation_lines_are_a_clear_error_from_the_web_app(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from backends.local import load_models
    from graphs.context import Context
    from ui.app import Settings, create_app

    settings = Settings(
        data_dir=tmp_path,
        context=Context(memory_dir=str(tmp_path), feedback_mode="human"),
        traces={},
        drafter=load_models().drafter,
        allowed_hosts=("testserver",),
    )
    api = TestClient(create_app(settings))
    folder = tmp_path / "annotations"
    folder.mkdir()
    for content, problem in (
        (b'{"trace": "caf\xe9"}\n', ":1: not valid UTF-8"),
        (DEEP.encode() + b"\n", ":1: nested deeper than 64 levels"),
        (b"\n\n" + b"[" * (2 << 20) + b"\n", ":3: a line longer than 1048576 bytes"),
    ):
        (folder / "ana.jsonl").write_bytes(content)
        reply = api.get("/api/annotations/rows.jsonl")
        assert reply.status_code == 400, reply.text[:300]
        error = reply.json()["error"]
        assert "ana.jsonl" in error and problem in error and "\n" not in error


# ---------------------------------------------------------------- item 7: training


def one_trace_rows(bench_data: Path, count: int = 18) -> list[str]:
    """`count` reward rows of one trace: what the annotation page gives after one session."""
    lines = (bench_data / "reward_data" / "train_data.jsonl").read_text().splitlines()
    first = json.loads(lines[0])["obs"][0]["event"]
    return [line for line in lines if json.loads(line)["obs"][0]["event"] == first][:count]


@pytest.mark.data
def test_training_on_18_rows_of_one_trace_is_refused_and_changes_nothing(
    tmp_path: Path, bench_data: Path
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(one_trace_rows(bench_data)) + "\n")
    data = tmp_path / ".proactive"  # the default data directory, as `proactive run` uses it
    before = shipped_hashes()
    done = proactive("train", "--rows", str(rows), "--data", str(bench_data), cwd=tmp_path)
    assert_one_line_error(done, "refused", "judge has 18 samples", "1 trace group")
    assert "the models in use are unchanged" in done.stderr
    assert shipped_hashes() == before
    assert not (data / "models").exists()
    # Also when the maintainers' --out names the shipped folder.
    done = proactive(
        "train", "--rows", str(rows), "--data", str(bench_data), "--out", str(ARTIFACT_DIR)
    )
    assert_one_line_error(done, "refused")
    assert shipped_hashes() == before
    ran = proactive("run", "--events", str(events_file(tmp_path)), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr[-2000:]


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory, bench_data: Path) -> Path:
    """A data directory that `proactive train` (the real data, held-out scores) trained into."""
    data = tmp_path_factory.mktemp("retrained") / "data"
    before = shipped_hashes()
    done = proactive("train", "--data", str(bench_data), "--data-dir", str(data), timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert shipped_hashes() == before  # the installed package is never written
    assert f"models written to {data / 'models'}" in done.stderr
    assert "held-out: need F1" in done.stderr and "judge F1" in done.stderr
    return data


@pytest.mark.data
def test_a_sound_retrain_goes_to_the_data_directory_and_is_loaded_from_there(
    retrained: Path, tmp_path: Path
) -> None:
    models = retrained / "models"
    manifest = json.loads((models / "manifest.json").read_text())
    assert manifest["soundness_problems"] == [] and manifest["cv"]["judge"]["all"]["n"] > 0
    assert not list(retrained.glob(".models.*"))  # no scratch left behind
    # A copy whose need detector never fires: the run follows it, so it runs on these models.
    silent = tmp_path / "silent"
    shutil.copytree(models, silent / "models")
    need = json.loads((silent / "models" / "need.json").read_text())
    need["model"]["intercept"] = [-60.0]
    (silent / "models" / "need.json").write_text(json.dumps(need))
    events = events_file(tmp_path, 8)
    for data, proposals in ((retrained, True), (silent, False)):
        done = proactive(
            "run", "--events", str(events), "--data-dir", str(data), "--threshold", "0.01"
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "notice:" not in done.stderr
        assert (" 0 proposals" not in done.stdout + done.stderr) == proposals, done.stdout


@pytest.mark.data
def test_a_damaged_retrained_model_falls_back_to_the_shipped_ones_with_a_fix(
    retrained: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(retrained / "models", data / "models")
    (data / "models" / "drafter.json").write_text(DEEP)
    events = events_file(tmp_path)
    for _ in range(2):  # every start says so, none crashes
        done = proactive(
            "run", "--events", str(events), "--data-dir", str(data), "--thread", str(_)
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        [notice] = [line for line in done.stderr.splitlines() if line.startswith("notice:")]
        assert "drafter.json" in notice and "using the shipped models" in notice
        assert (
            f"proactive train --data-dir {data}" in notice and f"delete {data / 'models'}" in notice
        )
    # The second fix it names works (the first is what `retrained` did).
    shutil.rmtree(data / "models")
    done = proactive("run", "--events", str(events), "--data-dir", str(data), "--thread", "fixed")
    assert done.returncode == 0 and "notice:" not in done.stderr
