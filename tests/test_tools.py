"""Tools: each works inside its workspace, nothing outside is touched, the runner never raises."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from graphs.state import ToolCall
from tools import ALL_FILE_TOOLS, MAX_OUTPUT_CHARS, PROJECT_TOOLS, ToolRunner, build_tools
from tools.notes import write_note_tool
from tools.reminders import reminder_tools

BASE_TOOLS = {
    "read_file",
    "write_file",
    "list_directory",
    "file_search",
    "search_text",
    "write_note",
    "set_reminder",
    "list_reminders",
    *PROJECT_TOOLS,
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("import pandas as pd\ndata = pd.read_csv('x.csv')\n")
    (root / "README.md").write_text("# Project\nUses Pandas for data.\n")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file next to the workspace, which no tool may read, change or list."""
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    return secret


@pytest.fixture
def runner(workspace: Path) -> ToolRunner:
    return ToolRunner(build_tools(workspace))


def call(runner: ToolRunner, name: str, **args) -> ToolCall:
    result = runner.call(name, args)
    assert isinstance(result, ToolCall)
    assert result.tool == name
    return result


# -- the tool set ------------------------------------------------------------------------------


def test_default_tools_are_safe(workspace):
    tools = build_tools(workspace)
    names = {tool.name for tool in tools}
    assert names == BASE_TOOLS
    assert not names & {"run_shell", "file_delete", "move_file", "copy_file", "search_memory"}


def test_shell_only_when_enabled(workspace):
    assert "run_shell" not in {tool.name for tool in build_tools(workspace, allow_shell=False)}
    assert "run_shell" in {tool.name for tool in build_tools(workspace, allow_shell=True)}


def test_memory_search_only_with_a_search_function(workspace):
    tools = build_tools(workspace, memory_search=lambda query: f"remembered {query}")
    assert "search_memory" in {tool.name for tool in tools}
    result = call(ToolRunner(tools), "search_memory", query="pandas")
    assert result.ok and result.output == "remembered pandas"


def test_memory_search_with_no_hits_says_so(workspace):
    result = call(
        ToolRunner(build_tools(workspace, memory_search=lambda q: "")), "search_memory", query="x"
    )
    assert result.ok and result.output == "Nothing found in memory."


def test_destructive_file_tools_only_by_name(workspace):
    tools = build_tools(workspace, file_tool_names=ALL_FILE_TOOLS)
    runner = ToolRunner(tools)
    assert call(runner, "file_delete", file_path="README.md").ok
    assert not (workspace / "README.md").exists()
    with pytest.raises(ValueError, match="rm_rf"):
        build_tools(workspace, file_tool_names=["rm_rf"])


def test_every_tool_is_described_and_typed_for_bind_tools(workspace):
    for tool in build_tools(workspace, memory_search=lambda q: "", allow_shell=True):
        assert isinstance(tool, BaseTool)
        spec = convert_to_openai_tool(tool)["function"]
        assert len(spec["description"]) > 20
        assert spec["parameters"]["type"] == "object"
        for prop in spec["parameters"].get("properties", {}).values():
            assert "type" in prop and "description" in prop


def test_workspace_is_created(tmp_path):
    root = tmp_path / "new" / "ws"
    build_tools(root)
    assert root.is_dir()


def test_a_file_is_not_a_workspace(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="workspace"):
        build_tools(tmp_path / "f")


# -- file tools --------------------------------------------------------------------------------


def test_write_read_list_and_find(runner, workspace):
    written = call(runner, "write_file", file_path="notes/todo.txt", text="buy milk\n")
    assert written.ok
    assert (workspace / "notes" / "todo.txt").read_text() == "buy milk\n"
    call(runner, "write_file", file_path="notes/todo.txt", text="call Ana\n", append=True)
    read = call(runner, "read_file", file_path="notes/todo.txt")
    assert read.ok and read.output == "buy milk\ncall Ana\n"
    listing = call(runner, "list_directory")
    assert listing.ok and set(listing.output.splitlines()) == {"src", "README.md", "notes"}
    found = call(runner, "file_search", pattern="*.py")
    assert found.ok and found.output == "src/app.py"


def test_reading_a_missing_file_fails_cleanly(runner):
    result = call(runner, "read_file", file_path="nope.txt")
    assert not result.ok and "no such file" in result.output


def test_search_text_finds_lines_case_insensitively(runner):
    result = call(runner, "search_text", text="PANDAS")
    assert result.ok
    assert result.output.splitlines() == [
        "README.md:2: Uses Pandas for data.",
        "src/app.py:1: import pandas as pd",
    ]
    assert "No line contains" in call(runner, "search_text", text="tensorflow").output


def test_search_text_output_is_bounded(runner, workspace):
    (workspace / "big.txt").write_text("needle " * 100 + "\n" * 2 + ("needle\n" * 500))
    result = call(runner, "search_text", text="needle")
    assert result.ok
    assert "stopped after 50 matching lines" in result.output
    assert all(len(line) < 300 for line in result.output.splitlines())
    assert len(result.output) <= MAX_OUTPUT_CHARS


def test_search_text_skips_binary_files(runner, workspace):
    (workspace / "blob.bin").write_bytes(b"\0\1needle\0")
    assert "blob.bin" not in call(runner, "search_text", text="needle").output


ESCAPES = ["../secret.txt", "../../etc/passwd", "/etc/passwd", "src/../../secret.txt"]


@pytest.mark.parametrize("path", ESCAPES)
def test_paths_outside_the_workspace_are_refused(runner, outside, path):
    for name, args in [
        ("read_file", {"file_path": path}),
        ("write_file", {"file_path": path, "text": "pwned"}),
        ("list_directory", {"dir_path": path}),
        ("file_search", {"dir_path": path, "pattern": "*"}),
        ("search_text", {"dir_path": path, "text": "password"}),
    ]:
        result = runner.call(name, args)
        assert not result.ok, (name, path, result.output)
        assert "Access denied" in result.output
        assert "hunter2" not in result.output
    assert outside.read_text() == "password=hunter2\n"


def test_symlinks_out_of_the_workspace_are_refused(runner, workspace, outside):
    (workspace / "link.txt").symlink_to(outside)
    (workspace / "linkdir").symlink_to(outside.parent)
    assert not call(runner, "read_file", file_path="link.txt").ok
    assert not call(runner, "write_file", file_path="link.txt", text="pwned").ok
    assert not call(runner, "read_file", file_path="linkdir/secret.txt").ok
    assert "hunter2" not in call(runner, "search_text", text="password").output
    assert outside.read_text() == "password=hunter2\n"


def test_huge_files_are_read_in_part(runner, workspace):
    (workspace / "huge.txt").write_text("x" * 500_000)
    result = call(runner, "read_file", file_path="huge.txt")
    assert result.ok and "truncated" in result.output
    assert len(result.output) <= MAX_OUTPUT_CHARS


# -- notes and reminders -----------------------------------------------------------------------


def test_write_note_appends_dated_markdown(workspace):
    tool = write_note_tool(workspace, now=lambda: datetime(2026, 11, 25, 14, 30))
    runner = ToolRunner([tool])
    assert call(runner, "write_note", title="Pandas  tips", body="Use `usecols`.").ok
    assert call(runner, "write_note", title="Second", body="More.").ok
    text = (workspace / "assistant-notes.md").read_text()
    assert text == (
        "## Pandas tips\n_2026-11-25 14:30_\n\nUse `usecols`.\n\n"
        "## Second\n_2026-11-25 14:30_\n\nMore.\n\n"
    )


def test_reminders_are_appended_and_listed(workspace):
    runner = ToolRunner(reminder_tools(workspace, now=lambda: datetime(2026, 11, 25, 9, 0)))
    assert call(runner, "list_reminders").output == "No reminders."
    assert call(runner, "set_reminder", text="Send the report", when="2026-11-26T09:00").ok
    assert call(runner, "set_reminder", text="Call Ana", when="tomorrow morning").ok
    lines = (workspace / "reminders.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0] == {
        "text": "Send the report",
        "when": "2026-11-26T09:00",
        "due": "2026-11-26T09:00:00",
        "created": "2026-11-25T09:00:00",
    }
    assert records[1]["due"] is None
    listed = call(runner, "list_reminders")
    assert listed.ok
    assert listed.output == "- 2026-11-26T09:00: Send the report\n- tomorrow morning: Call Ana"


def test_a_torn_reminders_line_does_not_hide_the_others(workspace):
    runner = ToolRunner(reminder_tools(workspace))
    call(runner, "set_reminder", text="A", when="today")
    with (workspace / "reminders.jsonl").open("a") as handle:
        handle.write('{"text": "bro\n')
    call(runner, "set_reminder", text="B", when="today")
    assert call(runner, "list_reminders").output == "- today: A\n- today: B"


# -- shell -------------------------------------------------------------------------------------


def test_shell_runs_in_the_workspace(workspace):
    runner = ToolRunner(build_tools(workspace, allow_shell=True))
    result = call(runner, "run_shell", command="pwd && ls")
    assert result.ok
    assert str(workspace.resolve()) in result.output and "README.md" in result.output
    failed = call(runner, "run_shell", command="echo oops >&2; exit 3")
    assert not failed.ok and "exit code 3" in failed.output and "oops" in failed.output


def test_shell_timeout_and_bounded_output(workspace):
    from tools.shell import run_shell_tool

    runner = ToolRunner([run_shell_tool(workspace, timeout_s=0.5)])
    slow = call(runner, "run_shell", command="sleep 5")
    assert not slow.ok and "longer than 0.5 s" in slow.output
    loud = call(runner, "run_shell", command="yes | head -c 100000")
    assert loud.ok and len(loud.output) <= MAX_OUTPUT_CHARS and "truncated" in loud.output


def test_shell_absent_means_the_runner_refuses_it(runner):
    result = call(runner, "run_shell", command="ls")
    assert not result.ok and "unknown tool" in result.output


# -- the runner never raises -------------------------------------------------------------------


class Exploding(BaseTool):
    name: str = "explode"
    description: str = "Always fails."

    def _run(self) -> str:
        raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("name", "args", "reason"),
    [
        ("no_such_tool", {}, "unknown tool"),
        (None, {}, "unknown tool"),
        ("read_file", {}, "bad arguments for read_file: file_path"),
        ("read_file", {"file_path": 3}, "bad arguments"),
        ("read_file", "README.md", "must be an object"),
        ("read_file", ["README.md"], "must be an object"),
        ("write_note", {"title": "", "body": "x"}, "bad arguments for write_note: title"),
        ("set_reminder", {"text": "x"}, "when"),
        ("explode", {}, "explode failed: RuntimeError: boom"),
    ],
)
def test_runner_turns_every_failure_into_a_record(workspace, name, args, reason):
    runner = ToolRunner([*build_tools(workspace), Exploding()])
    result = runner.call(name, args)
    assert isinstance(result, ToolCall)
    assert result.ok is False
    assert reason in result.output
    assert len(result.output) <= MAX_OUTPUT_CHARS


def test_runner_records_long_arguments_truncated(runner, workspace):
    text = "y" * 10_000
    result = call(runner, "write_file", file_path="long.txt", text=text)
    assert result.ok
    assert (workspace / "long.txt").read_text() == text
    assert len(result.args["text"]) <= 2000


def test_runner_refuses_duplicate_names(workspace):
    tools = build_tools(workspace)
    with pytest.raises(ValueError, match="read_file"):
        ToolRunner([*tools, tools[0]])
