"""Summaries and organising that do the reasoning: meeting notes sorted into decisions, owned and
dated actions and open questions; an email thread's final state; a CSV totalled per category with
its malformed rows named; dated items in date order. The tools run as both planners call them
(`build_tools` + `ToolRunner`), and the plans through the real `proactive bench help` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.help_bench import bench_all_pass, call

MINUTES = """\
# Library friends committee, 9 June 2026

## Book sale
- Decided to move the book sale indoors this year.
- Hugo will collect the donated boxes by Thursday. Irene to price the rare books before 20 June.
- Card payments: no decision yet, revisit in July.

## Misc
- The coffee machine is broken again.
"""

THREAD = """\
From: Rita Moss <rita@vanhire.example>
Date: Wed, 3 Jun 2026 15:00
Subject: Re: Van hire

The long-wheelbase van is £95 per day, available 12 June.

From: Paul Ng
Date: Mon, 1 Jun 2026 10:00
Subject: Van hire

Hi Rita, can we hire a van for 12 June? We need 2 days.

From: Rita Moss <rita@vanhire.example>
Date: Thu, 4 Jun 2026 09:30
Subject: Re: Van hire

Sorry, that van has been booked. I can offer the short van at £80 per day instead, 12 to 13 June.

From: Paul Ng
Date: Thu, 4 Jun 2026 11:00
Subject: Re: Van hire

That works, please book the short van.
"""

EXPENSES = """\
date,item,cost,kind
2026-05-01,Paint,0.10,materials
2026-05-02,Brushes,0.20,materials
2026-05-03,Ladder hire,"1,200.50",equipment
2026-05-04,Scaffold,2,300.00,equipment
2026-05-05,Tape,3,4,materials
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "minutes.md").write_text(MINUTES, encoding="utf-8")
    (root / "notes" / "essay.md").write_text(
        "Rivers shape valleys over long periods. The water carries stones downhill.\n"
        "Floods move the most material in a few days.\n",
        encoding="utf-8",
    )
    (root / "mail.txt").write_text(THREAD, encoding="utf-8")
    (root / "costs.csv").write_text(EXPENSES, encoding="utf-8")
    (root / "trip.md").write_text(
        "- Ferry to Skye, 3 Aug 09:15\n- Arrive Inverness 1 Aug 18:00\n- Walk, no date\n"
        "- Castle tour 1 Aug 10:00\n",
        encoding="utf-8",
    )
    (root / "blob.csv").write_bytes(b"a,b\x00\x01\x02")
    (tmp_path / "secret.md").write_text("Decided: the password is hunter2.\n", encoding="utf-8")
    (root / "link.md").symlink_to(tmp_path / "secret.md")
    return root


# --- meeting notes ------------------------------------------------------------------------------


def test_minutes_give_decisions_owned_dated_actions_and_open_questions(project: Path) -> None:
    out = call(project, "digest_notes", path="notes/minutes.md")
    decisions = out.split("Decisions:")[1].split("Action items:")[0]
    actions = out.split("Action items:")[1].split("Open questions:")[0]
    questions = out.split("Open questions:")[1].split("Other dated points:")[0]
    assert "line 4: Decided to move the book sale indoors" in decisions
    # Two actions on one line, each with its owner; 'by Thursday' counts from the notes' date.
    assert "Hugo will collect the donated boxes by Thursday. | owner: Hugo" in actions
    assert "due: Thu 11 Jun 2026" in actions
    assert "Irene to price the rare books before 20 June. | owner: Irene | due: 20 Jun 2026" in (
        actions
    )
    assert "Card payments: no decision yet, revisit in July." in questions
    assert "coffee machine" not in out


def test_prose_without_decisions_says_so_and_undated_notes_use_the_given_day(
    project: Path,
) -> None:
    assert "holds no decisions" in call(project, "digest_notes", path="notes/essay.md")
    (project / "undated.md").write_text("- Sam will send the invoice by Monday.\n")
    out = call(project, "digest_notes", path="undated.md", date="2026-06-10")
    assert "read as of Wed 10 Jun 2026" in out and "due: Mon 15 Jun 2026" in out


def test_sections_named_for_actions_make_each_entry_an_action_with_its_owner(
    project: Path,
) -> None:
    (project / "sync.md").write_text(
        "**Ops sync, 2 March 2026**\n\nDecisions:\n- Keep the old VPN until April.\n\n"
        "## Next steps\n- [ ] Leah: renew the certificate by Wednesday\n"
        "- Rotate the backup keys (Omar)\n- Update docs\n\n## Parking lot\n- Office plants\n",
        encoding="utf-8",
    )
    out = call(project, "digest_notes", path="sync.md")
    assert "line 4: Keep the old VPN until April." in out.split("Action items:")[0]
    assert "| owner: Leah | due: Wed 4 Mar 2026" in out
    assert "Rotate the backup keys (Omar) | owner: Omar" in out
    assert "Update docs | owner: not named" in out
    assert "line 12: Office plants" in out.split("Open questions:")[1]


# --- threads ------------------------------------------------------------------------------------


def test_a_thread_is_read_in_date_order_to_its_final_terms(project: Path) -> None:
    out = call(project, "digest_thread", path="mail.txt")
    assert out.startswith("Thread mail.txt: 4 messages from Mon 1 Jun 2026 10:00 to Thu 4 Jun")
    current = out.split("Current terms")[1].split("Superseded")[0]
    superseded = out.split("Superseded")[1]
    assert "£80 per day" in current and "£95" not in current
    assert "Accepted by Paul Ng" in current and "please book the short van" in current
    assert "£95 per day" in superseded


def test_a_chat_export_is_a_thread_too(project: Path) -> None:
    (project / "chat.txt").write_text(
        "[2026-05-02 09:12] Maya: Dinner on Friday 8 May at 19:00 at Luigi's, £25 a head?\n"
        "[2026-05-02 10:05] Maya: OK, instead: Saturday 9 May at 19:30, £30 a head.\n"
        "[2026-05-02 10:07] Raj: That works for me.\n",
        encoding="utf-8",
    )
    out = call(project, "digest_thread", path="chat.txt")
    current = out.split("Current terms")[1].split("Superseded")[0]
    assert "line 2: OK, instead: Saturday 9 May at 19:30, £30 a head." in current
    assert "Accepted by Raj" in current and "£25" in out.split("Superseded")[1]


def test_a_single_message_is_not_a_thread(project: Path) -> None:
    assert "not a thread" in call(project, "digest_thread", path="notes/essay.md")


# --- tables -------------------------------------------------------------------------------------


def test_totals_per_category_repair_only_the_unambiguous_row(project: Path) -> None:
    out = call(project, "group_totals", path="costs.csv")
    # Exact decimal sums (0.10 + 0.20 is 0.30, not 0.30000000000000004).
    assert "- equipment: 3,500.50 (2 rows)" in out and "- materials: 0.30 (2 rows)" in out
    assert "Grand total: 3,500.80 over 4 rows." in out
    assert "line 5: 5 fields, the header has 4; repaired: '2' and '300.00' read as 2,300.00" in out
    assert "line 6: 5 fields, the header has 4; left out" in out
    by_item = call(project, "group_totals", path="costs.csv", by="item")
    assert "by 'item'" in by_item and "- Scaffold: 2,300.00 (1 row)" in by_item
    (project / "monthly.csv").write_text(
        "date,shop,amount\n2026-02-02,A,7.25\n2026-01-05,A,10.00\n2026-01-20,B,5.50\n"
    )
    by_month = call(project, "group_totals", path="monthly.csv", by="month")
    assert "- 2026-01 (Jan 2026): 15.50 (2 rows)\n- 2026-02 (Feb 2026): 7.25 (1 row)" in by_month


# --- dated items --------------------------------------------------------------------------------


def test_dated_items_come_in_date_order_under_one_heading_per_day(project: Path) -> None:
    out = call(project, "dated_items", paths=["trip.md"], year=2026)
    assert out.index("## Sat 1 Aug 2026") < out.index("## Mon 3 Aug 2026")
    day_one = out.split("## Sat 1 Aug 2026")[1].split("##")[0]
    assert day_one.index("10:00 Castle tour") < day_one.index("18:00 Arrive Inverness")
    assert "(trip.md line 4)" in day_one
    assert "No items on: Sun 2 Aug 2026." in out
    assert "Walk, no date" not in out


def test_a_long_answer_comes_in_parts_that_fit_the_runner(project: Path) -> None:
    (project / "season.md").write_text(
        "".join(f"- Match {n} against a visiting team, {n} Oct 2026 19:45\n" for n in range(1, 31)),
        encoding="utf-8",
    )
    first = call(project, "dated_items", paths=["season.md"])
    assert len(first) <= 2000 and first.endswith("for the rest)")
    assert "Match 30 " not in first
    parts = [first]
    while parts[-1].endswith("for the rest)"):
        parts.append(call(project, "dated_items", paths=["season.md"], part=len(parts) + 1))
    assert "## Fri 30 Oct 2026\n- 19:45 Match 30 against" in "\n".join(parts)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "args", "said"),
    [
        ("digest_notes", {"path": "link.md"}, "outside the project root"),
        ("digest_thread", {"path": "missing.txt"}, "does not exist"),
        ("group_totals", {"path": "blob.csv"}, "binary"),
        ("dated_items", {"paths": ["../secret.md"]}, "outside the project root"),
        ("group_totals", {"path": "notes/essay.md"}, "cannot be totalled"),
    ],
)
def test_bad_input_is_one_plain_line(project: Path, tool: str, args: dict, said: str) -> None:
    out = call(project, tool, **args)
    assert out.startswith("Error:") and said in out, out
    assert "Traceback" not in out and "hunter2" not in out and "\n" not in out.strip()


# --- the plans, through the real command ----------------------------------------------------------


CASES = {
    "notes.yaml": """\
id: notes-digest
workspace:
  team/retro-2026-09-14.md: |
    # Retro, 14 Sep 2026
    - We agreed to pair on every release from now on.
    - Ines will write the rollback guide by Friday.
    - Flaky login test: owner TBD.
events:
  - text: The user opens 'team/retro-2026-09-14.md'.
    time: 2026-09-14T17:00:00Z
task: Summarise 'team/retro-2026-09-14.md' into a list of decisions and a list of action items.
kind: summarise
expect:
  all: ['^Decisions:', '^Action items:', 'Ines[^\\n]*Fri 18 Sep 2026', 'line 3']
  none: ['Reminder set']
""",
    "thread.yaml": """\
id: thread-final
workspace:
  mail.txt: |
THREAD
events:
  - text: The user opens 'mail.txt'.
    time: 2026-06-04T12:00:00Z
task: Summarise the email thread in 'mail.txt'.
kind: summarise
expect:
  all: ['Current terms[\\s\\S]*80 per day[\\s\\S]*Superseded[\\s\\S]*95 per day']
""".replace("THREAD\n", "".join(f"    {line}\n" for line in THREAD.splitlines())),
    "totals.yaml": """\
id: totals
workspace:
  costs.csv: |
EXPENSES
events:
  - text: The user opens 'costs.csv'.
    time: 2026-06-04T12:00:00Z
task: Organise 'costs.csv' into totals per kind.
kind: organise
expect:
  all: ['equipment: 3,500\\.50', 'line 6[^\\n]*left out']
""".replace("EXPENSES\n", "".join(f"    {line}\n" for line in EXPENSES.splitlines())),
    "season.yaml": """\
id: long-season
workspace:
  season.md: |
SEASON
events:
  - text: The user opens 'season.md'.
    time: 2026-09-20T12:00:00Z
task: Organise 'season.md' into a schedule in date order.
kind: organise
expect:
  all: ['Thu 1 Oct 2026[\\s\\S]*Match 1 [\\s\\S]*Fri 30 Oct 2026\\n- 19:45 Match 30 ']
  none: ['truncated']
""".replace(
        "SEASON\n",
        "".join(
            f"    - Match {n} against a visiting team, {n} Oct 2026 19:45\n"
            for n in range(30, 0, -1)
        ),
    ),
    "log.yaml": """\
id: log-errors
workspace:
  app.log: |
    2026-01-01 10:00 ERROR upload failed: PermissionError: denied '/data/a.txt'
    2026-01-01 10:01 ERROR upload failed: TimeoutError: no answer in 30s
    2026-01-01 10:02 ERROR upload failed: TimeoutError: no answer in 30s
events:
  - The user opens 'app.log'.
task: Summarise 'app.log' and count the errors.
kind: summarise
expect:
  all: ['TimeoutError 2 time', 'PermissionError 1 time']
""",
}


def test_the_plans_do_the_work_through_the_real_command(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    for name, text in CASES.items():
        (cases / name).write_text(text, encoding="utf-8")
    report = bench_all_pass(cases)
    assert report["summary"]["seconds_per_task"]["median"] < 0.2


# --- lists restructured: to-dos regrouped, duplicates merged, notes into sections ---------------


def test_a_todo_list_is_regrouped_by_its_tags_in_due_order_with_done_items_apart(
    project: Path,
) -> None:
    (project / "todo.md").write_text(
        "# Jobs\n- [ ] Fix the gate #garden due 12 May 2026\n"
        "- [x] Buy seeds #garden due 1 May 2026\n"
        "- [ ] Clean the oven #kitchen due 3 May 2026\n- [ ] Sow beans #garden due 4 May 2026\n"
        "- [ ] Call the plumber due 2 May 2026\n",
        encoding="utf-8",
    )
    out = call(project, "regroup_checklist", path="todo.md")
    body = out.split("\n\n", 1)[1]
    assert body.startswith("# Jobs\n\n## kitchen\n- [ ] Clean the oven")
    assert "## garden\n- [ ] Sow beans #garden due 4 May 2026\n- [ ] Fix the gate" in body
    assert "## No group\n- [ ] Call the plumber" in body
    assert body.endswith("## Done\n- [x] Buy seeds #garden due 1 May 2026")
    assert "4 open, 1 done" in out


def test_duplicate_rows_merge_ignoring_case_into_the_fullest_row_sorted_by_a_column(
    project: Path,
) -> None:
    (project / "people.csv").write_text(
        "name,email,phone\nZed Ali,zed@x.example,\nAmy Bo,amy@x.example,0200\n"
        "Zed Ali,ZED@X.example,0199\n",
        encoding="utf-8",
    )
    out = call(project, "merge_duplicates", path="people.csv", key="email", sort_by="name")
    assert out.endswith("name,email,phone\nAmy Bo,amy@x.example,0200\nZed Ali,ZED@X.example,0199")
    assert "3 rows, 2 after merging" in out and "lines 2, 4 share email" in out
    missing = call(project, "merge_duplicates", path="people.csv", key="passport")
    assert missing.startswith("Error:") and "'passport'" in missing and "\n" not in missing


def test_loose_notes_go_into_the_sections_named_and_nothing_is_lost(project: Path) -> None:
    (project / "move.md").write_text(
        "# Moving house\n- van hire booked, ref VN-88\n- deposit 400 EUR paid\n"
        "- measure the sofa\n- train back on Sunday 10:05\n",
        encoding="utf-8",
    )
    out = call(project, "sort_notes", path="move.md", sections=["Budget", "Travel"])
    assert "## Budget\n- deposit 400 EUR paid" in out
    assert "## Travel\n- van hire booked, ref VN-88\n- train back on Sunday 10:05" in out
    assert "## Other\n- measure the sofa" in out and "all 4 entries kept" in out


def test_rows_take_the_rules_categories_first_and_unknown_rows_are_not_guessed(
    project: Path,
) -> None:
    (project / "spend.csv").write_text(
        "merchant,amount\nUber,10.00\nGitHub,4.00\nPret A Manger,3.50\nMystery Ltd,1.25\n",
        encoding="utf-8",
    )
    (project / "rules.md").write_text(
        "Categories: Travel, Software, Meals.\nCoffee counts as Meals.\n"
        "Ride-hailing counts as Software.\n",  # a person's rule wins over what Uber is
        encoding="utf-8",
    )
    out = call(project, "categorise_rows", path="spend.csv", rules_path="rules.md")
    assert "- Software: 14.00" in out and "- Meals: 3.50" in out and "- Travel: 0.00" in out
    assert "- Uncategorised: 1.25" in out and "Grand total: 18.75 over 4 rows." in out
    assert out.endswith("Mystery Ltd,1.25,Uncategorised")
    none = call(project, "categorise_rows", path="spend.csv", rules_path="notes/essay.md")
    assert none.startswith("Error:") and "no categories" in none


def test_totals_name_the_largest_group_and_each_groups_change_over_the_periods(
    project: Path,
) -> None:
    (project / "visits.csv").write_text(
        "month,site,visits\n2026-01,Shop,100\n2026-01,Blog,50\n2026-02,Shop,90\n2026-02,Blog,80\n",
        encoding="utf-8",
    )
    out = call(project, "group_totals", path="visits.csv", by="site")
    assert "Largest: Shop (190)." in out
    assert "- Blog: 50 -> 80, +30 (+60.0%)\n- Shop: 100 -> 90, -10 (-10.0%)" in out
    assert out.endswith("Grew the most (relative to 2026-01): Blog.")


def test_actions_nobody_owns_and_taken_with_a_target_are_action_items(project: Path) -> None:
    (project / "sync2.md").write_text(
        "# Sync, 3 Mar 2026\n- Órla takes the invoice backlog, target 9 March.\n"
        "- Somebody should renew the SSL certificate.\n- The weather was nice.\n",
        encoding="utf-8",
    )
    out = call(project, "digest_notes", path="sync2.md")
    actions = out.split("Action items:")[1].split("Open questions:")[0]
    assert "Órla takes the invoice backlog, target 9 March. | owner: Órla | due: 9 Mar 2026" in (
        actions
    )
    assert "renew the SSL certificate. | owner: not named" in actions
    assert "weather" not in actions


def test_a_thread_keeps_earlier_terms_no_later_message_replaced(project: Path) -> None:
    (project / "party.txt").write_text(
        "From: Ana\nDate: 1 Jun 2026 09:00\nSubject: Party\n\n"
        "Party on 20 June at the Oak Room, 19:00, for 30 people.\n\n"
        "From: Ben\nDate: 2 Jun 2026 09:00\nSubject: Re: Party\n\n"
        "The Oak Room is taken; we move to 27 June at the Elm Room instead.\n\n"
        "From: Ana\nDate: 3 Jun 2026 09:00\nSubject: Re: Party\n\n"
        "Fine, and the bar opens at 20:00 now, so we start at 20:00.\n",
        encoding="utf-8",
    )
    out = call(project, "digest_thread", path="party.txt")
    current, superseded = out.split("Superseded")
    assert "start at 20:00" in current.split("Still standing")[0]
    assert "27 June at the Elm Room" in current.split("Still standing")[1]
    assert "20 June at the Oak Room, 19:00" in superseded


@pytest.mark.parametrize(
    ("tool", "args", "said"),
    [
        ("regroup_checklist", {"path": "link.md"}, "outside the project root"),
        ("regroup_checklist", {"path": "notes/essay.md"}, "no list items"),
        ("merge_duplicates", {"path": "blob.csv"}, "binary"),
        ("sort_notes", {"path": "missing.md"}, "does not exist"),
        ("categorise_rows", {"path": "costs.csv", "rules_path": "../secret.md"}, "outside"),
    ],
)
def test_bad_input_to_the_list_tools_is_one_plain_line(
    project: Path, tool: str, args: dict, said: str
) -> None:
    out = call(project, tool, **args)
    assert out.startswith("Error:") and said in out, out
    assert "Traceback" not in out and "hunter2" not in out and "\n" not in out.strip()


ROUND2_CASES = (
    "organise-chores-by-room",
    "organise-coursework-by-module",
    "organise-subscribers-dedupe",
    "organise-suppliers-dedupe",
    "organise-fieldwork-notes-sections",
    "organise-studio-costs-categorise",
    "organise-conference-spend-categorise",
    "summarise-signups-growth",
    "summarise-worker-outage-log",
    "summarise-standup-unowned-actions",
    "summarise-thread-by-subject",
)
"""The project's cases of regrouping, merging, sorting, categorising, growth, incidents,
unowned actions and threads found by subject."""


def test_the_restructuring_cases_pass_through_the_real_command(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shipped = Path(__file__).resolve().parents[1] / "bench" / "help_cases"
    for case in ROUND2_CASES:
        (cases / f"{case}.yaml").write_text(
            (shipped / f"{case}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    report = bench_all_pass(cases)
    written = {c["id"]: c["result"] for c in report["cases"]}
    # The person's own file is left as it was; the new version goes to the drafts.
    assert "--- drafts/chores.md ---" in written["organise-chores-by-room"]
    assert "--- home/chores.md ---" not in written["organise-chores-by-room"]


def test_sections_a_task_lists_are_the_only_ones_and_their_topics_place_the_entries(
    project: Path,
) -> None:
    (project / "party.md").write_text(
        "# Party\n- order 40 sandwiches and a cake from Deli Rossi\n"
        "- Aunt May needs a wheelchair ramp\n- ask Sam to bring speakers and a playlist\n"
        "- send invitations to the Dublin cousins\n- train tickets for Gran, 30 EUR\n"
        "- taxi home for Gran, 25 EUR\n",
        encoding="utf-8",
    )
    sections = ["Venue", "Catering", "Guests", "Music"]
    out = call(project, "sort_notes", path="party.md", sections=sections, only_named=True)
    assert "## Venue\n- Aunt May needs a wheelchair ramp" in out
    assert "## Catering\n- order 40 sandwiches" in out and "## Music\n- ask Sam" in out
    assert "## Guests\n- send invitations" in out
    assert "## Other\n- train tickets for Gran, 30 EUR\n- taxi home" in out
    assert "## Budget" not in out and "## Travel" not in out
    # Unasked, entries that share a common topic get its section.
    assert "## Travel" in call(project, "sort_notes", path="party.md", sections=sections)


# --- round 3: tables described, pronoun owners, A-Z lists, due-date sections, kinds of edits ----


SURVEY = """\
member,branch,score,visits,note
m1,North,2,3,Showers too cold
m2,South,5,1,
m3,North,3,3,Cold showers again
m4,South,4,2,Friendly staff
m5,North,1,3,The showers are cold
"""


def test_a_table_is_described_by_averages_groups_common_values_and_themes(project: Path) -> None:
    (project / "club.csv").write_text(SURVEY, encoding="utf-8")
    out = call(project, "profile_table", path="club.csv", question="average score per branch")
    assert out.splitlines()[0].startswith("club.csv: 5 rows")
    assert "- score: average 3.00 over 5 rows (lowest 1, highest 5)" in out
    assert "3 is the most common visits value (3 rows)" in out
    assert "Average score by branch: North 2.00 (3 rows), South 4.50 (2 rows)" in out
    assert "lowest North 2.00, highest South 4.50" in out
    # 'shower'/'showers' and 'cold' recur in three notes (lines 2, 4, 6); ids are not averaged.
    assert "'showers' in 3 rows (lines 2, 4, 6)" in out or "'cold' in 3 rows" in out
    assert "member:" not in out and "average" not in out.split("visits")[0].split("score")[0]


def test_a_table_that_cannot_be_read_is_one_plain_line(project: Path) -> None:
    assert call(project, "profile_table", path="missing.csv").startswith("Error:")
    (project / "empty.csv").write_text("a,b\n", encoding="utf-8")
    out = call(project, "profile_table", path="empty.csv")
    assert out == "Error: empty.csv has a header but no rows."
    assert call(project, "profile_table", path="link.md").startswith("Error:")


def test_an_action_said_by_he_or_she_is_owned_by_who_the_sentence_before_began_with(
    project: Path,
) -> None:
    (project / "notes" / "sync.md").write_text(
        "# Sync 3 May 2027\nPetra reported the backups are slow. She will move them to the"
        " night by 10 May.\nThey will look at it later.\n",
        encoding="utf-8",
    )
    out = call(project, "digest_notes", path="notes/sync.md")
    actions = out.split("Action items:")[1].split("Open questions:")[0]
    assert "She will move them to the night by 10 May. | owner: Petra | due: 10 May 2027" in actions
    # A pronoun with nobody named before it in its paragraph is no action of anyone's.
    assert "They will look" not in actions


def test_an_edit_that_makes_a_file_doing_a_kind_of_work_is_that_kind() -> None:
    from backends.local.task_subjects import kind_of_edit  # noqa: PLC0415

    grouping = "Create 'by_crop.md' that groups the harvest by crop with a total per crop."
    assert kind_of_edit(grouping, "draft_text") == "organise"
    assert kind_of_edit("Write a page that summarises the thread.", "draft_text") == "summarise"
    assert kind_of_edit("Write a reply that says yes to Ana.", "summarise") == "draft_text"
    assert kind_of_edit("Put the list in 'a/b.md' in A-Z order.", "lookup_docs") == "organise"


ROUND3_CASES = (
    "summarise-log-errors-by-component",
    "summarise-minutes-pronoun-owner",
    "summarise-feedback-csv-stats",
    "organise-glossary-alphabetical",
    "organise-bills-by-when-due",
    "organise-create-file-grouping-rows",
    "summarise-thread-quote-discount",
    "organise-notes-by-their-own-labels",
    "organise-reading-list-rows-by-year",
    "summarise-thread-wrap-up-page",
)
"""The project's cases of errors per component, pronoun owners, a table described, an A-Z list
with repeats dropped, due-date sections counted from today, a file made to group rows, a price a
thread changes by a difference, notes sorted under their own labels, a table's rows in the
order of one column, and a page titled as a wrap-up after a thread (no task: the drafter's cue)."""


def test_the_round3_cases_pass_through_the_real_command(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shipped = Path(__file__).resolve().parents[1] / "bench" / "help_cases"
    for case in ROUND3_CASES:
        (cases / f"{case}.yaml").write_text(
            (shipped / f"{case}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    report = bench_all_pass(cases)
    written = {c["id"]: c["result"] for c in report["cases"]}
    assert "--- drafts/glossary.md ---" in written["organise-glossary-alphabetical"]
    assert "--- docs/glossary.md ---" not in written["organise-glossary-alphabetical"]


def test_a_thread_works_out_an_amount_a_later_message_changes_by_a_difference(
    project: Path,
) -> None:
    (project / "hire.txt").write_text(
        THREAD.replace("£80 per day instead", "£80 per day instead, or £5 less if you collect"),
        encoding="utf-8",
    )
    out = call(project, "digest_thread", path="hire.txt")
    assert "- £80 (line 17) - £5 (line 17) = £75" in out
    # A thread that only states amounts changes none.
    assert "Amounts changed" not in call(project, "digest_thread", path="mail.txt")


def test_notes_labelled_by_topic_go_under_those_labels_and_others_stay_apart(
    project: Path,
) -> None:
    (project / "notes" / "bio.md").write_text(
        "- cells: the unit of life\n- exam: room 4\n- cells divide (cells)\n- exam: 2 pens\n"
        "- osmosis moves water\n",
        encoding="utf-8",
    )
    out = call(project, "sort_notes", path="notes/bio.md")
    assert "## Cells\n- cells: the unit of life\n- cells divide (cells)" in out
    assert "## Exam\n- exam: room 4\n- exam: 2 pens" in out
    assert "## Other\n- osmosis moves water" in out


def test_rows_sort_by_the_column_named_numbers_by_value_and_blanks_last(project: Path) -> None:
    (project / "stock.csv").write_text(
        "item,qty,added\nbolts,9,2027-03-02\nnuts,10,2027-01-15\nwashers,,2027-02-01\n"
        "Anchors,100,2026-12-30\n",
        encoding="utf-8",
    )
    out = call(project, "sort_rows", path="stock.csv", by="quantity qty", descending=True)
    assert out.split("\n\n", 1)[1] == (
        "item,qty,added\nAnchors,100,2026-12-30\nnuts,10,2027-01-15\nbolts,9,2027-03-02\n"
        "washers,,2027-02-01\n"
    )
    by_day = call(project, "sort_rows", path="stock.csv", by="added").split("\n\n", 1)[1]
    assert [r.split(",")[0] for r in by_day.splitlines()[1:]] == [
        "Anchors",
        "nuts",
        "washers",
        "bolts",
    ]
    by_name = call(project, "sort_rows", path="stock.csv", by="item").split("\n\n", 1)[1]
    assert [r.split(",")[0] for r in by_name.splitlines()[1:]] == [
        "Anchors",
        "bolts",
        "nuts",
        "washers",
    ]
    missing = call(project, "sort_rows", path="stock.csv", by="colour")
    assert missing == "Error: stock.csv has no column 'colour' (its columns: item, qty, added)"
