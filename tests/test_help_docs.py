"""Documentation look-ups and explanations that answer the question: the arguments (with the
value the docs give) and the sibling functions whose installed documentation matches the
person's need, with the project's call changed; crontab entries said in plain words; spreadsheet
formulas worked out against the sheet's CSV export; a log filter's regex run over the person's
own log lines. The tools run as both planners call them (`build_tools` + `ToolRunner`); the
plans through the real `proactive bench help` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive
from tools import ToolRunner, build_tools
from tools.schedules import CronError, describe


def call(project: Path, tool: str, **args: object) -> str:
    runner = ToolRunner(build_tools(project))
    done = runner.call(tool, args)
    assert done.ok or done.output.startswith("Error:"), done.output
    return done.output


# --- arguments and functions from the installed docs ----------------------------------------------


def test_arguments_are_chosen_by_their_own_documentation_with_its_values(tmp_path: Path) -> None:
    need = (
        "- the keys come out unsorted, so two runs differ\n"
        '- "Zoë" is written as "Zo\\u00eb"\n'
        "- the file should have no spaces after commas or colons\n"
    )
    out = call(tmp_path, "docs_for_need", name="json.dumps", need=need, other_functions=False)
    assert "sort_keys=True" in out and "ensure_ascii=False" in out
    assert "separators=(',', ':')" in out  # the literal the docs give for compact output
    assert "indent=" not in out and "skipkeys" not in out  # shared words alone choose nothing
    assert "Other functions" not in out
    # "raise an error if exist_ok is False": the default named to say what it does.
    out = call(tmp_path, "docs_for_need", name="os.makedirs", need="fails when it already exists")
    assert "exist_ok=True" in out


def test_a_sibling_function_is_found_from_its_docstring(tmp_path: Path) -> None:
    need = "the copies lose their modification time; which shutil function to use instead"
    out = call(tmp_path, "docs_for_need", name="shutil.copy", need=need)
    first = out.split("Other functions", 1)[1].splitlines()[1]
    assert first.startswith("- shutil.copy2(") and "metadata" in first  # the drop-in first
    assert "copystat" in out and "0x" not in out  # a default function shown by name


def test_docs_for_need_refuses_what_is_not_installed(tmp_path: Path) -> None:
    out = call(tmp_path, "docs_for_need", name="not_a_module.thing", need="anything")
    assert out.startswith("Error:") and "\n" not in out


def test_only_pure_functions_are_applied_to_a_column(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("x,y\n1,a\n4,b\n", encoding="utf-8")
    out = call(tmp_path, "apply_to_column", name="statistics.median", path="t.csv", column="x")
    assert out.startswith("statistics.median(column 'x' of t.csv) = 2.5")
    # A function that touches files is never called on the person's data.
    (tmp_path / "keep.txt").write_text("k", encoding="utf-8")
    refused = call(tmp_path, "apply_to_column", name="os.remove", path="t.csv", column="x")
    assert refused.startswith("Error: only functions of math, statistics")
    assert (tmp_path / "keep.txt").exists()
    bad = call(tmp_path, "apply_to_column", name="statistics.mean", path="t.csv", column="y")
    assert bad == "Error: t.csv column 'y' holds 'a'"
    missing = call(tmp_path, "apply_to_column", name="statistics.mean", path="t.csv", column="z")
    assert missing == "Error: t.csv has no column 'z' (columns: x, y)"


# --- crontab --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("30 2 * * 1-5", "at 02:30, on Monday to Friday (weekdays)"),
        ("0 */6 * * *", "every 6 hours, at 00:00, 06:00, 12:00 and 18:00, every day"),
        ("15 9 1 * *", "at 09:15, on the 1st of every month"),
        ("*/10 * * * *", "every 10 minutes, all day, every day"),
        ("0 22 * jan,jul 0,6", "at 22:00, on Saturday and Sunday (weekends) in January and July"),
        ("0 12 13 * 5", "at 12:00, on the 13th of every month or on Friday"),  # cron's OR rule
        ("0 8-17 * * *", "every hour from 08:00 to 17:00, every day"),
    ],
)
def test_cron_fields_are_said_in_plain_words(when: str, words: str) -> None:
    assert describe(when) == words


def test_a_bad_crontab_line_is_named_and_the_rest_explained(tmp_path: Path) -> None:
    (tmp_path / "jobs.cron").write_text(
        "MAILTO=a@example.org\n61 * * * * /bin/true\n@daily /bin/backup\n", encoding="utf-8"
    )
    out = call(tmp_path, "explain_schedule", path="jobs.cron")
    assert "jobs.cron:2:" in out and "minute field value '61' is not between 0 and 59" in out
    assert "runs /bin/backup at 00:00, every day." in out
    assert "MAILTO" not in out
    with pytest.raises(CronError):
        describe("* * *")
    assert call(tmp_path, "explain_schedule", path="../etc/passwd").startswith("Error:")


# --- spreadsheet formulas -------------------------------------------------------------------------


def test_a_formula_is_worked_out_against_the_sheet_with_the_rows_left_out(tmp_path: Path) -> None:
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "sales.csv").write_text(
        "Day,Region,Amount,State\n1,North,10.50,Paid\n2,North,4.00,Open\n3,South,7,Paid\n"
        "4,North,2.25,Paid\n",
        encoding="utf-8",
    )
    (tmp_path / "books" / "totals.txt").write_text(
        'A2: North\nB2: =SUMIFS(Sales!C:C, Sales!B:B, A2, Sales!D:D, "Paid")\n'
        'B3: =MEDIAN(Sales!C:C)\nB4: =SUMIF(Nowhere!A:A, "x", Nowhere!B:B)\n',
        encoding="utf-8",
    )
    out = call(tmp_path, "evaluate_formula", path="books/totals.txt")
    assert "= 12.75: SUMIFS of Amount (column C)" in out
    assert "Region (column B) is A2 = 'North'" in out
    assert "books/sales.csv:3: 2,North,4.00,Open (State is 'Open', not 'Paid')" in out
    assert "MEDIAN is not one this tool works out" in out  # said plainly, not guessed
    assert "no CSV export of the sheet 'Nowhere' found" in out
    typed = call(tmp_path, "evaluate_formula", formula='=COUNTIF(Sales!D:D, "<>Paid")')
    assert "= 1:" in typed


# --- a regex over the person's own lines ----------------------------------------------------------


def test_each_log_line_is_kept_or_dropped_with_the_piece_it_fails_at(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text(
        'import re\nP = re.compile(r"^(INFO|WARN) (\\d+)$")\nP.match("x")\n', encoding="utf-8"
    )
    (tmp_path / "a.log").write_text("INFO 12\nWARNING 3\nWARN x\n", encoding="utf-8")
    out = call(tmp_path, "explain_regex", path="f.py", lines_path="a.log")
    assert "1 line kept, 2 dropped" in out
    assert "- line 1: INFO 12" in out
    assert "- line 2: WARNING 3: fails at \" \" (a space) after 'WARN', where the line has" in out
    assert "- line 3: WARN x: fails at" in out
    outside = tmp_path.parent / f"{tmp_path.name}-outside.log"
    outside.write_text("INFO 1\n", encoding="utf-8")
    (tmp_path / "link.log").symlink_to(outside)
    assert call(tmp_path, "explain_regex", path="f.py", lines_path="link.log").startswith("Error:")


# --- a backoff loop traced with the project's settings ------------------------------------------


RETRY = """\
import time


def retry(fn, tries, pause, cap=5):
    for i in range(tries):
        try:
            return fn()
        except OSError:
            if i == tries - 1:
                raise
            time.sleep(min(pause * 2 ** i, cap))
"""


def test_a_retry_loop_is_traced_with_the_settings_its_caller_reads(tmp_path: Path) -> None:
    (tmp_path / "retry.py").write_text(RETRY, encoding="utf-8")
    (tmp_path / "app.ini").write_text("[net]\ntries = 4\npause = 1\n", encoding="utf-8")
    (tmp_path / "main.py").write_text(
        "import configparser\nfrom retry import retry\nc = configparser.ConfigParser()\n"
        "s = c['net']\nretry(print, s.getint('tries'), s.getfloat('pause'))\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "trace_function", path="retry.py", function="retry")
    assert "tries = 4 from app.ini (tries = 4)" in out and "cap = 5 (its default)" in out
    assert "fn is called 4 times." in out
    assert "It sleeps 3 times: 1 + 2 + 4 = 7 seconds in total." in out
    assert "raises the OSError it caught again" in out
    # Code it cannot follow is said, not guessed; the person's code is never run.
    (tmp_path / "io.py").write_text(
        "def go(fn):\n    open('/tmp/x', 'w')\n    fn()\n", encoding="utf-8"
    )
    assert "Not traced to the end: line 2: the call open() is not followed" in call(
        tmp_path, "trace_function", path="io.py", function="go"
    )
    assert call(tmp_path, "trace_function", path="retry.py", function="nope").startswith("Error:")
    (tmp_path / "bomb.py").write_text("def b(fn):\n    x = 10 ** 10 ** 10\n    fn()\n")
    out = call(tmp_path, "trace_function", path="bomb.py", function="b")
    assert "a power too large to work out" in out


# --- through the real command ---------------------------------------------------------------------

OWN_CASES = (
    "explain-cron-reports",
    "explain-cron-nicknames",
    "explain-regex-access-log",
    "explain-formula-countifs-shifts",
    "explain-formula-file-averageif",
    "docs-makedirs-exist-ok",
    "docs-math-trunc-instead",
    "explain-trace-poll-backoff",
    "docs-statistics-mean-column",
)


def test_the_project_cases_of_these_capabilities_pass_grounded(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in OWN_CASES:
        shutil.copy(ROOT / "bench" / "help_cases" / f"{name}.yaml", cases)
    done = proactive("bench", "help", "--cases", str(cases), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["cases"]) == len(OWN_CASES)
    failing = {c["id"]: (c["failures"], c["result"]) for c in report["cases"] if not c["passed"]}
    assert not failing, failing
    assert all(c["grounded"] for c in report["cases"]), [c["ungrounded"] for c in report["cases"]]
    tools = {call["tool"] for c in report["cases"] for call in c["calls"]}
    assert {"explain_schedule", "evaluate_formula", "docs_for_need", "explain_regex"} <= tools
    assert {"trace_function", "apply_to_column"} <= tools
    assert report["summary"]["seconds_per_task"]["median"] < 0.2
