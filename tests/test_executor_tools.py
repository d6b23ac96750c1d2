"""The executor's source tools: each reads real files under the project root and cites only what
exists; bad input (huge, binary, linked-out, missing, alias bombs) gets a clear line, never a
traceback, and nothing is written outside the workspace."""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

import pytest

import tools.summary
from graphs.context import SERVER_SETTINGS, Context
from graphs.state import ToolCall
from tools import MAX_OUTPUT_CHARS, PROJECT_TOOLS, ToolRunner, build_tools
from tools.project import MAX_LINES, MAX_READ_BYTES

PARSER = """import csv


def parse_totals(path):
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        return [float(row["total"]) for row in rows]


if __name__ == "__main__":
    import sys
    print(sum(parse_totals(sys.argv[1])))
"""
REPORT = """# Quarterly report

The solar project delivered 1.2 MW of new capacity this quarter. Costs came in under budget
by eight percent, mainly because panel prices fell. The team hired two new installers.

## Risks

- Permitting delays in the northern county could push the second site into next year.
- Supply of inverters remains tight and prices are volatile.

```python
print("Code is not prose. It is never quoted as a sentence.")
```

Overall the project is on track to meet its annual capacity target of five megawatts. The weather
was mild. Community feedback on the new sites has been positive.
"""
SECRET = "password=hunter2"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "samples").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "invoice_parser.py").write_text(PARSER)
    (root / "samples" / "march.csv").write_text(
        "Date,Customer,Total\n2026-03-01,Acme,120.50\n2026-03-02,Globex,89.90\n"
    )
    (root / "docs" / "report.md").write_text(REPORT)
    (root / "sloppy.py").write_text("import os\n\n\ndef f():\n    return undefined_name\n")
    (tmp_path / "secret.txt").write_text(SECRET + "\n")
    return root


@pytest.fixture
def runner(project: Path) -> ToolRunner:
    return ToolRunner(build_tools(project))


def call(runner: ToolRunner, name: str, /, **args) -> ToolCall:
    result = runner.call(name, args)
    assert result.tool == name
    return result


def ok(runner: ToolRunner, name: str, /, **args) -> str:
    result = call(runner, name, **args)
    assert result.ok, result.output
    return result.output


def refused(runner: ToolRunner, name: str, /, **args) -> str:
    result = call(runner, name, **args)
    assert not result.ok, result.output
    assert result.output.startswith("Error:"), result.output
    assert "Traceback" not in result.output and SECRET not in result.output
    return result.output


# -- the tool set ------------------------------------------------------------------------------


def test_the_contract_tools_are_offered_to_both_planners(project):
    names = {tool.name for tool in build_tools(project)}
    assert set(PROJECT_TOOLS) <= names
    assert {"read_lines", "locate_error", "check_data_file", "python_docs", "lint_file"} <= names
    assert {"module_outline", "find_usages", "summarise_document", "write_outline"} <= names


def test_project_root_is_a_server_setting_with_an_environment_fallback(tmp_path, monkeypatch):
    assert "project_root" in SERVER_SETTINGS
    monkeypatch.setenv("PROACTIVE_PROJECT_ROOT", str(tmp_path))
    assert Context().project_root == str(tmp_path)
    with pytest.raises(ValueError, match="project_root"):
        Context(project_root=str(tmp_path / "missing"))


# -- read_lines, find_usages ------------------------------------------------------------------


def test_read_lines_numbers_the_real_lines(runner):
    out = ok(runner, "read_lines", path="invoice_parser.py", start=6, end=7)
    assert out.splitlines()[1:] == [
        "6:         rows = csv.DictReader(f)",
        '7:         return [float(row["total"]) for row in rows]',
    ]
    assert "lines 6-7 of 12" in out
    assert "no line 40" in refused(runner, "read_lines", path="invoice_parser.py", start=40)


def test_read_lines_is_capped_and_says_where_to_resume(project, runner):
    (project / "long.txt").write_text("".join(f"row {i}\n" for i in range(1, 1001)))
    out = ok(runner, "read_lines", path="long.txt")
    assert len(out) <= MAX_OUTPUT_CHARS  # nothing lost to the runner's cut
    last = int(re.search(r"lines 1-(\d+) of 1000", out).group(1))
    assert out.splitlines()[-2] == f"{last}: row {last}"
    assert out.endswith(f"ask for start={last + 1}]")
    again = ok(runner, "read_lines", path="long.txt", start=last + 1, end=last + 2)
    assert again.splitlines()[1:] == [f"{last + 1}: row {last + 1}", f"{last + 2}: row {last + 2}"]
    wide = ToolRunner(build_tools(project), max_output_chars=100_000)
    many = ok(wide, "read_lines", path="long.txt", start=1, end=1000)
    assert "1: row 1" in many and f"{MAX_LINES + 1}: " not in many


def test_find_usages_matches_whole_identifiers_and_skips_the_assistants_notes(project, runner):
    (project / "report2.py").write_text(
        "from invoice_parser import parse_totals\nparse_totals_v2 = 1\nx = m.parse_totals('a')\n"
    )
    ok(runner, "write_note", title="parse_totals", body="parse_totals was discussed")
    out = ok(runner, "find_usages", name="parse_totals")
    assert out.splitlines() == [
        "invoice_parser.py:4: def parse_totals(path):",
        "invoice_parser.py:12: print(sum(parse_totals(sys.argv[1])))",
        "report2.py:1: from invoice_parser import parse_totals",
        "report2.py:3: x = m.parse_totals('a')",
    ]
    assert "No line" in ok(runner, "find_usages", name="nowhere_used")
    assert "not an identifier" in refused(runner, "find_usages", name="a b; rm")


# -- locate_error ------------------------------------------------------------------------------

LINE_7 = 'invoice_parser.py:7: return [float(row["total"]) for row in rows]'


@pytest.mark.parametrize(
    "text",
    [
        # a Python traceback from another machine: the innermost frame in the project wins
        'Traceback (most recent call last):\n  File "/home/bob/proj/invoice_parser.py", line 12,'
        ' in <module>\n    print(sum(parse_totals(sys.argv[1])))\n  File "/home/bob/proj/'
        'invoice_parser.py", line 7, in parse_totals\n    return [float(row["total"]) for row in'
        " rows]\nKeyError: 'total'",
        # a sentence, as the events say it
        "The terminal shows the error \"KeyError: 'total'\" raised in 'invoice_parser.py' line 7.",
        # compiler / linter style
        "invoice_parser.py:7:22: KeyError: 'total'",
        "KeyError at line 7 of invoice_parser.py",
    ],
)
def test_locate_error_quotes_the_line_the_error_names(runner, text):
    out = ok(runner, "locate_error", text=text)
    lines = out.splitlines()
    assert lines[0] == LINE_7
    assert lines[1] == "4: def parse_totals(path):"  # three lines before ...
    assert lines[7] == '10: if __name__ == "__main__":'  # ... and three after


def test_locate_error_without_a_line_finds_the_quoted_key(runner):
    out = ok(runner, "locate_error", text="KeyError: 'total' in 'invoice_parser.py'")
    assert out.splitlines()[0] == LINE_7


def test_locate_error_reparses_the_data_file_a_parser_error_names(project, runner):
    (project / "config.json").write_text('{\n  "a": 1\n  "b": 2\n}\n')
    text = (
        "File \"load.py\", line 3, in <module>\njson.decoder.JSONDecodeError: Expecting ',' "
        "delimiter: line 3 column 3 (char 14) while reading config.json"
    )
    out = ok(runner, "locate_error", text=text)
    assert out.splitlines()[0] == 'config.json:3: "b": 2'
    assert "Expecting ',' delimiter" in out


def test_locate_error_says_plainly_when_the_file_is_not_in_the_project(runner):
    out = refused(runner, "locate_error", text='File "ghost.py", line 3, in main\nValueError: x')
    assert "ghost.py" in out and "not a file under the project root" in out
    assert "has 12 lines" in refused(
        runner, "locate_error", text='File "invoice_parser.py", line 99'
    )


# -- check_data_file ---------------------------------------------------------------------------


def test_check_data_file_names_the_line_of_each_fault(project, runner):
    (project / "bad.json").write_text('{\n  "a": 1,\n  "b": [1, 2,,]\n}\n')
    (project / "bad.csv").write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n")
    (project / "bad.yaml").write_text("name: x\nitems:\n  - one\n - two\n")
    (project / "bad.toml").write_text('[tool]\nname = "x"\nversion = \n')
    assert ok(runner, "check_data_file", path="bad.json").startswith("bad.json:3:")
    out = ok(runner, "check_data_file", path="bad.csv")
    assert out.splitlines()[:2] == [
        "bad.csv:3: CSV does not parse: this row has 2 fields, the header has 3 (a, b, c)",
        "3: 4,5",
    ]
    assert re.match(
        r"bad\.yaml:4:\d+: YAML does not parse", ok(runner, "check_data_file", path="bad.yaml")
    )
    assert ok(runner, "check_data_file", path="bad.toml").startswith("bad.toml:3:")


def test_check_data_file_describes_a_clean_file(project, runner):
    out = ok(runner, "check_data_file", path="samples/march.csv")
    assert "parses cleanly as CSV" in out
    assert "Date, Customer, Total" in out and "2 data rows" in out
    (project / "c.json").write_text(json.dumps({"name": "x", "items": [1]}))
    assert "top-level object with 2 keys: name, items" in ok(
        runner, "check_data_file", path="c.json"
    )
    assert "none of these" in refused(runner, "check_data_file", path="invoice_parser.py")


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(project, runner):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    (project / "bomb.yaml").write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    out = ok(runner, "check_data_file", path="bomb.yaml")
    assert time.perf_counter() - started < 5
    assert "alias bomb" in out and "not loaded" in out


# -- python_docs -------------------------------------------------------------------------------


def test_python_docs_reads_the_installed_documentation(runner):
    out = ok(runner, "python_docs", name="csv.DictReader")
    assert "fieldnames" in out and "restval" in out
    assert "sort_keys" in ok(runner, "python_docs", name="json.dumps")
    assert "most common" in ok(runner, "python_docs", name="collections.Counter.most_common")
    assert "no installed module" in refused(runner, "python_docs", name="no_such_module_xyz.f")
    assert "no attribute" in refused(runner, "python_docs", name="csv.NoSuchThing")
    assert "not a dotted Python name" in refused(runner, "python_docs", name="os; rm -rf /")


def test_python_docs_never_imports_the_persons_code(project, runner, monkeypatch):
    marker = project / "imported.txt"
    (project / "sneaky_module.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n\ndef f():\n    'doc'\n"
    )
    monkeypatch.syspath_prepend(str(project))
    out = refused(runner, "python_docs", name="sneaky_module.f")
    assert "not part of the installed Python environment" in out
    assert not marker.exists() and "sneaky_module" not in sys.modules


def test_python_docs_shows_no_value_that_could_hold_a_secret(runner, monkeypatch):
    monkeypatch.setenv("PROACTIVE_TEST_TOKEN", "tok-s3cr3t-value")
    assert "tok-s3cr3t-value" not in ok(runner, "python_docs", name="os.environ")
    assert "value: 1" in ok(runner, "python_docs", name="csv.QUOTE_ALL")


# -- lint_file, module_outline -----------------------------------------------------------------


def test_lint_file_runs_ruff(runner):
    out = ok(runner, "lint_file", path="sloppy.py")
    lines = out.splitlines()
    assert any(line.startswith("sloppy.py:1:8: F401") for line in lines), out
    assert any(line.startswith("sloppy.py:5:12: F821") for line in lines), out
    assert all(re.match(r"sloppy\.py:\d+:\d+: [A-Z]+\d+ ", line) for line in lines), out
    assert "no findings" in ok(runner, "lint_file", path="invoice_parser.py")
    assert "Python files" in refused(runner, "lint_file", path="samples/march.csv")


def test_module_outline_lists_definitions_and_calls(project, runner):
    (project / "shapes.py").write_text(
        '"""Shapes."""\nimport math\n\n\nclass Circle:\n    """A circle."""\n\n'
        "    def area(self):\n        return math.pi * square(self.r)\n\n\n"
        "def square(x: float) -> float:\n    return x * x\n"
    )
    out = ok(runner, "module_outline", path="shapes.py")
    assert "line 5: class Circle -- A circle." in out
    assert "line 8: def area(self)" in out
    assert "line 12: def square(x: float) -> float" in out
    assert "calls: square" in out and "called by: Circle.area" in out
    (project / "broken.py").write_text("def f(:\n    pass\n")
    assert ok(runner, "module_outline", path="broken.py").startswith("broken.py:1:")


# -- summarise_document ------------------------------------------------------------------------


def _collapsed(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("encoder", [True, False])
def test_summarise_document_quotes_real_sentences_in_order(runner, monkeypatch, encoder):
    if not encoder:
        monkeypatch.setattr(tools.summary, "_encoder", lambda: None)
    out = ok(runner, "summarise_document", path="docs/report.md", sentences=3)
    header, *quoted = out.splitlines()
    assert ("sentence-encoder" if encoder else "word-overlap") in header
    assert len(quoted) == 3
    report_lines = REPORT.splitlines()
    positions = []
    for item in quoted:
        found = re.fullmatch(r'- line (\d+): "(.+)"', item)
        assert found, item
        line, sentence = int(found.group(1)), found.group(2)
        assert sentence in _collapsed(REPORT)  # verbatim
        assert sentence.split()[0] in report_lines[line - 1]  # starts on the line it cites
        assert "Code is not prose" not in sentence
        positions.append(_collapsed(REPORT).index(sentence))
    assert positions == sorted(positions)


# -- write_outline, set_reminder ---------------------------------------------------------------


def test_write_outline_has_exactly_the_named_sections(project, runner):
    out = ok(
        runner,
        "write_outline",
        title="Community Solar Grant Proposal",
        sections=["need", "impact", "budget", "timeline"],
    )
    path = project / "drafts" / "community-solar-grant-proposal.md"
    assert out.startswith("Outline written to drafts/community-solar-grant-proposal.md")
    text = path.read_text()
    assert text.startswith("# Community Solar Grant Proposal\n")
    assert re.findall(r"^## (.+)$", text, re.M) == ["Need", "Impact", "Budget", "Timeline"]
    assert not re.search(r"https?://|\d", text)  # no invented links or figures
    as_text = ok(runner, "write_outline", title="Plan", sections="goals, risks and team")
    assert re.findall(r"^## (.+)$", as_text, re.M) == ["Goals", "Risks", "Team"]
    assert "outside the workspace" in refused(
        runner, "write_outline", title="x", sections=["a"], path="../escape.md"
    )
    (project / "mine.md").write_text("the person's own text\n")
    again = ok(runner, "write_outline", title="x", sections=["a"], path="mine.md")
    assert again.startswith("Outline written to mine-2.md")  # never over a file
    assert (project / "mine.md").read_text() == "the person's own text\n"
    assert not (project.parent / "escape.md").exists()


def test_set_reminder_at_the_time_the_events_give(project, runner):
    event = 1767261630  # 2026-01-01 10:00:30 UTC
    assert "due 2026-01-01T16:00:00" in ok(
        runner, "set_reminder", text="Call Ana", when="16:00", event_time=event
    )
    assert "due 2026-01-02T09:30:00" in ok(
        runner, "set_reminder", text="Standup", when="9:30 am", event_time=str(event)
    )
    ok(runner, "set_reminder", text="Pay", when=str(event + 3600))
    records = [json.loads(x) for x in (project / "reminders.jsonl").read_text().splitlines()]
    assert [r["due"] for r in records] == [
        "2026-01-01T16:00:00",
        "2026-01-02T09:30:00",
        "2026-01-01T11:00:30",
    ]
    assert "not a clock time" in refused(runner, "set_reminder", text="x", when="25:00")


# -- bad input ---------------------------------------------------------------------------------

READERS = [
    ("read_lines", "path"),
    ("check_data_file", "path"),
    ("lint_file", "path"),
    ("module_outline", "path"),
    ("summarise_document", "path"),
]


@pytest.mark.parametrize(("tool", "arg"), READERS)
def test_links_out_of_the_root_huge_and_binary_files_are_refused(project, runner, tool, arg):
    suffix = {"check_data_file": ".json", "summarise_document": ".md"}.get(tool, ".py")
    (project / f"link{suffix}").symlink_to(project.parent / "secret.txt")
    (project / f"huge{suffix}").write_text("x = 1\n" * (MAX_READ_BYTES // 6 + 10))
    (project / f"blob{suffix}").write_bytes(b"\x7fELF\0\0\x01" + bytes(range(256)))
    assert "outside the project root" in refused(runner, tool, **{arg: f"link{suffix}"})
    assert "outside the project root" in refused(runner, tool, **{arg: "../secret.txt"})
    assert "over the limit" in refused(runner, tool, **{arg: f"huge{suffix}"})
    assert "binary" in refused(runner, tool, **{arg: f"blob{suffix}"})
    assert "does not exist" in refused(runner, tool, **{arg: f"missing{suffix}"})


def test_scans_never_follow_a_link_out(project, runner):
    (project / "link.py").symlink_to(project.parent / "secret.txt")
    (project / "folder").symlink_to(project.parent, target_is_directory=True)
    assert SECRET not in ok(runner, "find_usages", name="password")
    assert "password" not in ok(runner, "find_usages", name="password").replace("'password'", "")
    out = call(runner, "locate_error", text='File "secret.txt", line 1').output
    assert SECRET not in out


def test_a_granted_project_root_is_read_and_the_workspace_written(tmp_path, project):
    workspace = tmp_path / "assistant"
    runner = ToolRunner(build_tools(workspace, project_root=project))
    assert ok(runner, "locate_error", text="invoice_parser.py:7").startswith(LINE_7)
    assert "csv.DictReader" in ok(runner, "read_file", file_path="invoice_parser.py")
    ok(runner, "write_outline", title="Notes", sections=["findings"])
    assert (workspace / "drafts" / "notes.md").is_file()
    assert not (project / "drafts").exists()
    with pytest.raises(ValueError, match="project_root"):
        build_tools(workspace, project_root=tmp_path / "nope")


def test_every_tool_is_fast(project, runner):
    calls = [
        ("read_lines", {"path": "invoice_parser.py"}),
        ("locate_error", {"text": "KeyError raised in 'invoice_parser.py' line 7"}),
        ("check_data_file", {"path": "samples/march.csv"}),
        ("python_docs", {"name": "csv.DictReader"}),
        ("lint_file", {"path": "sloppy.py"}),
        ("module_outline", {"path": "invoice_parser.py"}),
        ("find_usages", {"name": "parse_totals"}),
        ("summarise_document", {"path": "docs/report.md"}),
        ("write_outline", {"title": "T", "sections": ["a", "b"]}),
    ]
    for name, args in calls:  # warm: the encoder loads once per process
        assert runner.call(name, args).ok
    for name, args in calls:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert runner.call(name, args).ok
            times.append(time.perf_counter() - started)
        assert statistics.median(times) < 0.5, (name, times)


# -- through the graph: the chat model's tool loop reads the granted project root -------------


def test_the_graph_gives_the_chat_executor_the_granted_project_root(tmp_path, project):
    from langchain_core.messages import AIMessage

    from graphs.agent import build_graph
    from tests.fakes import judge_json
    from tests.test_graph import run, scripted

    lookups = [
        {"name": "locate_error", "args": {"text": "KeyError raised in 'invoice_parser.py' line 7"}},
        {"name": "write_outline", "args": {"title": "Fix", "sections": ["cause", "fix"]}},
    ]
    executor, _ = scripted(
        [
            AIMessage(content="", tool_calls=[{**c, "id": f"c{i}"} for i, c in enumerate(lookups)]),
            "The error is at invoice_parser.py line 7.",
        ]
    )
    judge, _ = scripted([judge_json(True, "useful now")])
    workspace = tmp_path / "assistant"
    ctx = Context(
        memory_dir=str(tmp_path / "memory"),
        workspace=str(workspace),
        project_root=str(project),
        user_id="tester",
        need_threshold=0.0,
        judge_backend=judge,
        executor_backend=executor,
    )
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    event = {
        "time": 1_767_000_000,
        "text": "The terminal shows \"KeyError: 'total'\" raised in 'invoice_parser.py' line 7.",
        "source": "user",
    }
    out = run(build_graph(), event, ctx)
    assert out["status"] == "executed"
    [execution] = out["executions"]
    located, outlined = execution.calls
    assert located.ok and located.output.startswith(LINE_7), located.output
    assert outlined.ok
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before  # read-only
    assert list(workspace.rglob("drafts/fix.md"))  # written to the workspace
