"""Reading what is asked: the kind of an edited task from how people phrase it (a documentation
source named before a why/how, "find and fix what stops X from loading", a data file made of the
material re-arranged), and the drafter's cues for needs shown, not said (a question typed as a
comment beside code, 'check?' typed beside a total, a half-written message announcing a
summary, a new page laid out with a meeting's headings, a question a colleague asks, a reply or
an email started, a text about to be sent, a release prepared, a new event or column). The
project's route-* cases run through the real `proactive bench help` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.local.cues import cue_draft, heading_typed
from backends.local.task_subjects import kind_of_edit
from graphs.state import Event
from tests.help_bench import bench_all_pass
from tools import ToolRunner, build_tools

ROOT = Path(__file__).resolve().parents[1]


def _events(*texts: str) -> list[Event]:
    return [Event(time=1767261600.0 + 30 * i, text=t) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    "task",
    [
        "Using the installed Python's logging documentation, explain why the DEBUG line never "
        "appears and name the argument that raises an error.",
        "Using the installed Python's own documentation for subprocess.run, explain how to make "
        "`convert()` give up after 60 seconds and raise an error.",
        "Going by the stdlib's shutil docs, explain why copies lose their dates.",
        "According to the pydoc of textwrap.wrap, why are long words split?",
        "Based on the Python documentation for re.sub, explain how a function replacement works.",
    ],
)
def test_a_documentation_source_named_first_makes_a_docs_look_up(task: str) -> None:
    assert kind_of_edit(task, "review") == "lookup_docs"


@pytest.mark.parametrize(
    "task",
    [
        "Find and fix what stops 'config/settings.json' from loading.",
        "Track down and repair whatever breaks 'app.toml'.",
        "Figure out what's stopping the build from running.",
        "What is keeping 'pipeline.yaml' from loading?",
        "Why does 'data.json' fail to parse?",
        "Work out why 'app.yaml' won't load and fix it.",
    ],
)
def test_something_that_will_not_load_is_a_fix(task: str) -> None:
    assert kind_of_edit(task, "find_examples") == "fix_error"


@pytest.mark.parametrize(
    "task",
    [
        "Create 'club/clean.csv' with columns name,email,phone: one row per person, emails in "
        "lower case, sorted by last name.",
        "Write 'contacts.csv' with duplicates removed, ordered by surname.",
        "Make 'out.csv' listing each customer once, sorted by spend.",
        "Create a clean list of attendees, one line per person, alphabetical.",
    ],
)
def test_a_file_made_of_the_material_rearranged_is_organising(task: str) -> None:
    assert kind_of_edit(task, "draft_text") == "organise"


@pytest.mark.parametrize(
    ("task", "kind"),
    [
        ("Write 'report.md' with sections for need, impact and budget.", "draft_text"),
        ("Write an email to Ruth listing the dates in order.", "draft_text"),
        ("Find every call of open( without encoding=", "find_examples"),
        ("Explain why 'data.json' fails to parse.", "explain"),
        ("Look up in the Python docs what json.dumps does with ensure_ascii.", "lookup_docs"),
        ("Summarise the errors in 'app.log' per endpoint.", "summarise"),
    ],
)
def test_other_phrasings_keep_their_kind(task: str, kind: str) -> None:
    assert kind_of_edit(task, "other") == kind


def test_a_question_typed_as_a_comment_beside_code_asks_for_it_explained() -> None:
    typed = (
        "The user selects the line 'def add_item(name, basket=[]):' and types a comment above it "
        "that reads '# why is the old item still there?'."
    )
    assert heading_typed(typed) is None  # a '#' comment in code is no heading
    draft = cue_draft(_events("The user opens 'shop/cart.py' in PyCharm and runs it.", typed))
    assert draft is not None and draft.kind == "explain"
    assert "'add_item' in 'shop/cart.py'" in draft.task
    assert "why is the old item still there?" in draft.task
    # A question with no code at hand is no cue for code.
    assert cue_draft(_events("The user types 'why is the sky blue?' into a note.")) is None


def test_a_check_typed_beside_figures_asks_for_them_reviewed() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'trip/costs.csv' in Numbers.",
            "The user reads 'trip/allowance.md' in the browser.",
            "The user types 'right?' in the cell next to the total.",
        )
    )
    assert draft is not None and draft.kind == "review"
    assert "'trip/costs.csv' against 'trip/allowance.md'" in draft.task
    # Without a data file on screen, a typed 'check?' names nothing to review.
    assert cue_draft(_events("The user types 'check?' into the chat.")) is None


def test_a_half_written_message_announcing_a_summary_asks_for_the_data_summarised() -> None:
    opened = "The user opens 'farm/yields_2026.csv' in Excel."
    draft = cue_draft(
        _events(
            opened,
            "The user starts a new email to the co-op members.",
            "The user types 'Hello all, here is the breakdown of yields by field:' and stops.",
        )
    )
    assert draft is not None and draft.kind == "summarise"
    assert draft.task.startswith("Summarise 'farm/yields_2026.csv' by field")
    # A finished message that only mentions numbers is not an unfinished summary.
    finished = "The user types 'Thanks for the numbers, see you Monday.' and sends the email."
    assert cue_draft(_events(opened, finished)) is None


def test_a_page_laid_out_with_a_meetings_headings_asks_for_the_notes_sorted() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'notes/raw.txt' in Notepad.",
            "The user creates 'notes/clean.md' with the headings Decisions, Action items and "
            "Open questions.",
            "The user clicks under '## Decisions' and waits.",
        )
    )
    assert draft is not None and draft.kind == "organise"
    assert "'notes/raw.txt' into 'notes/clean.md'" in draft.task
    assert "Decisions, Action items and Open questions" in draft.task
    # One heading typed into a new page after reading a source is still a section to draft.
    draft = cue_draft(
        _events(
            "The user opens 'notes/raw.txt' in Notepad.",
            "The user creates 'notes/letter.md' and types the heading '## Background'.",
        )
    )
    assert draft is not None and draft.kind == "draft_text"


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("where did we land with the printer quote?", "summarise"),
        ("what did we agree with the landlord?", "summarise"),
        ("Is the schedule consistent before we publish it?", "review"),
        ("are these totals right?", "review"),
        ("Which tenants are still behind on rent?", "find_examples"),
        ("can someone tell me when this job runs?", "explain"),
        ("The glossary must be alphabetical, no duplicates.", "organise"),
    ],
)
def test_a_question_someone_asks_about_the_files_at_hand_names_the_help(
    said: str, kind: str
) -> None:
    draft = cue_draft(
        _events(
            "The user opens 'office/records.csv' in Excel.",
            f"The manager messages on Slack: '{said}'",
        )
    )
    assert draft is not None and draft.kind == kind, draft
    assert "'office/records.csv'" in draft.task and said.rstrip(".") in draft.task


def test_a_remark_that_asks_nothing_is_no_cue() -> None:
    events = _events(
        "The user opens 'office/records.csv' in Excel.",
        "The manager messages on Slack: 'thanks, see you at lunch'",
    )
    assert cue_draft(events) is None


def test_a_reply_started_is_drafted_from_the_message_and_what_was_opened() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'inbox/supplier-delay.txt' in Outlook.",
            "The user opens 'stock.csv' and then 'contract.md'.",
            "The user clicks 'Reply' and the reply box opens empty.",
        )
    )
    assert draft is not None and draft.kind == "draft_text"
    assert draft.task.startswith("Draft a reply to the message in 'inbox/supplier-delay.txt'")
    assert "'stock.csv' and 'contract.md'" in draft.task  # in the order they were opened
    draft = cue_draft(
        _events(
            "The user opens 'notes/offsite.md' in Obsidian.",
            "The user starts a new email to Hana Sato with the subject 'Offsite dates'.",
        )
    )
    assert draft is not None
    assert (
        draft.task == "Draft the email to Hana Sato about 'Offsite dates' from 'notes/offsite.md'."
    )
    # Sent 'for approval', the figures are checked first.
    draft = cue_draft(
        _events(
            "The user finishes 'costs.csv' in Google Sheets.",
            "The user opens a new email to finance with the subject 'Costs for approval'.",
        )
    )
    assert draft is not None and draft.kind == "review" and "'costs.csv'" in draft.task


def test_a_section_placed_after_reading_a_log_summarises_the_log() -> None:
    draft = cue_draft(
        _events(
            "The user runs 'less var/cron.log' in a terminal.",
            "The user opens the weekly report in Confluence and places the cursor under the "
            "heading 'Failed jobs'.",
        )
    )
    assert draft is not None and draft.kind == "summarise"
    assert "'var/cron.log'" in draft.task and "'Failed jobs'" in draft.task


def test_a_text_about_to_be_sent_is_reviewed_against_the_document_beside_it() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'quote_reply.md' in the editor.",
            "The user opens 'price_list.md' beside it and hovers over 'Send'.",
        )
    )
    assert draft is not None and draft.kind == "review"
    assert draft.task.startswith("Review 'quote_reply.md' against 'price_list.md' before it is")


def test_a_release_prepared_with_a_log_at_hand_asks_for_its_notes() -> None:
    draft = cue_draft(
        _events(
            "The user runs 'git log --oneline > changes.txt' in the terminal.",
            "The user opens 'docs/notes-template.md'.",
            "The user opens a draft release on GitLab for the tag 'v3.1.0'.",
        )
    )
    assert draft is not None and draft.kind == "draft_text"
    assert draft.task == (
        "Draft the release notes for v3.1.0 from 'changes.txt', following 'docs/notes-template.md'."
    )
    # Talk of a release with no change log at hand is no cue.
    assert cue_draft(_events("The user reads the release calendar in Outlook.")) is None


def test_a_new_calendar_event_and_a_new_column_name_the_work_they_start() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'rota.md' in Obsidian.",
            "The user opens a new meeting invite titled 'Menu tasting' and leaves the time empty.",
        )
    )
    assert draft is not None and draft.kind == "draft_text"
    assert "'Menu tasting'" in draft.task and "'rota.md'" in draft.task
    draft = cue_draft(
        _events(
            "The user opens 'bank/july.csv' in Excel.",
            "The user reads 'bank/rules.md'.",
            "The user adds a column at the end and types the header 'Type'.",
        )
    )
    assert draft is not None and draft.kind == "organise"
    assert draft.task.startswith(
        "Add a 'Type' column to 'bank/july.csv' using the categories in 'bank/rules.md'"
    )


def test_a_comment_started_on_a_total_asks_for_the_figures_checked() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'club/fees.csv' in Google Sheets.",
            "The user types a comment on the 'Total' row but does not post it.",
        )
    )
    assert draft is not None and draft.kind == "review" and "'club/fees.csv'" in draft.task


def _call(root: Path, tool: str, **args: object) -> str:
    runner = ToolRunner(build_tools(root, project_root=root))
    return runner.call(tool, args).output


def test_actions_with_a_named_doer_or_the_note_takers_own_have_owner_and_due(
    tmp_path: Path,
) -> None:
    (tmp_path / "raw.txt").write_text(
        "choir meeting 2026-02-02\n"
        "agreed: spring concert stays at St Anne's\n"
        "Priya books the piano tuner by Friday 6 February\n"
        "I need to print the programmes before 20 February\n"
        "Priya sings the solo\n",
        encoding="utf-8",
    )
    out = _call(tmp_path, "digest_notes", path="raw.txt")
    actions = out.split("Action items:", 1)[1].split("\n\n", 1)[0]
    assert "piano tuner" in actions and "owner: Priya" in actions and "6 Feb 2026" in actions
    assert "programmes" in actions and "owner: me" in actions and "20 Feb 2026" in actions
    assert "solo" not in actions  # a named person doing something with no deadline: not a task


def test_a_mutable_default_changed_by_item_assignment_is_found(tmp_path: Path) -> None:
    (tmp_path / "tally.py").write_text(
        "def count(word, seen={}):\n"
        "    seen[word] = seen.get(word, 0) + 1\n"
        "    return seen\n\n\n"
        "def fresh(word, seen=None):\n"
        "    seen = {} if seen is None else seen\n"
        "    seen[word] = 1\n"
        "    return seen\n",
        encoding="utf-8",
    )
    out = _call(tmp_path, "check_python", path="tally.py")
    assert "line 2" in out or "tally.py:2" in out, out
    assert "`seen=None`" in out and "created once" in out
    assert "line 8" not in out and "tally.py:8" not in out  # the None default is fine


def test_the_route_cases_pass_through_the_real_command(tmp_path: Path) -> None:
    shipped = sorted((ROOT / "bench" / "help_cases").glob("route-*.yaml"))
    assert len(shipped) >= 13
    cases = tmp_path / "cases"
    cases.mkdir()
    for case in shipped:
        (cases / case.name).write_text(case.read_text(encoding="utf-8"), encoding="utf-8")
    report = bench_all_pass(cases)
    results = {c["id"]: c["result"] for c in report["cases"]}
    # The sorted table is written to the file the task names, not to the drafts.
    assert "--- library/loans_by_due.csv ---" in results["route-organise-created-csv-sorted"]
