"""The offline executor does the task: each kind of help runs its plan of tool calls through the
real graph (a person accepts or edits the proposal) and the result is the work, built only from
what the tools returned, the workspace and the events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from bench.help_grounding import Evidence, line_counts, ungrounded
from graphs.agent import build_graph
from graphs.context import Context
from graphs.state import Execution
from nodes.common import workspace as workspace_of

T0 = 1_767_261_600  # 2026-01-01 10:00 UTC


@dataclass
class Done:
    """What one carried-out task left behind."""

    execution: Execution
    """The executor's record."""
    result: str
    """The files it created or changed, its reminders and its summary, as one text."""
    workspace: Path
    """The workspace it worked in."""
    reminders: list[dict[str, Any]]
    """The reminders it set."""
    unfounded: list[str]
    """Citations in the result that no source holds (the bench's grounding rule)."""


def carry_out(
    tmp_path: Path, files: dict[str, str], events: list[str], task: str | None = None
) -> Done:
    """Feed `events` to the graph, then accept its proposal at the last one (or edit it into
    `task`, as a person would) and let the embedded executor carry it out."""
    ctx = Context(
        workspace=str(tmp_path / "workspace"),
        memory_dir=str(tmp_path / "memory"),
        user_id="person",
        feedback_mode="human",
    )
    workspace = workspace_of(ctx)  # the person's own folder in it
    for name, text in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text, encoding="utf-8")
    before = set(files)
    graph = build_graph()
    config = {"configurable": {"thread_id": "work"}}
    for i, text in enumerate(events[:-1]):
        ctx.need_threshold = 1.0  # the earlier events are only observed
        graph.invoke({"event": {"time": T0 + 30 * i, "text": text}}, config, context=ctx)
    ctx.need_threshold = 0.0
    last = {"time": T0 + 30 * (len(events) - 1), "text": events[-1]}
    out = graph.invoke({"event": last}, config, context=ctx)
    assert "__interrupt__" in out, "a proposal waits for the person"
    answer = {"answer": "edit", "task": task} if task else {"answer": "accept"}
    out = graph.invoke(Command(resume=answer), config, context=ctx)
    assert out["status"] == "executed", out.get("errors")
    execution = out["executions"][-1]
    changed = {
        p.relative_to(workspace).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(workspace.rglob("*"))
        if p.is_file() and p.relative_to(workspace).as_posix() not in before
    }
    reminders_text = changed.pop("reminders.jsonl", "")
    reminders = [json.loads(line) for line in reminders_text.splitlines() if line.strip()]
    parts = [*changed.values(), *(r["text"] for r in reminders), execution.summary]
    result = "\n".join(parts)
    after = {p.relative_to(workspace).as_posix(): p.read_text() for p in workspace.rglob("*.*")}
    evidence = Evidence(
        source_files=files,
        existing=line_counts(after),
        texts=[*events, execution.task, *(c.output for c in execution.calls if c.ok)],
        root=str(workspace),
    )
    return Done(execution, result, workspace, reminders, ungrounded(result, evidence))


def note_body(done: Done) -> list[str]:
    """The lines of the note the executor wrote, below its heading and date."""
    lines = (done.workspace / "assistant-notes.md").read_text().splitlines()
    return [line for line in lines[2:] if line.strip()]


INVOICE = """import csv


def parse_totals(path):
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        return [float(row["total"]) for row in rows]
"""


def test_a_key_error_is_located_and_explained_by_the_csv_header(tmp_path: Path) -> None:
    done = carry_out(
        tmp_path,
        {"invoice_parser.py": INVOICE, "samples/march.csv": "Date,Customer,Total\n1,Acme,2\n"},
        [
            "The user opens the file 'invoice_parser.py' in Visual Studio Code.",
            "The user runs 'python invoice_parser.py samples/march.csv' in the terminal.",
            "The terminal shows the error \"KeyError: 'total'\" raised in 'invoice_parser.py' "
            "line 7.",
        ],
        task="Diagnose the error \"KeyError: 'total'\" in 'invoice_parser.py' and propose a fix.",
    )
    body = note_body(done)
    # The first line is the finding: the file, the line, the code there.
    assert body[0] == '`invoice_parser.py` line 7: return [float(row["total"]) for row in rows]'
    assert "'Total'" in done.result and "samples/march.csv" in done.result
    assert 'return [float(row["Total"]) for row in rows]' in done.result  # the concrete fix
    assert [c.tool for c in done.execution.calls][:1] == ["locate_error"]
    assert any(c.tool == "check_data_file" and c.ok for c in done.execution.calls)
    assert done.execution.kind == "fix_error"
    assert "Task:" not in done.result and "What you were doing" not in done.result
    assert done.unfounded == []


def test_an_edited_outline_task_has_exactly_the_sections_it_names(tmp_path: Path) -> None:
    done = carry_out(
        tmp_path,
        {},
        [
            "The user opens Google Docs and creates a document named 'Community Solar Grant'.",
            "The user types the heading 'Community Solar Grant' and pauses.",
        ],
        task="Write a one-page outline for 'Community Solar Grant' with sections for need, "
        "impact, budget and timeline.",
    )
    [draft] = list((done.workspace / "drafts").glob("*.md"))
    text = draft.read_text()
    assert text.startswith("# Community Solar Grant")
    headings = [line[3:].lower() for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["need", "impact", "budget", "timeline"]
    assert done.execution.kind == "draft_text"  # read again from the edited text
    assert draft.relative_to(done.workspace).as_posix() in done.execution.summary
    assert "http" not in done.result and done.unfounded == []


def test_a_python_api_lookup_quotes_the_installed_documentation(tmp_path: Path) -> None:
    done = carry_out(
        tmp_path,
        {"report.py": 'import csv\nrows = csv.DictReader(open("data.csv"))\n'},
        [
            "The user types 'rows = csv.DictReader(open(\"data.csv\"))' in 'report.py'.",
            "The user switches to Google Chrome and searches for "
            "'python csv DictReader fieldnames restval'.",
        ],
        task="Look up 'python csv DictReader fieldnames restval' in the documentation installed "
        "here and quote the relevant part.",
    )
    body = note_body(done)
    assert body[0].startswith("csv.DictReader")  # the doc text first, not the events
    assert "fieldnames" in done.result and "restval" in done.result
    assert 'report.py:2: rows = csv.DictReader(open("data.csv"))' in done.result  # its use
    assert any(c.tool == "python_docs" and c.ok for c in done.execution.calls)
    assert done.unfounded == []


def test_a_review_reports_what_ruff_finds(tmp_path: Path) -> None:
    code = "import os\nimport json\n\n\ndef load(path):\n    return json.load(open(path))\n"
    done = carry_out(
        tmp_path,
        {"app/utils.py": code},
        ["The user opens 'app/utils.py' in Visual Studio Code.", "The user edits 'utils.py'."],
        task="Review 'app/utils.py' before the pull request.",
    )
    body = note_body(done)
    assert body[0].startswith("ruff finds")
    assert "app/utils.py:1:8: F401" in done.result
    assert any(c.tool == "module_outline" for c in done.execution.calls)
    assert done.execution.kind == "review" and done.unfounded == []


def test_an_error_in_a_file_outside_the_project_is_said_plainly(tmp_path: Path) -> None:
    done = carry_out(
        tmp_path,
        {"main.py": "print('hello')\n"},
        [
            "The user runs 'python main.py' in the terminal.",
            'The terminal shows \'Traceback: File "lib/missing.py", line 12, in run: '
            "ZeroDivisionError: division by zero'.",
        ],
        task="Diagnose the ZeroDivisionError and propose a fix.",
    )
    assert "I could not find where this error happens" in done.result
    assert "lib/missing.py" in done.result  # the tool's plain reason names it
    assert "line 12:" not in done.result  # no code line is made up for a file that is not there
    assert done.unfounded == []


def test_a_reminder_is_set_at_the_time_the_events_give(tmp_path: Path) -> None:
    done = carry_out(
        tmp_path,
        {},
        [
            "The user opens Outlook and reads that the budget report is due today.",
            "The user opens 'budget.xlsx' in Excel.",
        ],
        task="Remind me to send the budget report at 4 pm.",
    )
    [reminder] = done.reminders
    assert reminder["when"] == "2026-01-01T16:00"
    assert "send the budget report" in reminder["text"].lower()
    assert done.execution.kind == "organise"


def test_organising_a_document_groups_its_items_as_the_task_asks(tmp_path: Path) -> None:
    notes = (
        "# Retro\n\nThe mood was good.\nAction: Priya renews the certificate.\n"
        "Action: Tom splits the deploy job.\nAction: Priya writes the handover.\n"
    )
    done = carry_out(
        tmp_path,
        {"notes/retro.md": notes},
        ["The user opens 'notes/retro.md' after the retrospective."],
        task="Organise the action items in 'notes/retro.md' into a checklist grouped by owner.",
    )
    body = note_body(done)
    assert body[:4] == [
        "## Priya",
        "- [ ] Priya renews the certificate. (`notes/retro.md` line 4)",
        "- [ ] Priya writes the handover. (`notes/retro.md` line 6)",
        "## Tom",
    ]
    assert body[4] == "- [ ] Tom splits the deploy job. (`notes/retro.md` line 5)"
    assert "mood" not in done.result and done.unfounded == []


@pytest.mark.parametrize(
    ("task", "kind"),
    [
        (
            "Write release notes for version 2.4.0 with sections for new features and fixes.",
            "draft_text",
        ),
        ("Review 'mathx/stats.py' for problems before merging.", "review"),
        ("Remind me to call Ana tomorrow at 9:00.", "organise"),
        ("Diagnose the KeyError in 'a.py'.", "fix_error"),
        ("Summarise 'notes.md' in five bullets.", "summarise"),
        ("Look up in the docs which csv.writer options quote every field.", "lookup_docs"),
        ("Find in the documentation what pathlib.Path.glob returns.", "lookup_docs"),
        ("Find out why 'build.py' fails on the second run and fix it.", "fix_error"),
        ("Please reorganise 'tasks.md' with a heading per client.", "organise"),
        ("Add a column to 'hours.csv' and give me the subtotal per person.", "organise"),
        ("Can you proofread 'letter.md' before I send it?", "review"),
        ("Find every call of fetch() that passes no timeout.", "find_examples"),
    ],
)
def test_an_edit_is_carried_out_as_the_kind_its_words_ask_for(task: str, kind: str) -> None:
    from backends.local.task_subjects import kind_of_edit

    assert kind_of_edit(task, "explain") == kind
