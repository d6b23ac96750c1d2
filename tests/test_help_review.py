"""Reviews that find real problems: a document's totals, weekdays, counts, shares and date ranges
checked against themselves (`fact_check`); every faulty row of a CSV with its cause and repair
(`check_csv_rows`); Python bugs ruff does not see (`check_python`) and ruff's own findings
explained. The tools run as both planners call them (`build_tools` + `ToolRunner`), and the
review plan through the real `proactive bench help` command on the project's own review cases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive
from tests.help_bench import bench_all_pass, call
from tools import PROJECT_TOOLS, build_tools
from tools.factcheck import check_facts

REPORT = """\
# Allotment society: 2026 report

This year 64 plots were let to members, and we spent £3,900 on repairs.
The seed swap was held on Sunday 12 April 2026; the open day on Sat 14 Nov.

| Repair      | Cost (£) |
|-------------|---------:|
| Fencing     | 2,150.50 |
| Water tanks | 1,200    |
| Shed roof   | 450.25   |
| **Total**   | 3,900    |

Members voted on the budget: 45% maintenance, 35% events and 25% education.
The waiting list is closed from 3 March to 28 February 2027.
In total 58 plots were let.
"""

GRADES = """\
import csv


def load(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def top(rows):
    best = 0
    for row in rows:
        mark = row["mark"]
        if mark > best:
            best = mark
    return best


def total(path):
    points = 0
    for row in load(path):
        points += row["points"]
    return points


def lookup(rows, name):
    for row in rows:
        if row["name"] == name:
            return row


def email_of(rows, name):
    return lookup(rows, name)["email"]


def label(row):
    if row:
        return "ok"
    return None


def safe(rows):
    return [float(r["points"]) + 1 for r in rows]
"""

LEDGER = """\
date,payee,amount,note
2026-03-01,Gas board,120.00,quarterly
2026-03-02,Timber Yard,1,250.00,decking
2026-03-03,Hart, Price and Lowe,80.00,legal
2026-03-04,Water,n/a,estimate
2026-03-05,Council,95.00,
2026-03-05,Council,95.00,
2026-03-07,Printer,15.00
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "report.md").write_text(REPORT, encoding="utf-8")
    (root / "grades.py").write_text(GRADES, encoding="utf-8")
    (root / "ledger.csv").write_text(LEDGER, encoding="utf-8")
    (root / "clean.md").write_text(
        "# Plan\n\nThe fair is on Saturday 6 June 2026 and lasts 2 days.\n\n"
        "| Stall | Count |\n|---|---|\n| Food | 4 |\n| Crafts | 6 |\n| Total | 10 |\n",
        encoding="utf-8",
    )
    (root / "blob.md").write_bytes(b"# a\x00\x01\x02")
    (root / "broken.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    (tmp_path / "secret.md").write_text("Total: 1\n- a: 9\nTotal: 5\n", encoding="utf-8")
    (root / "link.md").symlink_to(tmp_path / "secret.md")
    return root


def line(out: str, number: int) -> str:
    """The findings of one line of a tool's output."""
    return "\n".join(f for f in out.splitlines() if f.split(":")[1] == str(number))


def test_the_review_tools_are_offered_to_both_planners(project: Path) -> None:
    names = {t.name for t in build_tools(project)}
    assert {"fact_check", "check_csv_rows", "check_python"} <= names
    assert {"fact_check", "check_csv_rows", "check_python"} <= set(PROJECT_TOOLS)


# --- documents ------------------------------------------------------------------------------------


def test_a_wrong_table_total_is_stated_vs_computed_and_its_echo_in_prose(project: Path) -> None:
    out = call(project, "fact_check", path="report.md")
    assert "stated 3,900, computed 3,800.75" in line(out, 11)  # 2,150.50 + 1,200 + 450.25
    assert "2,150.5 + 1,200 + 450.25" in line(out, 11)
    assert "£3,900 repeats the total stated on line 11" in line(out, 3)


def test_weekdays_are_checked_with_the_documents_year(project: Path) -> None:
    out = call(project, "fact_check", path="report.md")
    assert "12 April 2026 is a Sunday" not in out  # it is: nothing to say
    # 'Sat 14 Nov' takes the year the document names: 14 November 2026 is a Saturday.
    assert "14 Nov" not in out
    (project / "memo.txt").write_text("Drinks on Fri 13 Nov.\n", encoding="utf-8")
    said = call(project, "fact_check", path="memo.txt", year=2026)
    assert "13 November 2026 is a Friday" not in said and "no findings" in said
    said = call(project, "fact_check", path="memo.txt", year=2025)
    assert "13 November 2025 is a Thursday, not a Friday (taking the year as 2025)" in said


def test_shares_ranges_and_a_count_stated_twice(project: Path) -> None:
    out = call(project, "fact_check", path="report.md")
    assert "45% + 35% + 25% = 105%" in line(out, 13)
    assert "ends (28 February 2027) before it starts (3 March 2027)" in line(out, 14)
    assert "'58 plots' here, but '64 plots' on line 3" in line(out, 15)


def test_a_document_whose_facts_hold_has_no_findings(project: Path) -> None:
    assert "no findings" in call(project, "fact_check", path="clean.md")
    # Many different counts of one noun are measurements, not one fact stated twice.
    text = "We ran 35 events, then 1,000 events, then 10 events and 64 events.\n"
    assert check_facts(text) == []


def test_subtotals_announced_counts_and_a_total_said_in_prose(project: Path) -> None:
    (project / "gala.md").write_text(
        "# Gala 2026\n"
        "We have three speakers: Ana, Bo, Cy and Di.\n"
        "The 4 sponsors:\n\n- Acme\n- Beta\n- Gamma\n\n"
        "| Item | Cost |\n|---|---|\n| Hall | £1,200 |\n| Food | £800 |\n"
        "| Subtotal | £2,100 |\n| Band | £500 |\n| Total | £2,500 |\n\n"
        "| Prize | Value |\n|---|---|\n| First | 300 |\n| Second | 200 |\n\n"
        "In total the prizes are worth £550.\n"
        "The gala is on 14 November (Friday).\n"
        "The 2 hosts: Mo and Jo.\n",
        encoding="utf-8",
    )
    out = call(project, "fact_check", path="gala.md")
    assert "'three speakers' announces 3, but 4 are listed" in line(out, 2)
    assert "'4 sponsors' announces 4, but 3 are listed" in line(out, 3)
    assert "subtotal of 'Cost' is stated as £2,100" in line(out, 13) and "2,000" in line(out, 13)
    assert line(out, 15) == ""  # 1,200 + 800 + 500 is the total stated
    assert "£550 is given as the total, but the table at line 17 adds up to 500" in line(out, 22)
    assert "14 November 2026 is a Saturday, not a Friday" in line(out, 23)
    assert line(out, 24) == ""  # two hosts, two named


def test_sums_written_out_changes_in_percent_averages_and_impossible_dates() -> None:
    text = (
        "# Plan 2026\n"
        "Hotel: 3 nights x £120 = £400. Fees £1,200 + £800 = £2,000.\n"
        "Visitors rose from 200 to 250, a 20% increase. Sales fell from 400 to 300 (down 25%).\n"
        "Due 31 April 2026 or 29 February 2026; 29 Feb 2028 is fine.\n"
        "| Team | Score |\n|---|---|\n| A | 4 |\n| B | 6 |\n| Average | 6 |\n"
    )
    found = {(f.line, f.message) for f in check_facts(text)}
    said = "\n".join(f"{n}: {m}" for n, m in sorted(found))
    assert "2: '3 nights x £120 = £400' does not hold: 3 nights x £120 is 360" in said
    assert "£2,000" not in said  # 1,200 + 800 is 2,000
    assert "3: from 200 to 250 is a change of 25.0%, not 20% increase" in said
    assert "from 400 to 300" not in said  # down 25% is right
    assert "4: '31 April 2026' is not a date that exists: April has 30 days" in said
    assert "'29 February 2026' is not a date that exists: February has 28 days in 2026" in said
    assert "2028" not in said  # a leap year
    assert "9: The average of 'Score' is stated as 6, but the 2 rows above average 5" in said
    aligned = (
        "Attendees (5): Ana, Bo, Cy and Di.\n\n"
        "Item    Cost\nRent    1,200\nFood      800\nTotal   2,100\n"
    )
    said = "\n".join(f"{f.line}: {f.message}" for f in check_facts(aligned))
    assert "1: 'Attendees (5)' announces 5, but 4 are listed" in said
    assert "6: The total 'Total' is stated as 2,100, but the rows above add up to 2,000" in said


def test_a_json_total_is_checked_against_its_items(project: Path) -> None:
    (project / "invoice.json").write_text(
        '{\n  "lines": [\n    {"qty": 2, "unit_price": 12.5},\n    {"qty": 3, "unit_price": 4.0}\n'
        '  ],\n  "total": 40.0,\n  "orders": [{"amount": 10}, {"amount": 5}],\n'
        '  "total_amount": 15\n}\n',
        encoding="utf-8",
    )
    out = call(project, "fact_check", path="invoice.json")
    assert (
        "'total' is stated as 40, but the lines[].qty x unit_price of the items add up to 37"
        in (line(out, 6))
    )
    assert "total_amount" not in out  # 10 + 5 is 15


def test_a_request_to_check_the_numbers_is_a_review() -> None:
    from backends.local.task_subjects import kind_of_edit

    for task in (
        "Make sure the numbers in report.md add up",
        "Proofread 'newsletter.md' before it goes out",
        "Double-check the figures in budget.md",
        "Sanity-check 'q3-summary.md'",  # the file's name asks for no summary
        "Look over 'report.md' for mistakes before I send it",
        "Is 'invoice.json' correct?",
    ):
        assert kind_of_edit(task, "summarise") == "review", task
    assert kind_of_edit("Organise costs.csv into totals per kind.", "review") == "organise"
    assert kind_of_edit("Summarise the issues raised in notes.md", "review") == "summarise"


# --- data -----------------------------------------------------------------------------------------


def test_every_faulty_row_is_named_with_its_cause_and_repair(project: Path) -> None:
    out = call(project, "check_csv_rows", path="ledger.csv")
    assert "the number 1,250.00 was split into '1' and '250.00'; write it as \"1,250.00\"" in (
        line(out, 3)
    )
    assert "'Hart, Price and Lowe'" in line(out, 4) and 'quote it: "Hart, Price and Lowe"' in out
    assert "'n/a' in the numeric column 'amount' is not a number" in line(out, 5)
    assert "a duplicate of the row on line 6" in line(out, 7)
    assert "no value for note" in line(out, 8)
    assert line(out, 2) == ""  # the good row is left alone
    (project / "visits.csv").write_text(
        "day,place\n2026-01-01,Leeds\n2026-02-30,York\n03/04/2026,Hull\n2026-01-05,Bath\n",
        encoding="utf-8",
    )
    dated = call(project, "check_csv_rows", path="visits.csv")
    assert "'2026-02-30' in 'day' is not a date that exists" in line(dated, 3)
    assert "'03/04/2026' in the date column 'day' is not written YYYY-MM-DD" in line(dated, 4)


# --- code -----------------------------------------------------------------------------------------


def test_csv_values_used_as_numbers_are_found_with_the_fix(project: Path) -> None:
    out = call(project, "check_python", path="grades.py")
    assert "`points += row['points']`" in line(out, 21) and "TypeError" in line(out, 21)
    assert "float(row['points'])" in line(out, 21)
    # `mark` holds a row's value; `rows` is only probably the rows load() reads: said so.
    assert "when `rows` holds the rows `load()` reads" in line(out, 13)
    assert "`mark > best`" in line(out, 13)  # a row's value compared with a number
    assert line(out, 42) == ""  # converted first: fine


def test_a_result_that_may_be_none_is_found_where_it_is_used(project: Path) -> None:
    out = call(project, "check_python", path="grades.py")
    found = line(out, 32)
    assert "`lookup()`" in found and "returns None" in found and "TypeError" in found
    assert "label" not in out  # label() returns on every path


def test_a_list_changed_while_looped_and_an_index_past_the_end(project: Path) -> None:
    (project / "tidy.py").write_text(
        "def tidy(items, xs):\n"
        "    for it in items:\n"
        "        if not it:\n"
        "            items.remove(it)\n"
        "    for i in range(len(xs) + 1):\n"
        "        print(xs[i])\n"
        "    for i in range(1, len(xs) + 1):\n"
        "        print(xs[i - 1])\n",
        encoding="utf-8",
    )
    out = call(project, "check_python", path="tidy.py")
    assert "`items.remove(it)` changes `items` while the loop on line 2" in line(out, 4)
    assert "IndexError on the last pass" in line(out, 6)
    assert line(out, 8) == ""  # xs[i - 1] stays in range


def test_text_joined_to_a_number_is_a_type_error(project: Path) -> None:
    (project / "label.py").write_text(
        "def label(items):\n"
        "    count = len(items)\n"
        "    name = 'box'\n"
        "    print('Items: ' + count)\n"
        "    print('Name: ' + name)\n"
        "    return 'n=' + str(count)\n",
        encoding="utf-8",
    )
    out = call(project, "check_python", path="label.py")
    assert "count is a number and + does not join a str and a number" in line(out, 4)
    assert "str(count)" in line(out, 4)
    assert line(out, 5) == "" and line(out, 6) == ""


def test_ruff_runs_more_rule_sets_quietly(project: Path) -> None:
    (project / "shop.py").write_text(
        "import json\n\n\ndef add(item, basket=[]):\n    basket.append(item)\n"
        "    if item == None:\n        return baskt\n    return basket\n",
        encoding="utf-8",
    )
    out = call(project, "lint_file", path="shop.py")
    assert "shop.py:4:" in out and "B006" in out
    assert "E711" in out and "F821" in out and "F401" in out
    assert "I001" not in out  # import order is style, not a finding of a review


@pytest.mark.parametrize(
    ("tool", "path", "said"),
    [
        ("fact_check", "link.md", "outside the project root"),
        ("fact_check", "missing.md", "does not exist"),
        ("fact_check", "blob.md", "binary"),
        ("fact_check", "grades.py", "text documents"),
        ("check_csv_rows", "report.md", ".csv"),
        ("check_csv_rows", "../secret.md", "outside the project root"),
        ("check_python", "ledger.csv", "Python files"),
        ("check_python", "link.md", "outside the project root"),
    ],
)
def test_bad_input_is_one_plain_line(project: Path, tool: str, path: str, said: str) -> None:
    out = call(project, tool, path=path)
    assert out.startswith("Error:") and said in out, out
    assert "Traceback" not in out and "\n" not in out.strip()


def test_code_that_does_not_parse_is_said_with_its_line(project: Path) -> None:
    assert call(project, "check_python", path="broken.py").startswith("broken.py:1: ")


# --- the plan, through the real command -----------------------------------------------------------


def test_the_review_cases_pass_through_the_real_command(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    own = sorted((ROOT / "bench" / "help_cases").glob("review-*.yaml"))
    assert len(own) >= 12
    for case in own:
        shutil.copy(case, cases / case.name)
    report = bench_all_pass(cases)
    by_id = {c["id"]: c for c in report["cases"]}
    tools = {call["tool"] for call in by_id["review-newsletter-figures"]["calls"]}
    assert "fact_check" in tools
    assert report["summary"]["seconds_per_task"]["median"] < 0.2


# --- round 2: row formulas, a text against its reference, configuration, counts ------------------

COSTS = """\
role,hours,rate,amount
Tutor,10,30,300
Driver,4,25,100
Cook,6,20,150
Cleaner,5,12,60
Total,,,610
"""


def test_a_row_that_breaks_its_columns_formula_is_named_with_the_right_value(
    project: Path,
) -> None:
    (project / "costs.csv").write_text(COSTS, encoding="utf-8")
    out = call(project, "check_csv_rows", path="costs.csv")
    assert "costs.csv:4: 'Cook': amount should be hours x rate" in out, out
    assert "6 x 20 = 120, but the row says 150 (30 too high)" in out
    # The stated total is the sum of the rows as written; with the row fixed it is 580.
    assert "costs.csv:6: the 'amount' Total row states 610" in out and "add up to 580" in out
    assert "Tutor" not in out and "Driver" not in out


def test_numbers_without_a_common_formula_give_no_formula_finding(project: Path) -> None:
    text = "name,a,b,c\nx,1,7,30\ny,9,2,4\nz,3,3,50\nw,8,1,2\n"
    (project / "plain.csv").write_text(text, encoding="utf-8")
    assert "should be" not in call(project, "check_csv_rows", path="plain.csv")


def test_the_right_total_is_compared_with_a_limit_another_file_states(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    case = {
        "id": "costs-over-cap",
        "workspace": {
            "costs.csv": COSTS,
            "terms.md": "# Terms\nThe grant covers staff costs up to a cap of 550 per term.\n",
        },
        "events": ["The user opens 'costs.csv' and 'terms.md'."],
        "task": "Review 'costs.csv' and tell me whether the corrected total fits 'terms.md'.",
        "kind": "review",
        "expect": {"all": ["580", "30 over the cap of 550", "terms.md` line 2"]},
    }
    (cases / "case.yaml").write_text(json.dumps(case), encoding="utf-8")
    done = proactive("bench", "help", "--cases", str(cases), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["cases"][0]
    assert result["passed"] and result["grounded"], (result["failures"], result["result"])


CONTRACT = """\
# Agreement
Client contact: Dr. Lena Marsh
Start date: 3 August 2026
Fee: 4,000 EUR per month.
Optional on-call cover (500 EUR): not included.
Payment within 14 days.
"""

DRAFT = """\
Dear Ms. Marsh,
We start on 10 August 2026 as agreed.
The fee with on-call cover is 4,500 EUR per month.
Payment within 14 days, and parking costs 8 EUR a day.
"""


def test_a_draft_is_checked_against_the_document_it_quotes(project: Path) -> None:
    (project / "agreement.md").write_text(CONTRACT, encoding="utf-8")
    (project / "draft.md").write_text(DRAFT, encoding="utf-8")
    out = call(project, "check_against", path="draft.md", reference="agreement.md")
    assert "draft.md:1: addresses Ms. Marsh, but agreement.md line 2 names Dr. Lena Marsh" in out
    assert "draft.md:2: says 10 August 2026, but agreement.md line 3 says 3 August 2026" in out
    assert "draft.md:3: 4,500 EUR is 4,000 EUR + 500 EUR added together" in out, out
    assert "not included" in out
    # Agreed facts and amounts the reference says nothing about are left alone.
    assert "14 days" not in line(out, 4) or not line(out, 4)
    assert "8 EUR" not in out
    same = call(project, "check_against", path="agreement.md", reference="agreement.md")
    assert same.startswith("agreement.md: no findings"), same


PROD = """\
service: billing
image: registry.example/billing:latest
replicas: 1
env:
  DEBUG: "true"
  LOG_LEVEL: debug
  API_TOKEN: tok_live_9f8e
  DB_URL: postgres://app:Hunter22@db:5432/billing
  MAIL_PASSWORD: ${MAIL_PASSWORD}
  SENTRY_SECRET: billing-sentry
  VERIFY_SSL: false
  TIMEOUT: 30
"""

STAGE = """\
service: billing
image: registry.example/billing:3.1.4
replicas: 2
env:
  DEBUG: "false"
  LOG_LEVEL: info
  API_TOKEN_SECRET: billing-api-token
  TIMEOUT: 30
"""


def test_a_configuration_is_checked_for_risky_settings_and_against_its_twin(
    project: Path,
) -> None:
    (project / "prod.yaml").write_text(PROD, encoding="utf-8")
    (project / "stage.yaml").write_text(STAGE, encoding="utf-8")
    out = call(project, "check_config", path="prod.yaml", compare="stage.yaml")
    assert "prod.yaml:2: image registry.example/billing:latest is not pinned" in out, out
    assert "such as 3.1.4" in out
    assert "prod.yaml:3: replicas: 1 is a single copy" in out
    assert "prod.yaml:5: DEBUG is true" in out and "prod.yaml:6: LOG_LEVEL is debug" in out
    assert "prod.yaml:7: API_TOKEN holds a secret in plain text" in out
    assert "API_TOKEN_SECRET" in line(out, 7)
    assert "prod.yaml:8: DB_URL holds a password in its URL in plain text" in out
    assert "prod.yaml:11: VERIFY_SSL is false" in out
    # References to stored secrets and settings equal on both sides are not findings.
    assert not line(out, 9) and not line(out, 10) and not line(out, 12)


def test_config_bad_input_is_one_plain_line(project: Path) -> None:
    out = call(project, "check_config", path="link.md")
    assert out.startswith("Error:") and "outside the project root" in out, out
    out = call(project, "check_against", path="clean.md", reference="../secret.md")
    assert out.startswith("Error:") and "outside the project root" in out, out


def test_a_floor_division_count_and_a_range_that_stops_short(project: Path) -> None:
    code = (
        "def send(items, out, chunk=25):\n"
        "    chunks = len(items) // chunk\n"
        "    for n in range(1, chunks):\n"
        "        out.send(items[(n - 1) * chunk : n * chunk])\n"
        "\n"
        "\n"
        "def steps(xs):\n"
        "    return [xs[i] - xs[i - 1] for i in range(1, len(xs))]\n"
        "\n"
        "\n"
        "def deltas(xs):\n"
        "    n = len(xs)\n"
        "    for i in range(1, n):\n"
        "        print(xs[i] - xs[i - 1])\n"
    )
    (project / "chunks.py").write_text(code, encoding="utf-8")
    out = call(project, "check_python", path="chunks.py")
    assert "chunks.py:2: `chunks = len(items) // chunk` rounds down" in out, out
    assert "(chunk defaults to 25)" in out and "-(-len(items) // chunk)" in out
    assert "chunks.py:3: `range(1, chunks)` counts from 1 but stops before chunks" in out
    # A range from 1 whose variable indexes the sequence (pairs of neighbours) is deliberate.
    assert not line(out, 13) and not line(out, 8)


# --- round 3: statements of one document that contradict each other -----------------------------

POLICY = """\
# Lending policy

## Loans
Books may be borrowed for 21 days at a time.
Late fees are 0.50 EUR per day.

## Renewals
Borrowed books are due back after 14 days and can be renewed once.

## Summary
| Rule | Value |
|---|---|
| Late fees, per day | 0.20 EUR |
| Books per card | 8 |
"""

AGREEING = """\
# Lending policy

## Loans
Books may be borrowed for 21 days at a time. Late fees are 0.50 EUR per day.

## Summary
| Rule | Value |
|---|---|
| Late fees, per day | 0.50 EUR |
| Room hire, per hour | 12 EUR |
"""


def test_statements_that_contradict_are_quoted_with_both_sections(project: Path) -> None:
    (project / "policy.md").write_text(POLICY, encoding="utf-8")
    out = call(project, "fact_check", path="policy.md")
    days = line(out, 4)
    assert "contradicts line 8" in days, out
    assert "'## Loans'" in days and "'## Renewals'" in days and "21 days" in days, out
    fees = line(out, 5)
    assert "contradicts line 13" in fees and "0.20 EUR" in fees and "'## Summary'" in fees, out


def test_agreeing_amounts_and_other_subjects_are_no_contradiction(project: Path) -> None:
    (project / "agree.md").write_text(AGREEING, encoding="utf-8")
    out = call(project, "fact_check", path="agree.md")
    assert "contradicts" not in out, out


def test_in_all_before_a_noun_is_not_a_total(project: Path) -> None:
    (project / "rates.md").write_text(
        "# Rates\n\nRooms cost up to 150 EUR per night in all cities.\n\n"
        "| Item | Cost |\n|---|---|\n| Room | 120 |\n| Meals | 45 |\n",
        encoding="utf-8",
    )
    assert "given as the total" not in call(project, "fact_check", path="rates.md")


# --- round 3: arithmetic against its promise, compose ports against the listening port -----------


def test_the_logic_evaluator_works_out_slices_and_counts() -> None:
    import ast as pyast  # noqa: PLC0415

    from backends.local.plans_logic import Seq, _call, _slips  # noqa: PLC0415

    source = (
        "def part(xs, n, size=4):\n"
        '    """Part `n` of xs, 1-based."""\n'
        "    start = n * size\n"
        "    return xs[start:start + size]\n"
    )
    function = pyast.parse(source).body[0]
    assert isinstance(function, pyast.FunctionDef)
    slips, fixed = _slips(function, "")
    assert [s.line for s in slips] == [3] and "(n - 1) * size" in slips[0].message
    assert _call(function, [Seq("xs", 10), 1], {}) == Seq("xs", 10, 4, 8)
    assert _call(fixed, [Seq("xs", 10), 1], {}) == Seq("xs", 10, 0, 4)
    assert _call(fixed, [Seq("xs", 10), 3], {}).shown() == "xs[8:10] (the items 9 to 10, 2 of them)"


def test_halving_and_a_zero_based_index_are_no_slip() -> None:
    import ast as pyast  # noqa: PLC0415

    from backends.local.plans_logic import _slips  # noqa: PLC0415

    source = "def middle(xs, i, size=3):\n    return xs[len(xs) // 2], xs[i * size]\n"
    function = pyast.parse(source).body[0]
    assert isinstance(function, pyast.FunctionDef)
    assert _slips(function, "")[0] == []


def test_code_is_never_run_only_read(tmp_path: Path) -> None:
    import ast as pyast  # noqa: PLC0415

    from backends.local.plans_logic import Seq, _call, _Unsupported  # noqa: PLC0415

    marker = tmp_path / "ran"
    source = f"def page_count(xs):\n    open({str(marker)!r}, 'w')\n    return len(xs) // 2\n"
    function = pyast.parse(source).body[0]
    assert isinstance(function, pyast.FunctionDef)
    with pytest.raises(_Unsupported):
        _call(function, [Seq("xs", 5)], {})
    assert not marker.exists()


# --- round 4: a change's added code, settings against a checklist, plan dependencies, caps ------

PATCH = """\
diff --git a/shop/db.py b/shop/db.py
--- a/shop/db.py
+++ b/shop/db.py
@@ -1,4 +1,18 @@
 import psycopg2
 
 def legacy(cur, name):
     cur.execute(f"SELECT * FROM items WHERE name = '{name}'")
+
+def by_sku(cur, sku):
+    cur.execute("SELECT price FROM items WHERE sku = '%s'" % sku)
+
+def by_tag(cur, tag, shop):
+    cur.execute("SELECT id FROM items WHERE tag = '{}' AND shop = {}".format(tag, shop))
+
+def rename(cur, old, new):
+    try:
+        cur.execute("UPDATE items SET name = %s WHERE name = %s", (new, old))
+    except Exception:
+        pass
"""


def test_a_patch_s_added_sql_is_found_with_the_parameterised_fix(tmp_path: Path) -> None:
    (tmp_path / "change.patch").write_text(PATCH, encoding="utf-8")
    out = call(tmp_path, "review_patch", path="change.patch")
    # The f-string query is a context line the change keeps: not blamed on this change.
    assert "legacy" not in out
    assert 'cur.execute("SELECT price FROM items WHERE sku = %s", (sku,))' in out
    assert 'cur.execute("SELECT id FROM items WHERE tag = %s AND shop = %s", (tag, shop))' in out
    assert "change.patch:11: shop/db.py line 7 in `by_sku`: SQL injection" in out
    assert "in `rename`: the query passes its values as parameters (fine)" in out
    assert "in `rename`: `except Exception` with only `pass` swallows the error" in out
    assert "injection" not in "\n".join(ln for ln in out.splitlines() if "rename" in ln)


def test_a_patch_without_findings_and_a_file_that_is_no_patch(tmp_path: Path) -> None:
    (tmp_path / "ok.diff").write_text(
        "--- a/x.py\n+++ b/x.py\n@@ -0,0 +1,2 @@\n+def f(a):\n+    return a + 1\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.diff").write_text("just some notes\n", encoding="utf-8")
    assert "no findings on the added lines" in call(tmp_path, "review_patch", path="ok.diff")
    out = call(tmp_path, "review_patch", path="notes.diff")
    assert out == "notes.diff: not a unified diff (no '+++' file headers)"
    assert call(tmp_path, "review_patch", path="gone.patch").startswith("Error:")


SETTINGS_YAML = """\
app:
  debug: true
  workers: 2
  log_level: warn
  allowed_origins: ["*", "https://a.example"]
  smtp_password: hunter2
  timeout_s: 90
  name: shop
"""

CHECKLIST = """\
# Go-live checks

1. `debug` must not be `true`.
2. `workers` at least 3.
3. `log_level` is `error` or higher.
4. `allowed_origins` lists only `https://a.example`.
5. The SMTP password comes from the environment variable `SMTP_PASSWORD`.
6. `timeout_s` no more than 120.
7. Backups run nightly.
"""


def test_each_checklist_item_is_checked_with_its_line_and_corrected_setting(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.yaml").write_text(SETTINGS_YAML, encoding="utf-8")
    (tmp_path / "CHECKS.md").write_text(CHECKLIST, encoding="utf-8")
    out = call(tmp_path, "check_checklist", path="app.yaml", checklist="CHECKS.md")
    assert out.splitlines()[0] == "5 checklist item check(s) of CHECKS.md fail in app.yaml"
    assert "app.yaml:2: item 1 fails" in out and "-> debug: false" in out
    assert "app.yaml:3: item 2 fails" in out and "-> workers: 3" in out
    assert "app.yaml:4: item 3 fails" in out and "-> log_level: error" in out
    assert 'allowed_origins: ["https://a.example"]' in out
    assert "app.yaml:6: item 5 fails" in out and 'smtp_password: "${SMTP_PASSWORD}"' in out
    assert "app.yaml:7: item 6 holds: timeout_s: 90" in out
    assert "not checked: item 7 (Backups run nightly.)" in out


def test_a_checklist_of_plain_values_and_bad_input(tmp_path: Path) -> None:
    (tmp_path / "prod.env").write_text("DEBUG=1\nRETRIES=5\nLEVEL=INFO\n", encoding="utf-8")
    (tmp_path / "rules.txt").write_text(
        "- DEBUG must be 0.\n- RETRIES at most 3.\n- LEVEL is INFO or higher.\n", encoding="utf-8"
    )
    (tmp_path / "empty.md").write_text("# Nothing here\n", encoding="utf-8")
    out = call(tmp_path, "check_checklist", path="prod.env", checklist="rules.txt")
    assert "prod.env:1: item 1 fails (DEBUG must be 0.): DEBUG=1 -> DEBUG=0" in out
    assert "RETRIES=5 -> RETRIES=3 (5 is more than 3)" in out
    assert "prod.env:3: item 3 holds: LEVEL=INFO" in out
    empty = call(tmp_path, "check_checklist", path="prod.env", checklist="empty.md")
    assert "no checklist items" in empty
    assert call(tmp_path, "check_checklist", path="x.env", checklist="rules.txt").startswith(
        "Error:"
    )


PLAN_MD = """\
| # | Task | Starts | Ends | Needs |
|---|------|--------|------|-------|
| 1 | Book hall | March 2, 2026 | March 6, 2026 | |
| 2 | Print flyers | March 5, 2026 | March 9, 2026 | 1 |
| 3 | Post flyers | March 10, 2026 | March 12, 2026 | 2 |
| 4 | Rehearse | March 11, 2026 | March 13, 2026 | 3, 9 |
"""


def test_plan_dependencies_in_a_markdown_table_with_calendar_days(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text(PLAN_MD, encoding="utf-8")
    out = call(tmp_path, "check_dependencies", path="plan.md")
    assert "plan.md:4: 2 (Print flyers) starts 2026-03-05 (Thursday), but it depends on 1 " in out
    assert "which ends 2026-03-06 (Friday): 2 could start 2026-03-07 (Saturday)" in out
    assert "plan.md:6: 4 (Rehearse) starts 2026-03-11 (Wednesday), but it depends on 3" in out
    assert "4 (Rehearse) depends on '9', which is no task of the plan" in out
    # Moved to 7 March keeping its 5 days, flyers end on the 11th: posting slips to the 12th.
    assert "3 runs 2026-03-12 to 2026-03-14" in out


def test_work_days_a_same_day_rule_a_cycle_and_no_plan(tmp_path: Path) -> None:
    csv_plan = (
        "id,name,start,end,depends_on\n"
        "a,Design,06/07/2026,10/07/2026,\n"
        "b,Build,10/07/2026,17/07/2026,a\n"
        "c,Test,20/07/2026,21/07/2026,b\n"
    )
    (tmp_path / "p.csv").write_text(csv_plan, encoding="utf-8")
    (tmp_path / "cycle.csv").write_text(
        "id,start,end,after\nx,2026-01-05,2026-01-06,y\ny,2026-01-07,2026-01-08,x\n",
        encoding="utf-8",
    )
    (tmp_path / "list.csv").write_text("name,qty\napples,3\n", encoding="utf-8")
    work = call(tmp_path, "check_dependencies", path="p.csv", rules="Monday to Friday only")
    assert "b could start 2026-07-13 (Monday)" in work
    same = call(tmp_path, "check_dependencies", path="p.csv", rules="may start on the same day")
    assert same.startswith("Every task of p.csv starts after")
    cycle = call(tmp_path, "check_dependencies", path="cycle.csv")
    assert "cycle: x -> y -> x" in cycle
    none = call(tmp_path, "check_dependencies", path="list.csv")
    assert none.startswith("list.csv: no plan with start, end and depends-on columns")


def test_a_code_module_with_a_pr_description_is_not_read_as_a_checklist(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    case = {
        "id": "review-module-with-description",
        "workspace": {
            "sync.py": "def sync(items, size=10):\n    batches = len(items) // size\n"
            "    return [items[i * size:(i + 1) * size] for i in range(batches)]\n",
            "PR.md": "1. Syncs every item.\n2. The size is 10 by default.\n",
        },
        "events": ["The user opens 'sync.py' and 'PR.md'."],
        "task": "Review 'sync.py' for the PR described in 'PR.md'.",
        "kind": "review",
        "expect": {"all": ["sync.py"], "none": ["item 1", "checklist"]},
    }
    (cases / "c.yaml").write_text(json.dumps(case), encoding="utf-8")
    done = proactive("bench", "help", "--cases", str(cases), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["cases"][0]["passed"], report["cases"][0]["result"]


def test_a_hunk_inside_a_method_is_checked_line_by_line(tmp_path: Path) -> None:
    (tmp_path / "mid.patch").write_text(
        "--- a/app/store.py\n+++ b/app/store.py\n@@ -40,6 +40,9 @@ class Store:\n"
        "         self.conn = conn\n \n     def find(self, user):\n"
        '-        return self.conn.execute("SELECT * FROM t WHERE u = ?", (user,))\n'
        "+        try:\n"
        '+            return self.conn.execute("SELECT * FROM t WHERE u = \'" + user + "\'")\n'
        "+        except Exception:\n+            pass\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "review_patch", path="mid.patch")
    assert "mid.patch:9: app/store.py line 44: SQL injection" in out
    assert 'Fix: self.conn.execute("SELECT * FROM t WHERE u = ?", (user,))' in out
    assert "mid.patch:10: app/store.py line 45: `except Exception:` with only `pass`" in out


def test_check_python_names_sql_built_from_values_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "q.py").write_text(
        "import sqlite3\n\n\ndef q(c, n):\n"
        '    return c.execute("SELECT * FROM t WHERE n = {}".format(n))\n',
        encoding="utf-8",
    )
    out = call(tmp_path, "check_python", path="q.py")
    assert "q.py:5: SQL injection" in out
    assert 'Fix: c.execute("SELECT * FROM t WHERE n = ?", (n,))' in out


def test_a_plan_with_durations_and_a_checklist_of_switch_states(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(
        "key,task,start,duration,after\nK1,Order parts,2026-09-07,5,\n"
        "K2,Assemble,2026-09-10,3,K1\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "check_dependencies", path="p.csv", rules="weekdays only")
    assert "K1 (Order parts), which ends 2026-09-11 (Friday)" in out
    assert "K2 could start 2026-09-14 (Monday)" in out
    (tmp_path / "s.toml").write_text("debug = true\nhsts = off\ncache = on\n", encoding="utf-8")
    (tmp_path / "c.md").write_text(
        "- `debug` disabled.\n- `hsts` turned on.\n- `cache` enabled.\n", encoding="utf-8"
    )
    out = call(tmp_path, "check_checklist", path="s.toml", checklist="c.md")
    assert "s.toml:1: item 1 fails (`debug` disabled.): debug = true -> debug = false" in out
    assert "hsts = off -> hsts = on" in out
    assert "s.toml:3: item 3 holds: cache = on" in out


def test_a_checklist_written_as_a_table(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text(
        "| Setting | Required | Why |\n|---|---|---|\n| replicas | at least 3 | HA |\n"
        "| tls | `true` | |\n| image_tag | not latest | pin |\n| region | eu-west-1 | data |\n",
        encoding="utf-8",
    )
    (tmp_path / "d.yaml").write_text(
        "replicas: 2\ntls: false\nimage_tag: latest\nregion: eu-west-1\n", encoding="utf-8"
    )
    out = call(tmp_path, "check_checklist", path="d.yaml", checklist="t.md")
    assert "d.yaml:1: item 1 fails (`replicas` at least 3): replicas: 2 -> replicas: 3" in out
    assert "d.yaml:2: item 2 fails (`tls` must be `true`): tls: false -> tls: true" in out
    assert "d.yaml:3: item 3 fails (`image_tag` not latest): image_tag: latest (it is latest" in out
    assert "d.yaml:4: item 4 holds: region: eu-west-1" in out
