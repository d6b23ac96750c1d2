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
from tests.help_bench import call
from tools.schedules import CronError, describe

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
    assert "runs /bin/backup at 00:00, every day (once a day on those days)." in out
    assert "MAILTO" not in out
    with pytest.raises(CronError):
        describe("* * *")
    assert call(tmp_path, "explain_schedule", path="../etc/passwd").startswith("Error:")


def test_each_entry_says_how_many_times_it_runs_on_its_days(tmp_path: Path) -> None:
    (tmp_path / "jobs.cron").write_text(
        "*/15 8-11 * * 1-5 /bin/poll\n0 */8 * * * /bin/sync\n5 4 * * 0 /bin/weekly\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "explain_schedule", path="jobs.cron")
    assert "runs /bin/poll every 15 minutes" in out and "(16 times a day on those days)" in out
    assert "/bin/sync every 8 hours" in out and "(3 times a day on those days)" in out
    assert "(once a day on those days)" in out


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


def test_unnamed_ranges_read_the_csv_the_formula_file_names_and_dates_compare(
    tmp_path: Path,
) -> None:
    (tmp_path / "visits.csv").write_text(
        "Clinic,Day,Patients\nEast,2025-11-28,12\nEast,2025-12-02,7\nWest,2025-12-03,9\n"
        "East,2025-12-15,5\n",
        encoding="utf-8",
    )
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "cell.txt").write_text(
        'Cell D4 of the dashboard:\n=SUMIFS(C:C, A:A, "East", B:B, ">="&DATE(2025,12,1))\n'
        "Data columns as in visits.csv.\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "evaluate_formula", path="cell.txt")
    assert "= 12.00: SUMIFS of Patients (column C)" in out, out
    assert "Day (column B) is '>=2025-12-01'" in out
    assert "visits.csv:2: East,2025-11-28,12 (Day is '2025-11-28', not '>=2025-12-01')" in out
    # Two CSV files and none named: which sheet is meant is not guessed.
    (tmp_path / "cell.txt").write_text("=SUM(C:C)\n", encoding="utf-8")
    assert "no CSV export of the sheet '(this sheet)' found" in call(
        tmp_path, "evaluate_formula", path="cell.txt"
    )


# --- plain numbers, parameters named by the need, the source named first -------------------------


def test_a_file_of_plain_numbers_is_one_column_and_an_even_median_is_shown(tmp_path: Path) -> None:
    (tmp_path / "waits.txt").write_text("7\n3\n\n12\n5\n", encoding="utf-8")
    out = call(tmp_path, "apply_to_column", name="statistics.median", path="waits.txt")
    assert out.startswith("statistics.median(the numbers of waits.txt) = 6.0"), out
    assert "the two middle values are 5 and 7; their average (5 + 7) / 2 = 6.0" in out
    low = call(tmp_path, "apply_to_column", name="statistics.median_low", path="waits.txt")
    assert "= 5" in low and "median_low takes the lower one" in low
    (tmp_path / "waits.txt").write_text("7\nn/a\n", encoding="utf-8")
    bad = call(tmp_path, "apply_to_column", name="statistics.median", path="waits.txt")
    assert bad == "Error: waits.txt holds 'n/a', not a number (name a CSV column)"


def test_a_parameter_the_need_names_part_by_part_is_chosen(tmp_path: Path) -> None:
    need = "make it raise when the command fails\ncapture the command's error output to log it"
    out = call(tmp_path, "docs_for_need", name="subprocess.run", need=need, other_functions=False)
    assert "check=True" in out and "capture_output=True" in out, out


@pytest.mark.parametrize(
    "task",
    [
        "Using the Python documentation of subprocess.run, explain how to make sync in 'mirror.py' "
        "raise an error when rsync fails",
        "Using the documentation of json.loads, show why 'load.py' fails on the NaN values",
        "According to the docs of csv.DictReader, say what happens to extra fields",
    ],
)
def test_a_task_that_names_the_documentation_first_is_a_look_up(task: str) -> None:
    from backends.local.task_subjects import kind_of_edit  # noqa: PLC0415

    assert kind_of_edit(task, "review") == "lookup_docs"


# --- logging configurations ----------------------------------------------------------------------


def test_a_log_call_is_followed_through_logger_handler_levels_and_propagation(
    tmp_path: Path,
) -> None:
    (tmp_path / "log.ini").write_text(
        "[loggers]\nkeys=root,jobs\n\n[handlers]\nkeys=out,disk\n\n[logger_root]\n"
        "level=DEBUG\nhandlers=out\n\n[logger_jobs]\nlevel=INFO\nhandlers=disk\n"
        "qualname=jobs\npropagate=0\n\n[handler_out]\nclass=StreamHandler\nlevel=DEBUG\n\n"
        "[handler_disk]\nclass=FileHandler\nlevel=ERROR\n",
        encoding="utf-8",
    )
    (tmp_path / "run.py").write_text(
        'import logging\nlog = logging.getLogger("jobs.nightly")\nlog.info("started")\n'
        'log.error("failed")\nlogging.debug("plain")\n',
        encoding="utf-8",
    )
    out = call(tmp_path, "trace_logging", config_file="log.ini", script="run.py", message="fail")
    first = out.splitlines()[1]
    assert first.startswith('run.py line 4: log.error("failed")'), out  # asked-about first
    assert "logger 'jobs.nightly' lets INFO through (level=INFO of 'jobs' (log.ini line 12))" in out
    assert (
        "handler 'disk' (FileHandler) of logger 'jobs' drops it: INFO is below its level ERROR "
        "(log.ini line 23: level=ERROR)"
    ) in out
    assert "logger 'jobs' does not propagate (log.ini line 15: propagate=0)" in out
    assert "run.py line 5: logging.debug(\"plain\"): a DEBUG record of logger 'root'" in out
    assert "handler 'out' (StreamHandler) of logger 'root' writes it" in out
    # Not a logging configuration, or a path out of the root: one plain line.
    (tmp_path / "other.json").write_text('{"name": 1}', encoding="utf-8")
    bad = call(tmp_path, "trace_logging", config_file="other.json", script="run.py")
    assert bad == "Error: other.json holds no logging configuration (loggers, root, handlers)"
    out = call(tmp_path, "trace_logging", config_file="../log.ini", script="run.py")
    assert out.startswith("Error:") and "\n" not in out
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    (tmp_path / "bomb.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    out = call(tmp_path, "trace_logging", config_file="bomb.yaml", script="run.py")
    assert out.startswith("Error: bomb.yaml: refused, its aliases expand") and "\n" not in out


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
    "docs-libraries-a-script-uses",
    "explain-cron-reports",
    "explain-cron-nicknames",
    "explain-regex-access-log",
    "explain-formula-countifs-shifts",
    "explain-formula-file-averageif",
    "docs-makedirs-exist-ok",
    "docs-math-trunc-instead",
    "explain-trace-poll-backoff",
    "docs-statistics-mean-column",
    "docs-run-capture-check-archive",
    "docs-median-plain-readings",
    "explain-cron-runs-per-day",
    "explain-formula-unnamed-sheet-dates",
    "explain-default-dict-remembers",
    "explain-logging-dictconfig-propagate",
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
    assert {"trace_function", "apply_to_column", "trace_logging", "check_python"} <= tools
    assert report["summary"]["seconds_per_task"]["median"] < 0.2
