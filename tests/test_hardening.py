"""Issue 13: what a hostile or unlucky user met, each through the real command or server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive


def events_file(tmp_path: Path, count: int = 1) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text(
        "".join(
            json.dumps({"time": 1_767_000_000 + 30 * i, "event": f"The user edits 'app{i}.py'."})
            + "\n"
            for i in range(count)
        )
    )
    return path


# --- 9. settings are refused before the first event, with a message -------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--local-only", "--agent", "openai:gpt-4o"], "local_only is set, but agent_backend"),
        (["--local-only", "--judge", "anthropic:claude"], "local_only is set, but judge_backend"),
        (["--user", ""], "user_id must be a non-empty string"),
        (["--user", "   "], "user_id must be a non-empty string"),
        (["--threshold", "3"], "need_threshold must be within 0..1"),
    ],
)
def test_bad_settings_stop_before_the_first_event(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    data = tmp_path / "data"
    done = proactive("run", "--events", str(events_file(tmp_path)), "--data-dir", str(data), *flags)
    assert done.returncode == 2
    assert f"error: {message}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not data.exists()  # nothing was stored: no checkpoint, no memory


# --- 2. one writer per thread ----------------------------------------------------------------


def test_a_second_writer_of_a_thread_is_refused_and_nothing_is_done_twice(tmp_path: Path) -> None:
    import time

    from graphs.persistence import lease_path

    # Enough events that the first run is still writing when the second process has started
    # (a process start, about 2 s here, is the time of some 60 events).
    count = 600
    events = events_file(tmp_path, count=count)
    data = tmp_path / "data"
    args = [sys.executable, "-m", "cli.main", "run", "--events", str(events)]
    args += ["--data-dir", str(data)]
    first = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lease = lease_path(data, "cli")
    deadline = time.monotonic() + 60
    while not (lease.exists() and lease.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the first run ended before the second could start"
    second = proactive("run", "--events", str(events), "--data-dir", str(data))
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 2
    assert f"thread 'cli' in {data} is being written by process {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr and second.stdout.count("[") == 0
    # The first run took every event once; running the command again does nothing more.
    assert f"{count} events" in out.splitlines()[-1]
    again = proactive("run", "--events", str(events), "--data-dir", str(data))
    assert again.returncode == 0 and f"skipped {count} events already processed" in again.stdout


def test_the_lease_of_a_killed_writer_is_taken_over(tmp_path: Path) -> None:
    import os
    import signal
    import time

    from graphs.persistence import lease_path

    events = events_file(tmp_path, count=40)
    data = tmp_path / "data"
    args = [sys.executable, "-m", "cli.main", "run", "--events", str(events)]
    args += ["--data-dir", str(data)]
    first = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lease = lease_path(data, "cli")
    deadline = time.monotonic() + 60
    while not (lease.exists() and lease.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    done = proactive("run", "--events", str(events), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "40 events" in done.stdout.splitlines()[-1] or "skipped" in done.stdout


# --- 5. storage problems: one clear line, a non-zero exit, nothing lost -----------------------


def _first_run(tmp_path: Path) -> tuple[Path, Path]:
    events = events_file(tmp_path, count=2)
    data = tmp_path / "data"
    assert proactive("run", "--events", str(events), "--data-dir", str(data)).returncode == 0
    with events.open("a") as handle:
        handle.write(json.dumps({"time": 1_767_000_900, "event": "The user saves 'z.py'."}) + "\n")
    return events, data


@pytest.mark.parametrize(
    ("damaged", "named"),
    [
        ("checkpoints.sqlite", "checkpoints.sqlite is damaged"),
        ("chroma.sqlite3", "chroma.sqlite3 is damaged"),
        ("memory-journal.sqlite", "memory-journal.sqlite is damaged"),
    ],
)
def test_a_damaged_store_is_named_with_what_to_do(tmp_path: Path, damaged: str, named: str) -> None:
    events, data = _first_run(tmp_path)
    (data / damaged).write_bytes(b"this is not a database" * 300)
    for extra in data.glob(damaged + "-*"):
        extra.unlink()  # WAL and shared-memory companions
    done = proactive("run", "--events", str(events), "--data-dir", str(data))
    assert done.returncode == 1
    [line] = [x for x in done.stderr.splitlines() if x.strip()]
    assert line.startswith("error: ") and named in line and "restore it from a backup" in line


def _unshared(script: str) -> subprocess.CompletedProcess:
    """Run a shell script in a private mount namespace (needs the right to mount)."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a private mount namespace here (unshare -m)")
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def test_a_read_only_data_directory_is_named(tmp_path: Path) -> None:
    events, data = _first_run(tmp_path)
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    done = _unshared(
        f"mount --bind -o ro {data} {data} && exec {sys.executable} -m cli.main run "
        f"--events {events} --data-dir {data}"
    )
    assert done.returncode == 1, done.stderr
    assert "error: cannot write to" in done.stderr and "read-only" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before


def test_a_full_disk_is_named(tmp_path: Path) -> None:
    events = events_file(tmp_path, count=30)
    data = tmp_path / "data"
    data.mkdir()
    done = _unshared(
        f"mount -t tmpfs -o size=400k tmpfs {data} && exec {sys.executable} -m cli.main run "
        f"--events {events} --data-dir {data}"
    )
    assert done.returncode == 1, done.stderr
    assert "error: the disk holding" in done.stderr and "is full" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_emptied_checkpoint_is_warned_about(tmp_path: Path) -> None:
    events, data = _first_run(tmp_path)
    (data / "checkpoints.sqlite").write_bytes(b"")
    for extra in data.glob("checkpoints.sqlite-*"):
        extra.unlink()
    done = proactive("run", "--events", str(events), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "warning: thread 'cli' has no checkpoint" in done.stderr
    assert "restore the checkpoint file from a backup" in done.stderr


# --- 10. what a killed run left in the memory journal is written at start-up -------------------

KILLED_WRITER = """
import os, sys
from graphs.state import Event
from memory import MemoryStore
store = MemoryStore(sys.argv[1], batch=64)
for i in range(5):
    store.add_event(user="default", thread="cli", index=i, event=Event(time=i, text=f"ev {i}"))
os._exit(0)  # no flush, no atexit: the writes wait in the journal
"""


def test_the_journal_is_written_to_the_store_at_start_up(tmp_path: Path) -> None:
    import chromadb

    from memory import collection_name

    data = tmp_path / "data"
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(data)], cwd=ROOT, check=True)

    def stored() -> int:
        client = chromadb.PersistentClient(path=str(data))
        try:
            return client.get_collection(collection_name("default")).count()
        except Exception:  # noqa: BLE001 - not created yet
            return 0

    assert stored() == 0
    empty = tmp_path / "none.jsonl"
    empty.write_text("")
    done = proactive("run", "--events", str(empty), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert stored() == 5


# --- 8. YAML alias bombs ------------------------------------------------------------------------


def _alias_bomb(path: Path) -> Path:
    """A 0.6 KB scene file whose aliases nest nine deep: 9^9 strings once expanded."""
    lines = ["- environment:", "    theme: Coding", "    description: a bomb"]
    lines.append('    entities: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
    previous = "a"
    for name in "bcdefghi":
        refs = ",".join([f"*{previous}"] * 9)
        lines.append(f"    x_{name}: &{name} [{refs}]")
        previous = name
    lines += [f"    events_example: *{previous}", "  user: {description: d, goal: g}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("command", ["gym", "scenes"])
def test_an_alias_bomb_is_refused_at_once(tmp_path: Path, command: str) -> None:
    bomb = _alias_bomb(tmp_path / "bomb.yaml")
    assert bomb.stat().st_size < 1024
    if command == "gym":
        done = proactive("gym", "--scenes", str(bomb), "--out", str(tmp_path / "out"), timeout=60)
    else:
        done = proactive("scenes", "check", str(bomb), timeout=60)
    assert done.returncode == 2
    assert f"error: {bomb}: refused: its aliases expand to more than" in done.stderr


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("- &scene\n  environment: *scene\n")
    done = proactive("scenes", "check", str(path), timeout=60)
    assert done.returncode == 2 and "recursive alias" in done.stderr


# --- 7. bench on malformed data: refused with the file, step and field ---------------------------


@pytest.fixture
def bench_copy(bench_data: Path, tmp_path: Path) -> Path:
    """A copy of the shared data to damage (the shared copy is read-only)."""
    import shutil

    target = tmp_path / "pb"
    shutil.copytree(bench_data / "test_data", target / "test_data")
    shutil.copytree(bench_data / "reward_data", target / "reward_data")
    return target


def _bench(data: Path, *extra: str) -> subprocess.CompletedProcess:
    return proactive("bench", "need", "--data", str(data), "--allow-leakage", "--json", *extra)


@pytest.mark.data
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda steps: [], "code_11.json: an empty trace (no steps)"),
        (lambda steps: {"steps": steps}, "code_11.json: a test trace must be a JSON list"),
        (
            lambda steps: [{k: v for k, v in steps[0].items() if k != "task_status"}, *steps[1:]],
            "code_11.json: step 0: field task_status: Field required",
        ),
        (
            lambda steps: [*steps[:3], {**steps[3], "observation": None}, *steps[4:]],
            "code_11.json: step 3: field observation:",
        ),
        (
            lambda steps: [{**steps[0], "task_status": "yes"}, *steps[1:]],
            "code_11.json: step 0: field task_status: Input should be a valid boolean",
        ),
    ],
)
def test_a_malformed_trace_file_is_refused_and_named(
    bench_copy: Path, damage: object, message: str
) -> None:
    path = bench_copy / "test_data" / "code_11.json"
    path.write_text(json.dumps(damage(json.loads(path.read_text()))))  # type: ignore[operator]
    done = _bench(bench_copy)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # no metrics computed from the other files


@pytest.mark.data
def test_a_null_agent_response_means_no_candidates(bench_copy: Path) -> None:
    path = bench_copy / "test_data" / "code_11.json"
    steps = json.loads(path.read_text())
    steps[2]["agent_response"] = None
    path.write_text(json.dumps(steps))
    done = _bench(bench_copy)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n"] == 35


@pytest.mark.data
def test_wrong_types_in_splits_are_named(bench_copy: Path) -> None:
    path = bench_copy / "test_data" / "splits.json"
    splits = json.loads(path.read_text())
    splits["real_coding"]["files"] = "code_11.json"
    path.write_text(json.dumps(splits))
    done = _bench(bench_copy)
    assert done.returncode == 2
    assert "splits.json: split 'real_coding': field files: Input should be a valid list" in (
        done.stderr
    )


@pytest.mark.data
def test_a_reward_row_missing_a_field_is_named(bench_copy: Path) -> None:
    path = bench_copy / "reward_data" / "train_data.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[4])
    del row["valid"]
    lines[4] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    done = proactive("bench", "judge", "--data", str(bench_copy), "--json")
    assert done.returncode == 2
    assert "train_data.jsonl:5: missing field(s) valid" in done.stderr
