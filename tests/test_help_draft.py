"""Drafts built from the person's real material: a README from a script's own command line, a
reply that takes the offered time the calendar leaves free and answers from the person's files,
and a plan filled with the facts of their notes (options ruled out left out, rates multiplied
out against the cap). The tools run as both planners call them (`build_tools` + `ToolRunner`);
the plans run through the real `proactive bench help` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive
from tests.help_bench import call

SCRIPT = '''\
"""Rename photos by the date they were taken."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description="Rename photos by date.")
    parser.add_argument("folder", help="folder of photos")
    parser.add_argument("--pattern", default="%Y-%m-%d", help="date format of the new names")
    parser.add_argument("--mode", choices=["copy", "move"], required=True, help="copy or move")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    parser.add_argument("--log", help="write a log here")
    args = parser.parse_args(argv)
    if args.log:
        with open(args.log, "w") as f:
            f.write("done")
    sys.stdout.write("renamed\\n")
'''

THREAD = """\
From: Jo Park <jo@example.org>
To: Kim Lee
Subject: Re: Garden design
Date: Fri, 6 Mar 2026 09:00

Great, I will draw it up.

From: Jo Park <jo@example.org>
To: Kim Lee
Subject: Garden design
Date: Mon, 2 Mar 2026 10:00

Hi Kim, could we meet for an hour? I am free Tuesday at 09:30 or Wednesday 4 March at 14:00.
"""

CALENDAR = """\
# Kim, March 2026
- Tue 3 Mar
  - 09:00-11:00 site visit
- Wed 4 Mar: 16:00-17:00 dentist
- Thu 5 Mar: all day, away
"""

NOTES = """\
# Choir trip

We are 18 singers. Trip: 10-12 July 2026.
Budget cap: £3,000.

Hotels we looked at:
- Harbour Inn: £55 per person per night, by the station.
- Grand Plaza: £120 per person per night, too expensive.

Coach: £400 return.
Tickets: we sell concert tickets at £8.
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "rename.py").write_text(SCRIPT, encoding="utf-8")
    (root / "mail.txt").write_text(THREAD, encoding="utf-8")
    (root / "calendar.md").write_text(CALENDAR, encoding="utf-8")
    (root / "trip.md").write_text(NOTES, encoding="utf-8")
    (root / "broken.py").write_text("def (:\n", encoding="utf-8")
    (root / "blob.py").write_bytes(b"\x00\x01binary")
    (tmp_path / "secret.md").write_text("Budget cap: £1 password hunter2\n", encoding="utf-8")
    (root / "link.md").symlink_to(tmp_path / "secret.md")
    return root


# --- script_interface ------------------------------------------------------------------------


def test_a_scripts_options_come_from_its_argparse_calls(project: Path) -> None:
    out = call(project, "script_interface", path="tools/rename.py")
    assert "module docstring: Rename photos by the date they were taken." in out
    assert (
        "usage: python tools/rename.py [--pattern PATTERN] --mode MODE [-q] [--log LOG] folder"
        in (out)
    )
    assert "line 8: folder (positional): folder of photos" in out
    assert "--mode MODE (option; choices=['copy', 'move']; required=True)" in out
    assert "-q, --quiet (flag; action=store_true): print nothing" in out
    assert "writes to the file given by --log, line 15" in out
    assert "writes to standard output (stdout), line 17" in out


def test_a_click_command_and_its_pyproject_entry_point(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.scripts]\nshow-it = "show:main"\n', encoding="utf-8"
    )
    (project / "show.py").write_text(
        "import click\n\n@click.command()\n@click.argument('path')\n"
        "@click.option('--lines', type=int, default=10, help='How many.')\n"
        "@click.option('--raw', is_flag=True)\ndef main(path, lines, raw):\n    click.echo(path)\n",
        encoding="utf-8",
    )
    out = call(project, "script_interface", path="show.py")
    assert "command line read with click" in out
    assert "--lines LINES (option; default=10; type=int): How many." in out
    assert "--raw (flag; action=store_true)" in out
    assert "entry point in pyproject.toml: show-it = show:main" in out


# --- read_message and free_slots ----------------------------------------------------------------


def test_the_latest_message_by_date_with_its_asks_length_and_offered_times(
    project: Path,
) -> None:
    out = call(project, "read_message", path="mail.txt")
    # The newest message (6 March) is the first in the file: dates decide, not the order.
    assert out.startswith("mail.txt lines 1-7: the latest of 2 message(s)")
    assert "subject: Re: Garden design (line 3)" in out and "asks" not in out
    (project / "ask.txt").write_text(THREAD.split("\n\n", 2)[2], encoding="utf-8")
    out = call(project, "read_message", path="ask.txt")
    assert "sender's name: Jo" in out and "line 6: asks: could we meet for an hour?" in out
    assert "duration asked: 60 minutes ('an hour', line 6)" in out
    # "Tuesday" alone is the first Tuesday after the message's date.
    assert "time offered: 2026-03-03 09:30 ('Tuesday at 09:30', line 6)" in out
    assert "time offered: 2026-03-04 14:00 ('Wednesday 4 March at 14:00', line 6)" in out


def test_offered_times_are_checked_against_the_calendars_busy_lines(project: Path) -> None:
    out = call(
        project,
        "free_slots",
        path="calendar.md",
        minutes=60,
        times="2026-03-03 09:30; 2026-03-04 14:00; 2026-03-05 10:00; 2026-03-09 10:00",
    )
    # A day heading with its busy times on the lines under it.
    assert "2026-03-03 09:30-10:30: clashes with line 3: - 09:00-11:00 site visit" in out
    assert "2026-03-04 14:00-15:00: free" in out
    assert "2026-03-05 10:00-11:00: clashes with line 5" in out
    assert "2026-03-09 10:00-11:00: the calendar does not list this day" in out
    windows = call(project, "free_slots", path="calendar.md", minutes=60)
    assert "2026-03-04: free 09:00-16:00" in windows
    assert "2026-03-05: free" not in windows


# --- note_facts --------------------------------------------------------------------------------


def test_notes_give_an_estimate_without_the_ruled_out_option_or_prices(project: Path) -> None:
    out = call(project, "note_facts", path="trip.md")
    assert "line 3: people: 18" in out and "3 days, 2 nights" in out
    assert "line 8: ruled out: Grand Plaza" in out
    assert "line 7: leading option: Harbour Inn (the only option not ruled out)" in out
    assert "Harbour Inn: £55 per person per night × 18 people × 2 nights = £1,980" in out
    assert "estimate: Coach: £400 (line 10)" in out and "estimate: total £2,380" in out
    assert "£2,380 is within the budget cap of £3,000 (line 4), £620 to spare" in out
    assert "£120 per person" not in out.split("estimate:", 1)[1]
    assert "£8" not in out.split("estimate:", 1)[1]  # a price charged is not a cost


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "args", "said"),
    [
        ("script_interface", {"path": "trip.md"}, "is not a Python script"),
        ("script_interface", {"path": "broken.py"}, "does not parse as Python (line 1)"),
        ("script_interface", {"path": "blob.py"}, "binary"),
        ("read_message", {"path": "../secret.md"}, "outside the project root"),
        ("free_slots", {"path": "calendar.md", "times": "next tuesday"}, "YYYY-MM-DD HH:MM"),
        ("note_facts", {"path": "link.md"}, "outside the project root"),
        ("note_facts", {"path": "missing.md"}, "does not exist"),
    ],
)
def test_bad_input_is_one_plain_line(project: Path, tool: str, args: dict, said: str) -> None:
    out = call(project, tool, **args)
    assert out.startswith("Error:") and said in out, out
    assert "Traceback" not in out and "hunter2" not in out and "\n" not in out.strip()


def test_an_outline_takes_section_bodies_and_keeps_prompts_elsewhere(tmp_path: Path) -> None:
    out = call(
        tmp_path,
        "write_outline",
        title="Choir trip",
        sections=["Budget", "Risks"],
        bodies={"budget": "- Coach: £400 (`trip.md` line 10)"},
    )
    text = (tmp_path / "drafts" / "choir-trip.md").read_text(encoding="utf-8")
    assert "## Budget\n- Coach: £400 (`trip.md` line 10)\n" in text
    assert "## Risks\n- What could go wrong with Choir trip?" in text
    assert out.startswith("Outline written to drafts/choir-trip.md")


# --- the plans, through the real command ---------------------------------------------------------

OWN_CASES = sorted((ROOT / "bench" / "help_cases").glob("draft-*.yaml"))


def run_bench(cases: Path) -> dict:
    done = proactive("bench", "help", "--cases", str(cases), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def draft_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("draft-cases")
    for case in OWN_CASES:
        shutil.copy(case, folder / case.name)
    return {case["id"]: case for case in run_bench(folder)["cases"]}


def test_every_draft_case_passes_and_is_grounded(draft_results: dict[str, dict]) -> None:
    assert len(draft_results) >= 10
    failed = {k: v["failures"] for k, v in draft_results.items() if not v["passed"]}
    assert not failed
    assert all(case["grounded"] for case in draft_results.values())


def test_a_readme_lists_exactly_the_options_the_script_declares(
    draft_results: dict[str, dict],
) -> None:
    result = draft_results["draft-readme-log-filter"]["result"]
    flags = sorted(set(__import__("re").findall(r"(?<![\w-])--[a-z][\w-]*", result)))
    assert flags == ["--count-only", "--level", "--limit", "--since"]
    tools = [call["tool"] for call in draft_results["draft-readme-log-filter"]["calls"]]
    assert "script_interface" in tools


def test_a_reply_never_accepts_a_time_the_calendar_shows_busy(
    draft_results: dict[str, dict],
) -> None:
    plumber = draft_results["draft-reply-plumber-visit"]["result"]
    reply = plumber.split("\n---\n")[0]
    assert "Wednesday 11 March at 13:00 works for me for the 2-hour service" in reply
    assert "Monday 9 March at 08:00 clashes with home/calendar.md line 5" in plumber
    tutor = draft_results["draft-reply-no-free-slot"]["result"]
    assert "works for me" not in tutor and "None of the times you offered is free" in tutor


# --- release notes, a shared free hour, an order claim priced ------------------------------------

LOG = """\
git log --oneline v1.0.0..HEAD
1a2b3c4 feat(cli): add --json output
2b3c4d5 fix: crash on an empty config
3c4d5e6 chore(deps): bump click from 8.1.0 to 8.1.7
4d5e6f7 feat!: rename the config file to app.toml
5e6f7a8 Improve start-up time
6f7a8b9 Update docs for the new flag
7a8b9c0 Fix typo in error message
"""

HOURS = """\
# Week of Monday 6 July 2026 (UTC)
Need: 45 minutes with Ana and Ben.
Ana: Mon 09:00-10:00, Wed 14:00-16:00
Ben: Mon 09:30-10:00, Wed 15:00-17:00
"""

BUSY = """\
# Busy times, 2026-07-06
Ana: 2026-07-06 09:00-12:00, 2026-07-06 13:00-17:00
Ben: 2026-07-06 12:00-13:00
"""


def test_a_commit_log_is_grouped_and_chores_are_left_out_by_hash(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text(LOG, encoding="utf-8")
    out = call(tmp_path, "release_notes", path="log.txt")
    assert out.splitlines() == [
        "log.txt: 7 commits",
        "Breaking changes: 1",
        "line 5: Rename the config file to app.toml (4d5e6f7)",
        "New features: 2",
        "line 2: cli: Add --json output (1a2b3c4)",
        "line 6: Improve start-up time (5e6f7a8)",
        "Bug fixes: 2",
        "line 3: Crash on an empty config (2b3c4d5)",
        "line 8: Fix typo in error message (7a8b9c0)",
        "Left out (chores, docs, tests, refactors, merges): 2",
        "line 4: 3c4d5e6 chore: bump click from 8.1.0 to 8.1.7",
        "line 7: 6f7a8b9 update: Update docs for the new flag",
    ]
    (tmp_path / "notes.md").write_text("# Plans\n- Ship it soon.\n", encoding="utf-8")
    assert "no commit lines" in call(tmp_path, "release_notes", path="notes.md")
    assert call(tmp_path, "release_notes", path="../log.txt").startswith("Error:")


def test_the_common_window_of_available_and_of_busy_hours(tmp_path: Path) -> None:
    (tmp_path / "hours.md").write_text(HOURS, encoding="utf-8")
    out = call(tmp_path, "common_slots", path="hours.md")
    assert "meeting length 45 minutes (UTC)" in out.splitlines()[0]
    assert "2026-07-08 Wednesday 8 July 2026: 15:00-15:45 (all free 15:00-16:00)" in out
    assert "2026-07-06" not in out  # Monday's shared half hour is too short
    (tmp_path / "busy.md").write_text(BUSY, encoding="utf-8")
    busy = call(tmp_path, "common_slots", path="busy.md", minutes=30)
    assert "busy times" in busy and "No time when all of Ana, Ben are free" in busy
    (tmp_path / "plain.md").write_text("We meet soon.\n", encoding="utf-8")
    assert call(tmp_path, "common_slots", path="plain.md").endswith("found")


def test_a_claim_is_priced_from_the_order_row_it_names(tmp_path: Path) -> None:
    (tmp_path / "mail.txt").write_text(
        "Subject: order 4417\n\nThree of the five blue\nvases arrived cracked.\n", encoding="utf-8"
    )
    (tmp_path / "orders.csv").write_text(
        "id,item,qty,price_usd\n4416,Blue Vase,5,9.00\n4417,Blue Vase,5,12.40\n"
        "4417,Packing,1,4.00\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "claim_amount", message="mail.txt", table="orders.csv")
    assert out.splitlines()[-2:] == [
        "Claimed (mail.txt line 3: 'Three of the five blue vases arrived cracked'): "
        "3 x Blue Vase (line 3) at 12.40 USD = 37.20 USD",
        "Not claimed: Packing",
    ]
    assert call(tmp_path, "claim_amount", message="nope.txt", table="orders.csv").startswith(
        "Error:"
    )


def test_drafts_from_a_log_hours_and_an_order_pass_through_the_command(
    draft_results: dict[str, dict],
) -> None:
    for name, tool in (
        ("draft-release-notes-plain-commits", "release_notes"),
        ("draft-invite-shared-free-hour", "common_slots"),
        ("draft-reply-missing-items", "claim_amount"),
    ):
        assert draft_results[name]["passed"], draft_results[name]["failures"]
        assert tool in [c["tool"] for c in draft_results[name]["calls"]]


def test_hours_under_a_name_heading_or_in_a_table_are_read(tmp_path: Path) -> None:
    (tmp_path / "heads.md").write_text(
        "# Week of 2026-05-04\n## Lea\n- Tue 10:00-12:00\n- Thu 13:00-15:00\n## Max\n"
        "- Thu 14:00-16:00\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "common_slots", path="heads.md", minutes=60)
    assert "2026-05-07 Thursday 7 May 2026: 14:00-15:00" in out
    assert "line 6 (Max): - Thu 14:00-16:00" in out
    (tmp_path / "table.md").write_text(
        "Week of Monday 4 May 2026\n| Person | Hours |\n|---|---|\n"
        "| Lea | Tue 10:00-12:00 |\n| Max | Tue 11:30-12:00 |\n",
        encoding="utf-8",
    )
    assert "2026-05-05 Tuesday 5 May 2026: 11:30-12:00" in call(
        tmp_path, "common_slots", path="table.md", minutes=30
    )


def test_a_full_git_log_takes_each_hash_and_skips_its_headers(tmp_path: Path) -> None:
    (tmp_path / "full.log").write_text(
        "commit 9f8e7d6c5b4a3928\nAuthor: Jo <jo@example.org>\nDate:   Mon Mar 2 2026\n\n"
        "    feat(api): add paging\n\n    Body: more words.\n",
        encoding="utf-8",
    )
    assert call(tmp_path, "release_notes", path="full.log").splitlines() == [
        "full.log: 1 commits",
        "New features: 1",
        "line 5: api: Add paging (9f8e7d6)",
    ]


def test_a_count_before_the_problem_word_is_a_claim_too(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text("Order 7781: I got 3 broken wine glasses.\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text(
        "order,item,qty,total,unit_price\n7781,Wine Glass,6,48.00,8.00\n", encoding="utf-8"
    )
    out = call(tmp_path, "claim_amount", message="m.txt", table="o.csv")
    assert out.endswith("3 x Wine Glass (line 2) at 8.00 = 24.00")


# --- a template's headings, an email that counts the days -------------------------------------


def test_a_template_gives_the_notes_title_and_headings_and_the_task_the_file(
    draft_results: dict[str, dict],
) -> None:
    case = draft_results["draft-release-notes-from-template"]
    assert case["passed"], case["failures"]
    assert "--- NOTES-0.10.0.md ---" in case["result"]  # the file the task names, not drafts/


def test_an_email_counts_weekdays_less_the_holidays_another_file_lists(
    draft_results: dict[str, dict],
) -> None:
    case = draft_results["draft-email-days-off-holidays"]
    assert case["passed"], case["failures"]
    assert "10 weekdays" in case["result"]  # the span's Monday-to-Friday days, shown


def test_a_span_with_a_year_on_both_ends_is_one_range_with_its_weekdays() -> None:
    from tools.facts import read_facts

    lines = read_facts("Away: Monday 13 July 2026 to Friday 24 July 2026.\n", "x").lines
    assert lines == [
        "line 1: dates: Monday 13 July 2026 to Friday 24 July 2026 "
        "(2026-07-13 to 2026-07-24, 12 days, 11 nights, 10 weekdays)"
    ]


# --- sections named one by one, a policy followed ---------------------------------------------


def test_sections_named_one_by_one_or_before_their_noun_and_exclusions_are_none() -> None:
    from backends.local.task_subjects import read_sections

    assert read_sections(
        "Draft notes with an 'Added' section and a 'Fixed' section, leaving out docs commits."
    ) == ("Added", "Fixed")
    assert read_sections("Write it with Scope, Costs and Risks sections, excluding names.") == (
        "Scope",
        "Costs",
        "Risks",
    )
    assert read_sections("Write an outline with sections for need, impact and budget") == (
        "need",
        "impact",
        "budget",
    )
    # One quoted section is the part to write, not a list of sections.
    assert read_sections("Draft the 'Usage' section of 'README.md' from 'cli.py'.") == ()


POLICY = """\
# Returns
- Damaged items are refunded in full, plus the delivery charge.
- Items under $40: keep the item; ask the customer for a photo of the damage.
- Items of $40 or more: send a prepaid return label.
- Refunds reach the card within 7 working days.
"""


def test_a_policy_rule_applies_by_its_price_condition_and_works_out_the_refund(
    tmp_path: Path,
) -> None:
    (tmp_path / "policy.md").write_text(POLICY, encoding="utf-8")
    (tmp_path / "cheap.txt").write_text(
        "Order #A-5512: the glass bowl ($32.50) arrived chipped. Delivery cost $6.00.\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "apply_policy", message="cheap.txt", policy="policy.md")
    assert "record: order A-5512 (cheap.txt line 1)" in out
    assert "item: glass bowl at $32.50, chipped (cheap.txt line 1)" in out
    assert "applies (line 3; $32.50 is under $40)" in out
    assert "does not apply (line 4): $32.50 is not $40 or more" in out
    assert "return label" not in out  # a rule that does not apply is not quoted
    assert out.endswith("refund: $32.50 (glass bowl) + $6.00 (delivery) = $38.50 (rule line 2)")
    (tmp_path / "dear.txt").write_text(
        "Order 99120: the standing desk (€410.00) came scratched. Shipping was €25.00.\n",
        encoding="utf-8",
    )
    (tmp_path / "strict.md").write_text(
        "- Items over €300 are refunded 90% of the price, less a €10 handling fee, "
        "excluding shipping.\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "apply_policy", message="dear.txt", policy="strict.md")
    assert out.endswith("refund: 90% of €410.00 less €10 fee = €359.00 (rule line 1)")
    assert call(tmp_path, "apply_policy", message="none.txt", policy="strict.md").startswith(
        "Error:"
    )


def test_a_reply_following_a_policy_states_the_figure_and_only_the_rules_that_apply(
    draft_results: dict[str, dict],
) -> None:
    for name, figure, left_out in (
        ("draft-reply-booking-policy-fee", "We will refund $115.00", "refunded in full"),
        ("draft-reply-warranty-excluding-delivery", "We will refund €129.99.", "keeps the item"),
    ):
        case = draft_results[name]
        assert case["passed"], case["failures"]
        reply = case["result"].split("\n---\n")[0]
        assert figure in reply and left_out not in case["result"]
        assert "apply_policy" in [c["tool"] for c in case["calls"]]


def test_a_leave_email_following_a_policy_counts_working_days_and_the_return_day(
    draft_results: dict[str, dict],
) -> None:
    case = draft_results["draft-email-time-off-closures-return"]
    assert case["passed"], case["failures"]
    result = case["result"]
    assert "Dear Dana," in result
    assert "5 working days" in result and "7 weekdays" in result
    # The day after the span is a listed closure, so the return day moves past it.
    assert "Back in the office: Monday 4 January 2027" in result
    assert "New Year's Day (`handbook/closures.md` line 4)" in result
    # The policy's lines are followed, not pasted into the email.
    assert "office closure days are free" not in result


def test_a_holidays_name_is_its_line_without_the_date() -> None:
    from backends.local.plans_email import _off_name

    assert _off_name("2026-04-06,Easter Monday") == "Easter Monday"
    assert _off_name("- Fri 25 December 2026: Christmas Day") == "Christmas Day"
    assert _off_name("Good Friday (3 April)") == "Good Friday"
    assert _off_name("| Dec 26, 2026 | Boxing Day |") == "Boxing Day"


def test_a_time_limit_counted_from_delivery_decides_which_rule_applies(tmp_path: Path) -> None:
    (tmp_path / "mail.txt").write_text(
        "From: Al <al@example.com>\nDate: Fri, 12 Jun 2026 10:00\n\n"
        "I ordered the kettle (£40.00) on 1 June 2026 and it was delivered on 3 June 2026.\n",
        encoding="utf-8",
    )
    (tmp_path / "rules.md").write_text(
        "- Within 14 days of delivery: full refund of the item price.\n"
        "- More than 14 days after delivery: a voucher for the item price, no cash refund.\n"
        "- Refunds are paid within 5 days of the return arriving.\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "apply_policy", message="mail.txt", policy="rules.md")
    assert "delivered on 2026-06-03 (mail.txt line 4)" in out
    assert "applies (line 1; 9 days from delivered on 2026-06-03" in out
    assert "does not apply (line 2)" in out
    # A timescale ("paid within 5 days of ...") is no condition on who qualifies.
    assert "applies (line 3): Refunds are paid within 5 days" in out
    assert out.endswith("refund: £40.00 (kettle) (rule line 1)")
    (tmp_path / "mail.txt").write_text(
        "Date: Fri, 31 Jul 2026 10:00\n\nThe kettle (£40.00) was delivered on 3 June 2026.\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "apply_policy", message="mail.txt", policy="rules.md")
    assert out.endswith("refund: £40.00 (kettle) as voucher (rule line 2)")


def test_a_template_is_filled_from_the_named_row_and_key_value_lines(
    draft_results: dict[str, dict],
) -> None:
    for name, wanted, not_there in (
        ("draft-reminder-from-template", "Dear Owen Pryce,", "Sara Holm"),
        ("draft-letter-bracket-template", "Yours sincerely,\nHelen Brooks", "[Tenant name]"),
    ):
        case = draft_results[name]
        assert case["passed"], case["failures"]
        assert wanted in case["result"] and not_there not in case["result"]
    case = draft_results["draft-reminder-from-template"]
    # The IBAN no named file gives is found as a 'Key: value' line elsewhere in the project.
    assert "search_text" in [c["tool"] for c in case["calls"]]


def test_spending_rows_are_capped_per_night_per_day_and_excluded_by_the_policy(
    tmp_path: Path,
) -> None:
    (tmp_path / "spend.csv").write_text(
        "day,type,what,cost\n2027-02-01,Lodging,Inn,$210.00\n2027-02-01,Food,Lunch,$18.00\n"
        "2027-02-01,Food,Supper,$40.00\n2027-02-02,Entertainment,Cinema,$15.00\n"
        "2027-02-02,Taxi,Airport,$35.00\n",
        encoding="utf-8",
    )
    (tmp_path / "rules.md").write_text(
        "1. Lodging: maximum $180 per night.\n2. Food: up to $50 per day.\n"
        "3. Entertainment is not reimbursed.\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "apply_caps", table="spend.csv", policy="rules.md").splitlines()
    assert out[0] == "spend.csv against rules.md: 5 rows, spent $318.00, repaid $265.00"
    assert out[1].endswith("-> $180.00 (capped at $180.00 per night: rules.md line 1)")
    assert out[2].endswith("-> $18.00 (within $50.00 per day: rules.md line 2)")
    assert out[3].endswith("-> $32.00 (capped at $50.00 per day: rules.md line 2)")
    assert out[4].endswith("-> $0.00 (not repaid: rules.md line 3)")
    assert out[5].endswith("-> $35.00 (no rule limits it)")
    assert call(tmp_path, "apply_caps", table="spend.csv", policy="gone.md").startswith("Error:")


def test_an_expense_claim_states_the_capped_total_through_the_command(
    draft_results: dict[str, dict],
) -> None:
    case = draft_results["draft-expense-claim-caps"]
    assert case["passed"], case["failures"]
    assert "Total claimed: £242.40 (of £287.70 spent)." in case["result"]
    assert "apply_caps" in [c["tool"] for c in case["calls"]]
