"""The `proactive` command line, run as a user runs it (a separate process)."""

from __future__ import annotations

import json
from pathlib import Path

from nodes.common import user_folder
from tests.conftest import ROOT, proactive


def test_demo_end_to_end_with_the_embedded_default(tmp_path: Path) -> None:
    result = proactive("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== scenario: coding ==" in out and "== scenario: writing ==" in out
    assert "gave up quietly (rejected at the refinement bound)" in out
    assert "judge: accepted" in out and "judge: rejected" in out
    assert "refinement 1" in out
    assert "executed write_note" in out or "executed write_file" in out
    assert out.count("events: silent at") == 2
    assert (tmp_path / "workspace" / user_folder("default") / "assistant-notes.md").exists()


def test_run_reports_the_bad_line_and_keeps_what_came_before(tmp_path: Path) -> None:
    lines = [
        json.dumps({"time": 1_767_000_000, "event": "The user opens 'notes.txt' in an editor."}),
        json.dumps({"time": 1_767_000_020, "event": "The user types a heading 'Ideas'."}),
        '{"time": 1767000040, "event": ',
        json.dumps({"time": 1_767_000_060, "event": "never reached"}),
    ]
    result = proactive(
        "run", "--events", "-", "--data-dir", str(tmp_path), stdin="\n".join(lines) + "\n"
    )
    assert result.returncode == 2
    assert "line 3: not valid JSON" in result.stderr
    assert "notes.txt" in result.stdout and "Ideas" in result.stdout
    assert "never reached" not in result.stdout


def test_run_names_a_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({"event": "no time here"}) + "\n")
    result = proactive("run", "--events", str(path), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "line 1: event is missing 'time'" in result.stderr


def test_graph_prints_mermaid() -> None:
    result = proactive("graph")
    assert result.returncode == 0
    for node in ("observe", "remember", "detect", "draft", "feedback", "refine", "execute"):
        assert node in result.stdout


def test_readme_picture_is_generated_from_the_graph() -> None:
    result = proactive("graph")
    readme = (ROOT / "README.md").read_text()
    assert "```mermaid\n" + result.stdout.rstrip("\n") + "\n```" in readme, (
        "README's graph is stale: paste the output of `proactive graph`"
    )
