"""Organising that writes the artefact asked for: a clean CSV with the asked columns (duplicates
merged on a normalised key, names and emails in one form, the earliest or latest date kept), a
Python file's imports in PEP 8 groups by ruff, a to-do list in deadline order with its dates read
in many shapes and written in the asked format, and raw notes sorted into the empty headings of a
document the person set up. The tools run as both planners call them (`build_tools` +
`ToolRunner`), and the plans through the real `proactive bench help` command."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.help_bench import bench_all_pass, call

MEMBERS = """\
player,email,phone,joined
"Silva, Rui",rui.silva@club.test,,2025-03-02
nora berg,NORA.BERG@club.test,0700 111,2025-06-01
"Berg, Nora",nora.berg@club.test,,2024-12-24
Rui Silva,Rui.Silva@Club.test,0700 222,2025-01-05
"Adeyemi, Tolu",tolu@club.test,0700 333,2023-09-09
"""

MODULE = """\
from .store import load
import requests
import os, sys
from dataclasses import dataclass
import attr


@dataclass
class Job:
    name: str


def run():
    return requests.get(os.environ["URL"]), load()
"""

TODO = """\
# Week
- [ ] Lab: order pipettes (by 12/06)
- [ ] pay rent June 1
- [ ] Lab: write the protocol before I order pipettes
- [ ] Home: fix the tap — Wed 3 June
- [ ] call the bank, no date yet
"""

RAW = """\
team sync 2026-06-02: Ada, Ben
we agreed to move the launch to July
Ben will update the press kit by 9 June
is the budget signed off? nobody knows
the office plants need water
"""

TEMPLATE = """\
# Team sync, 2 June 2026

## Decisions

## Action items

## Open questions
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "jobs.py").write_text(MODULE, encoding="utf-8")
    (root / "todo.md").write_text(TODO, encoding="utf-8")
    (root / "raw.md").write_text(RAW, encoding="utf-8")
    (root / "sync.md").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "outside.md").write_text(TEMPLATE, encoding="utf-8")
    (root / "link.md").symlink_to(tmp_path / "outside.md")
    return root


def table(report: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(report.rsplit("\n\n", 1)[1])))


# --- a clean table from a messy one -------------------------------------------------------------


def test_duplicates_merge_on_a_normalised_email_into_the_asked_columns(project: Path) -> None:
    out = call(
        project,
        "merge_duplicates",
        path="members.csv",
        key="email",
        sort_by="surname",
        columns=["player", "email", "joined"],
        names_first=True,
        dates="earliest",
    )
    rows = table(out)
    assert rows[0] == ["player", "email", "joined"]
    # 'player' holds names though its header does not say so; the surname orders the rows.
    assert rows[1:] == [
        ["Tolu Adeyemi", "tolu@club.test", "2023-09-09"],
        ["Nora Berg", "nora.berg@club.test", "2024-12-24"],
        ["Rui Silva", "rui.silva@club.test", "2025-01-05"],
    ]
    assert "the earliest joined kept" in out


def test_a_merge_keeps_the_latest_date_and_any_phone_when_asked(project: Path) -> None:
    rows = table(call(project, "merge_duplicates", path="members.csv", dates="latest"))
    by_email = {r[1].lower(): r for r in rows[1:]}
    # Not asked to normalise: the fullest row's own spelling stays.
    assert by_email["nora.berg@club.test"][:2] == ["nora berg", "NORA.BERG@club.test"]
    assert by_email["rui.silva@club.test"][2:] == ["0700 222", "2025-03-02"]
    assert by_email["nora.berg@club.test"][2:] == ["0700 111", "2025-06-01"]


def test_a_merge_on_a_missing_column_names_it(project: Path) -> None:
    out = call(project, "merge_duplicates", path="members.csv", key="passport")
    assert out.startswith("Error: members.csv has no 'passport'")


def test_repeated_list_lines_are_dropped_in_place_blank_lines_kept(project: Path) -> None:
    (project / "guests.md").write_text(
        "# Guests\n\n- Ana Gomez\n- Ben Ode\n- gomez, ana\n\n- Carla Dunn\n- ben  ode.\n",
        encoding="utf-8",
    )
    said, _, body = call(project, "dedupe_lines", path="guests.md").partition("\n\n")
    assert "line 5 repeats line 3 (gomez, ana); line 8 repeats line 4 (ben  ode.)" in said
    assert body == "# Guests\n\n- Ana Gomez\n- Ben Ode\n\n- Carla Dunn"


def test_a_new_table_keeps_only_the_asked_columns_or_names_the_missing_one(
    project: Path,
) -> None:
    out = call(project, "pick_columns", path="members.csv", columns=["email", "player"])
    assert table(out)[0] == ["email", "player"] and len(table(out)) == 6
    out = call(project, "pick_columns", path="members.csv", columns=["email", "shoe size"])
    assert out.startswith("Error: members.csv has no column 'shoe size'")


# --- imports in PEP 8 groups ---------------------------------------------------------------------


def test_imports_are_grouped_sorted_and_the_unused_dropped_without_touching_the_file(
    project: Path,
) -> None:
    out = call(project, "tidy_imports", path="app/jobs.py")
    said, _, text = out.partition("\n\n")
    assert "`sys`" in said and "`attr`" in said
    assert text.startswith(
        "import os\nfrom dataclasses import dataclass\n\nimport requests\n\n"
        "from .store import load\n"
    )
    assert "def run():\n    return requests.get" in text
    assert (project / "app" / "jobs.py").read_text(encoding="utf-8") == MODULE


def test_unused_imports_stay_unless_asked_and_only_python_files_are_sorted(
    project: Path,
) -> None:
    text = call(project, "tidy_imports", path="app/jobs.py", remove_unused=False)
    assert "import attr\nimport requests\n" in text and "import sys\n" in text
    assert call(project, "tidy_imports", path="todo.md").startswith("Error: tidy_imports sorts")
    (project / "broken.py").write_text("import sys\nimport os\ndef f(:\n    pass\n")
    out = call(project, "tidy_imports", path="broken.py")
    assert out.startswith("Error: broken.py does not parse as Python (line 3:"), out


# --- a list in deadline order --------------------------------------------------------------------


def test_a_list_is_sorted_by_deadline_in_the_asked_format_with_tags(project: Path) -> None:
    out = call(
        project,
        "sort_by_deadline",
        path="todo.md",
        year=2026,
        fmt="DD.MM.YYYY",
        tags=["Lab", "Home", "Errand"],
    )
    said, _, body = out.partition("\n\n")
    assert body.splitlines() == [
        "# Week",
        "",
        "- [ ] 01.06.2026 [Errand] pay rent",
        "- [ ] 03.06.2026 [Home] fix the tap",
        # No date of its own, but it comes before the pipettes: placed just ahead of them.
        "- [ ] 12.06.2026 [Lab] write the protocol before I order pipettes",
        "- [ ] 12.06.2026 [Lab] order pipettes",
        "- [ ] no deadline [Errand] call the bank, no date yet",
    ]
    assert "1 without a deadline last" in said


def test_short_dates_written_month_first_are_read_so(project: Path) -> None:
    (project / "us.md").write_text(
        "- taxes due 04/15\n- passport 03/30\n- dentist 04/02\n", encoding="utf-8"
    )
    body = call(project, "sort_by_deadline", path="us.md", year=2027).partition("\n\n")[2]
    assert body.splitlines() == [
        "- 2027-03-30 passport",
        "- 2027-04-02 dentist",
        "- 2027-04-15 taxes",
    ]


def test_a_plain_list_without_bullets_stays_plain(project: Path) -> None:
    (project / "jobs.txt").write_text(
        "paint the fence 20 July\nmow the lawn by 2 July\n", encoding="utf-8"
    )
    body = call(project, "sort_by_deadline", path="jobs.txt", year=2026, fmt="D Month YYYY")
    assert body.partition("\n\n")[2].splitlines() == [
        "2 July 2026 mow the lawn",
        "20 July 2026 paint the fence",
    ]


def test_priorities_marked_in_different_ways_order_the_list(project: Path) -> None:
    (project / "pri.md").write_text(
        "- fix login P2\n- (A) ship hotfix\n- docs, low priority\n- refactor\n- keys urgent\n",
        encoding="utf-8",
    )
    body = call(project, "sort_by_priority", path="pri.md").partition("\n\n")[2]
    assert body.splitlines() == [
        "- (A) ship hotfix",
        "- keys urgent",
        "- fix login P2",
        "- docs, low priority",
        "- refactor",
    ]
    out = call(project, "sort_by_priority", path="todo.md")
    assert out == "Error: no item of todo.md marks a priority ('(A)', 'P1', 'high', 'urgent')"


def test_a_document_without_items_is_refused_plainly(project: Path) -> None:
    out = call(project, "sort_by_deadline", path="raw.md")
    assert out.startswith("Error: raw.md holds fewer than two list items")


# --- raw notes into a template -------------------------------------------------------------------


def test_raw_notes_fill_the_templates_headings_and_nothing_is_lost(project: Path) -> None:
    out = call(project, "fill_template", path="sync.md", notes_path="raw.md")
    body = out.partition("\n\n")[2]
    decisions = body.split("## Decisions")[1].split("## Action items")[0]
    actions = body.split("## Action items")[1].split("## Open questions")[0]
    questions = body.split("## Open questions")[1].split("## Other notes")[0]
    assert decisions.strip() == "- we agreed to move the launch to July"
    assert "Ben will update the press kit by 9 June (owner: Ben; due Tue 9 Jun 2026)" in actions
    assert questions.strip() == "- is the budget signed off? nobody knows"
    assert "- the office plants need water" in body.split("## Other notes")[1]
    assert body.startswith("# Team sync, 2 June 2026\n")


def test_labels_ending_in_a_colon_are_headings_too(project: Path) -> None:
    (project / "plain.txt").write_text("Decisions:\n\nActions:\n\nQuestions:\n", encoding="utf-8")
    body = call(project, "fill_template", path="plain.txt", notes_path="raw.md")
    assert "Decisions:\n- we agreed to move the launch to July\n" in body
    assert "Actions:\n- Ben will update the press kit by 9 June" in body
    assert "Questions:\n- is the budget signed off? nobody knows\n" in body


def test_a_template_outside_the_project_is_refused(project: Path) -> None:
    out = call(project, "fill_template", path="link.md", notes_path="raw.md")
    assert out.startswith("Error:") and "outside" in out.lower()


# --- through the real command --------------------------------------------------------------------

SHIPPED = (
    "organise-volunteers-clean-file",
    "organise-clinic-patients-by-phone",
    "organise-imports-pep8-groups",
    "organise-imports-drop-unused",
    "organise-errands-by-due-date",
    "organise-grant-deadlines-checklist",
    "organise-retro-notes-into-template",
    "organise-board-minutes-section-from-notes",
    "organise-plain-jobs-reorder",
    "organise-kickoff-label-template",
    "organise-fix-import-order",
    "organise-guest-list-repeats",
    "organise-sprint-by-priority",
    "organise-mailing-columns-file",
)


def test_the_organise_cases_pass_grounded_through_the_bench(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shipped = ROOT / "bench" / "help_cases"
    for case in SHIPPED:
        (cases / f"{case}.yaml").write_text(
            (shipped / f"{case}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    report = bench_all_pass(cases)
    written = {c["id"]: c["result"] for c in report["cases"]}
    # The file the task names is written; the person's export stays as it was.
    assert "--- fete/volunteers.csv ---" in written["organise-volunteers-clean-file"]
    assert "--- fete/signups.csv ---" not in written["organise-volunteers-clean-file"]
    # Sorting imports only reorders them: the file itself is updated.
    assert "--- tools/rename_photos.py ---" in written["organise-imports-drop-unused"]
    # A task that says "rewrite" gets the file rewritten; one that does not gets a draft.
    assert "--- errands.md ---" in written["organise-errands-by-due-date"]
    assert "--- drafts/steps.md ---" in written["organise-grant-deadlines-checklist"]
    assert report["summary"]["seconds_per_task"]["median"] < 0.2
