"""Explanations and example-finding that analyse the code and the documents: call sites filtered
by the keywords they pass (open()'s binary mode and pathlib's text I/O known), an import cycle
traced in the order Python runs it, a regular expression explained from Python's own parse with
samples really run, a function explained with its library calls' documentation, and a term's
mentions across notes and emails in date order. The tools run as both planners call them
(`build_tools` + `ToolRunner`); the plans through the real `proactive bench help` command."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from backends.local.plans_code import read_code_query
from backends.local.task_subjects import kind_of_edit
from tests.conftest import ROOT, proactive
from tests.help_bench import bench_all_pass, call

EXTRACT = """\
import csv
from pathlib import Path


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def read_header(path):
    with open(path) as f:
        return f.readline()


def read_positional(path):
    with open(path, "r", -1, "utf-8") as f:
        return f.read()


def read_image(path):
    with open(path, "rb") as f:
        return f.read()


def read_any(path, **options):
    with open(path, **options) as f:
        return f.read()


def note(path):
    Path(path).write_text("done")
    return Path(path).read_text(encoding="utf-8")
"""

MODELS = """\
from app.services import notify


class Order:
    def place(self):
        notify(self)
"""

SERVICES = """\
from typing import TYPE_CHECKING

from app.models import Order

if TYPE_CHECKING:
    from app.main import App


def notify(order: Order) -> None:
    print(order)
"""

VALIDATORS = """\
import re

CODE_RE = re.compile(r"^(?P<area>[A-Z]{2})-(\\d{3,4})$", re.IGNORECASE)


def check(text):
    found = CODE_RE.match(text)
    if found is None:
        return None
    area, number = found.groups()
    return area, number
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "etl").mkdir(parents=True)
    (root / "etl" / "extract.py").write_text(EXTRACT, encoding="utf-8")
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "models.py").write_text(MODELS, encoding="utf-8")
    (root / "app" / "services.py").write_text(SERVICES, encoding="utf-8")
    (root / "app" / "main.py").write_text("from app.models import Order\n", encoding="utf-8")
    (root / "validators.py").write_text(VALIDATORS, encoding="utf-8")
    (root / "test_validators.py").write_text(
        "from validators import check\n\n\ndef test_codes():\n"
        "    assert check('ab-123')\n    assert check('ABC-1') is None\n",
        encoding="utf-8",
    )
    (root / "notes").mkdir()
    (root / "notes" / "2026-03-02-sync.md").write_text(
        "# Sync\n- Kestrel: the quote is 5,400.\n- The kestrels nest on the roof.\n",
        encoding="utf-8",
    )
    (root / "notes" / "log.md").write_text(
        "# Log\n\n## 20 Feb 2026\n- Kestrel asked for the floor plans.\n\n"
        "## 9 March 2026\n- Signed with Kestrel for 5,100.\n",
        encoding="utf-8",
    )
    (root / "mail.txt").write_text(
        "From: Ana\nDate: Thu, 5 Mar 2026 10:00\n\nKestrel can start on 1 April.\n",
        encoding="utf-8",
    )
    (root / "undated.txt").write_text("Kestrel, someday.\n", encoding="utf-8")
    (root / "blob.md").write_bytes(b"Kestrel\x00\x01")
    (tmp_path / "secret.md").write_text("Kestrel password hunter2\n", encoding="utf-8")
    (root / "link.md").symlink_to(tmp_path / "secret.md")
    (tmp_path / "outside.py").write_text("open('x')\n", encoding="utf-8")
    (root / "escape.py").symlink_to(tmp_path / "outside.py")
    return root


def group(output: str, title: str) -> str:
    """The lines under the group whose header contains `title`."""
    part = output.split(title, 1)[1]
    return part.split("\nCalls of ", 1)[0]


# --- call sites -----------------------------------------------------------------------------------


def test_open_calls_without_encoding_know_binary_positional_and_pathlib(project: Path) -> None:
    out = call(project, "find_calls", name="open", path="etl/", without_keyword="encoding=")
    missing = group(out, "without encoding=: 2")
    assert "etl/extract.py:11: with open(path) as f:  -- in read_header()" in missing
    assert "etl/extract.py:31: Path(path).write_text" in missing  # pathlib text I/O
    binary = group(out, "binary mode, where encoding= does not apply: 1")
    assert "etl/extract.py:21:" in binary
    passing = group(out, "already passing encoding=: 3")
    # Passed by position (open's fourth parameter) counts as passed.
    assert "etl/extract.py:16:" in passing and "etl/extract.py:32:" in passing
    assert "etl/extract.py:26:" in group(out, "passing **kwargs (may hold encoding=)")
    assert "outside.py" not in out and "escape.py" not in out  # a symlink out is not followed


def test_calls_resolve_imports_and_keep_those_passing_a_keyword(tmp_path: Path) -> None:
    (tmp_path / "deploy.py").write_text(
        "import subprocess\nfrom subprocess import run as sh\n\n\n"
        "def a():\n    subprocess.run(['x'], check=True)\n\n\n"
        "def b():\n    sh(['y'])\n",
        encoding="utf-8",
    )
    without = call(tmp_path, "find_calls", name="subprocess.run", without_keyword="check")
    assert "deploy.py:10: sh(['y'])  -- in b()" in group(without, "without check=: 1")
    with_ = call(tmp_path, "find_calls", name="subprocess.run", with_keyword="check")
    assert "deploy.py:6:" in group(with_, "passing check=: 1")
    assert "No call of nothing_here(" in call(tmp_path, "find_calls", name="nothing_here")


def test_sql_built_by_formatting_is_found_directly_and_through_a_variable(tmp_path: Path) -> None:
    (tmp_path / "q.py").write_text(
        "def f(c, n):\n    sql = 'SELECT ' + n\n    c.execute(sql)\n    q = 'SELECT 1'\n"
        "    c.execute(q)\n    c.execute(f'{n}')\n    c.execute('? = ?', (n, n))\n"
        "    c.execute('%s' % n)\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "find_calls", name=".execute", formatted_argument=True)
    built = group(out, "with a first argument built by string formatting: 3")
    assert "q.py:3: c.execute(sql)  -- in f(); first argument sql, built by string " in built
    assert "q.py:6:" in built and "built by an f-string" in built
    assert "q.py:8:" in built and "% formatting" in built
    plain = group(out, "with a plain first argument: 2")
    assert "q.py:5:" in plain and "q.py:7:" in plain


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ({"name": "open; rm -rf /"}, "is not a function or method name"),
        ({"name": "open", "path": "../"}, "outside the project root"),
        ({"name": "open", "path": "nowhere/"}, "does not exist"),
        ({"name": "open", "without_keyword": "a b"}, "is not a keyword argument name"),
    ],
)
def test_bad_call_queries_are_one_plain_line(project: Path, args: dict, said: str) -> None:
    out = call(project, "find_calls", **args)
    assert out.startswith("Error:") and said in out and "\n" not in out.strip(), out


DEFINITIONS = """\
import requests as rq
from requests.auth import Basic


class Csv(Exporter):
    pass


class Pdf(base.Exporter):
    pass


class Note:
    "Not an Exporter, and not about requests."


def save(path: Path, rows):
    pass


def load(path, *, strict=False):
    pass
"""


def test_imports_subclasses_and_parameters_come_from_the_syntax_tree(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(DEFINITIONS, encoding="utf-8")
    imports = call(tmp_path, "find_definitions", name="requests", relation="imports")
    assert imports.splitlines()[0] == "Imports of requests under the project: 2"
    subclasses = call(tmp_path, "find_definitions", name="Exporter", relation="subclasses")
    assert "a.py:5: class Csv(Exporter):" in subclasses and "a.py:9:" in subclasses
    assert "Note" not in subclasses
    by_type = call(tmp_path, "find_definitions", name="Path", relation="parameter")
    assert by_type.splitlines()[1] == "a.py:17: def save(path: Path, rows):  -- save(path: Path)"
    by_name = call(tmp_path, "find_definitions", name="strict", relation="parameter")
    assert "a.py:21:" in by_name and "a.py:17:" not in by_name
    bad = call(tmp_path, "find_definitions", name="x", relation="callers")
    assert bad.startswith("Error: relation must be one of") and "\n" not in bad


# --- import cycles ------------------------------------------------------------------------------


def test_an_import_cycle_is_traced_from_the_entry_in_the_order_python_runs(
    project: Path,
) -> None:
    out = call(project, "import_cycles", entry="app/main.py")
    assert "Import cycle: app/models.py -> app/services.py -> app/models.py" in out
    steps = out.split("step by step:")[1]
    assert steps.index("app/main.py:1:") < steps.index("app/models.py:1:")
    assert steps.index("app/models.py:1:") < steps.index("app/services.py:3:")
    assert "Order is defined at app/models.py:4, after line 1, so it is not defined yet" in out
    # The import under TYPE_CHECKING never runs: app.main is no part of the cycle.
    assert "app/services.py:6" not in out
    assert "notify is used at line 6 in Order.place(); used only inside functions" in out
    assert "Order is used at line 9 in notify(); used only in type annotations" in out


def test_no_cycle_and_a_bad_entry_are_said_plainly(project: Path) -> None:
    assert call(project, "import_cycles", path="etl/").startswith(
        "No import cycle among the 1 Python modules under etl/."
    )
    out = call(project, "import_cycles", entry="notes/log.md")
    assert out.startswith("Error:") and "is not a Python module" in out


# --- regular expressions ------------------------------------------------------------------------


def test_a_regex_is_explained_piece_by_piece_and_samples_really_run(project: Path) -> None:
    out = call(project, "explain_regex", path="validators.py")
    assert "validators.py:3: CODE_RE = re.compile(" in out
    assert "flag IGNORECASE: letters match in either case" in out
    assert "group 1 named 'area' (the code calls it area), captured:" in out
    assert '"[A-Z]{2}": exactly two of: one character: A to Z' in out
    assert '"\\d{3,4}": three or four of: a digit' in out
    assert "group 2 (the code calls it number)" in out
    # The samples come from the test that imports the module; each verdict is re's own.
    pattern = re.compile(r"^(?P<area>[A-Z]{2})-(\d{3,4})$", re.IGNORECASE)
    assert "accepts: 'ab-123'" in out and pattern.match("ab-123")
    assert "rejects: 'ABC-1'" in out and not pattern.match("ABC-1")


def test_a_pattern_that_could_backtrack_forever_is_not_run(project: Path) -> None:
    out = call(project, "explain_regex", pattern=r"^(a+)+$", samples=["a" * 50 + "b"])
    assert "samples not run" in out and "one or more of this:" in out
    bad = call(project, "explain_regex", pattern="(unclosed")
    assert bad.startswith("Error: the pattern does not compile") and "\n" not in bad


# --- mentions -----------------------------------------------------------------------------------


def test_mentions_are_dated_by_heading_date_line_or_file_name_in_date_order(
    project: Path,
) -> None:
    out = call(project, "find_mentions", term="Kestrel")
    lines = [ln for ln in out.splitlines() if ":" in ln and " -- " in ln]
    assert [ln.split(" -- ")[1][:10] for ln in lines[:4]] == [
        "2026-02-20",  # a dated heading
        "2026-03-02",  # the file's name
        "2026-03-05",  # an email's Date: line
        "2026-03-09",
    ]
    assert lines[-1].startswith("undated.txt:1:") and lines[-1].endswith("undated")
    assert "kestrels nest" not in out  # a whole word only
    (project / "vendors.md").write_text(
        "# Vendors\n\n## Kestrel\n- Quote 5,400.\n\n## Other\n- x\n"
        "2026-04-01 call: Kestrel on site.\n",
        encoding="utf-8",
    )
    out = call(project, "find_mentions", term="kestrel", path="vendors.md")
    # A heading's mention brings its section; a line that starts with a date dates itself.
    assert "vendors.md:3: ## Kestrel  -- undated\n  | vendors.md:4: - Quote 5,400." in out
    assert "vendors.md:8: 2026-04-01 call: Kestrel on site.  -- 2026-04-01" in out
    assert "hunter2" not in out and "blob.md" not in out  # no symlink out, no binary file


# --- the plans: reading the task ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "names", "without", "with_", "folder"),
    [
        (
            "Find every place in 'etl/' that opens a file in text mode without passing encoding=.",
            ("open",),
            "encoding",
            "",
            "etl/",
        ),
        (
            "List all calls of requests.get that do not pass a timeout.",
            ("requests.get",),
            "timeout",
            "",
            ".",
        ),
        (
            "Find all subprocess.run calls that do not pass check=.",
            ("subprocess.run",),
            "check",
            "",
            ".",
        ),
        (
            "Show every `cursor.execute(` call with params= in 'db.py'.",
            ("cursor.execute",),
            "",
            "params",
            "db.py",
        ),
    ],
)
def test_a_code_query_is_read_from_the_task(
    task: str, names: tuple[str, ...], without: str, with_: str, folder: str
) -> None:
    query = read_code_query(task, [])
    assert query is not None
    assert set(names) <= set(query.names)
    assert (query.without, query.with_, query.folder) == (without, with_, folder)


@pytest.mark.parametrize(
    ("task", "relation", "name"),
    [
        ("List all classes that subclass Exporter.", "subclasses", "Exporter"),
        ("Which classes inherit from BaseModel?", "subclasses", "BaseModel"),
        ("Find every function that takes a Path.", "parameter", "Path"),
        ("Find every module that imports requests.", "imports", "requests"),
    ],
)
def test_a_structural_query_is_read_from_the_task(task: str, relation: str, name: str) -> None:
    query = read_code_query(task, [])
    assert query is not None and (query.relation, query.names) == (relation, (name,))


def test_a_plain_request_for_examples_is_no_code_query() -> None:
    assert read_code_query("Find examples of how parse_date is used in this project.", []) is None
    assert kind_of_edit("Find every call of open( without encoding=", "lookup_docs") == (
        "find_examples"
    )
    assert kind_of_edit("Find every note that mentions Kestrel.", "organise") == "find_examples"
    assert kind_of_edit("Explain why groupby splits one customer in two.", "organise") == "explain"
    assert kind_of_edit("Find the documentation of csv.DictReader.", "x") == "lookup_docs"


# --- the plans, through the real command ----------------------------------------------------------


OWN_CASES = (
    "find-http-calls-without-timeout",
    "find-subprocess-run-check",
    "find-text-io-without-encoding",
    "find-supplier-mentions-emails",
    "find-term-mentions-minutes",
    "explain-import-cycle-package",
    "explain-log-regex-named-groups",
    "explain-quoted-regex",
    "explain-re-match-function",
    "find-subclasses-and-takers",
    "find-imports-of-module",
    "find-sql-built-by-formatting",
    "explain-invoice-rounding",
    "find-fixme-comments-plugin",
    "find-handles-left-open",
    "find-calls-with-keyword-value",
    "find-client-mentions-alias",
    "find-mentions-alias-in-notes",
    "find-letters-where-i-said-no",
    "find-loans-overdue-deposit",
)


def test_the_plans_do_the_work_through_the_real_command(tmp_path: Path) -> None:
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
    assert {"find_calls", "find_definitions", "find_mentions", "import_cycles"} <= tools
    assert "explain_regex" in tools
    assert "code_markers" in tools
    assert {"find_statements", "filter_rows"} <= tools
    assert report["summary"]["seconds_per_task"]["median"] < 0.2


# --- marker comments, handles left open, keyword values, aliases -------------------------------

MARKED = """\
LIMIT = 3  # TODO: read from the settings


class TodoQueue:
    def pop(self):
        text = "TODO inside a string is no comment"
        return text  # FIXME(ana): empty queue raises

    def todo_count(self):
        return 0
"""

HANDLES = """\
import sqlite3
from pathlib import Path


def load(path):
    data = open(path).read()
    return data


def save(path, text):
    out = open(path, "w")
    out.write(text)
    out.close()


def query(db):
    conn = sqlite3.connect(db)
    return conn.execute("select 1").fetchall()


def safe(path):
    with open(path) as f:
        return f.read() + Path(path).read_text()
"""


def test_markers_are_comments_only_with_their_function(tmp_path: Path) -> None:
    (tmp_path / "queue.py").write_text(MARKED, encoding="utf-8")
    (tmp_path / "todo.md").write_text("TODO: prose, not code\n", encoding="utf-8")
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "x.js").write_text("// TODO: editor settings\n", encoding="utf-8")
    out = call(tmp_path, "code_markers")
    assert out.splitlines() == [
        "TODO/FIXME/XXX/HACK/BUG comments in the code under the project: 2 in 1 files",
        "queue.py:1: TODO: read from the settings",
        "queue.py:7: FIXME(ana): empty queue raises  -- in TodoQueue.pop()",
    ]
    assert call(tmp_path, "code_markers", marker="HACK").startswith("No HACK comment")
    assert call(tmp_path, "code_markers", marker="TO DO!").startswith("Error:")
    assert call(tmp_path, "code_markers", path="../").startswith("Error:")


def test_handles_opened_outside_a_with_are_found_and_closing_by_hand_is_said(
    tmp_path: Path,
) -> None:
    (tmp_path / "io_utils.py").write_text(HANDLES, encoding="utf-8")
    out = call(tmp_path, "find_calls", name="open", outside_with=True)
    loose, managed = out.split("\nCalls of open(")[0], out.split("\nCalls of open(")[1]
    assert "io_utils.py:6:" in loose and "the handle is never closed" in loose
    assert "io_utils.py:11:" in loose and "out.close() at line 13" in loose
    assert "io_utils.py:22:" in managed and "io_utils.py:23:" in managed  # with + read_text
    assert "never closed" not in managed
    conn = call(tmp_path, "find_calls", name="connect", outside_with=True)
    assert "io_utils.py:17:" in conn and "conn is never closed" in conn
    query = read_code_query("Find every database connection opened without a with statement", [])
    assert query is not None and query.unmanaged and query.names[0] == "connect"


def test_a_keyword_value_keeps_only_the_calls_passing_it(tmp_path: Path) -> None:
    code = "def run(x, dry=True):\n    ...\n\n\nrun(1, dry=False)\nrun(2)\n"
    code += "run(\n    3,\n    dry=False,\n)\n"
    (tmp_path / "jobs.py").write_text(code, encoding="utf-8")
    out = call(tmp_path, "find_calls", name="run", with_keyword="dry=False")
    head, rest = out.split("\nCalls of run( under the project, not passing dry=False: 1\n")
    assert head.splitlines()[1:] == [
        "jobs.py:5: run(1, dry=False)  -- at module level",
        "jobs.py:7: run(  -- at module level; dry=False on line 9",
    ]
    assert rest == "jobs.py:6: run(2)  -- at module level"
    query = read_code_query("List every call of run that passes dry=False", [])
    assert query is not None and (query.with_, query.value) == ("dry", "False")


def test_aliases_are_one_search_and_look_alikes_are_not(tmp_path: Path) -> None:
    (tmp_path / "2026-05-01.md").write_text("Met Acme Tools.\nAcme Toolsmiths called.\n")
    (tmp_path / "2026-05-09.md").write_text("AT Supply shipped the order.\n")
    out = call(tmp_path, "find_mentions", term="Acme Tools|AT Supply")
    assert [ln.split("  -- ")[0] for ln in out.splitlines()[1:]] == [
        "2026-05-01.md:1: Met Acme Tools.",
        "2026-05-09.md:1: AT Supply shipped the order.",
    ]


def test_aliases_the_notes_state_are_read_and_look_alikes_are_not() -> None:
    from backends.local.plans_code import _stated_aliases

    lines = [
        "BWF Produce (the wholesale arm of Brightwater Farms) sells veg boxes.",
        "Ana Ruiz (Brightwater Farms account manager) called.",
        "Brightwater Farms (now BW Group) renamed.",
        "Met Brightwater Farms (Leeds) today.",
    ]
    assert _stated_aliases("Brightwater Farms", lines) == ["BWF Produce", "BW Group"]


# --- sentences that do an act, rows that meet a task's conditions ------------------------------

REPLIES = {
    "sent/a.txt": (
        "Subject: Re: Invitation to judge\n\nThanks! Sadly I must decline, the date clashes.\n"
    ),
    "sent/b.txt": "Hi Jo,\nHappy to join the panel - count me in.\n",
    "sent/c.txt": "Dear Ana,\nI'm honoured, but I can't take on the chair role this year.\n",
    "sent/d.txt": "Dear Sam,\nI will not accept late entries. Could you remind the team?\n",
    "sent/e.txt": "Could you send me the agenda?\n",
}


def test_sentences_are_found_by_what_they_do_not_by_one_word(tmp_path: Path) -> None:
    for name, text in REPLIES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    declines = call(tmp_path, "find_statements", act="decline", path="sent/")
    assert declines.splitlines()[1:3] == [
        "sent/a.txt:3: Sadly I must decline, the date clashes.",
        "sent/c.txt:2: I'm honoured, but I can't take on the chair role this year.",
    ]
    assert "Invitation" not in declines  # a Subject: line quotes the other side
    accepts = call(tmp_path, "find_statements", act="accept", path="sent/")
    assert "sent/b.txt:2: Happy to join the panel - count me in." in accepts
    assert "late entries" not in accepts  # "will not accept" accepts nothing
    assert call(tmp_path, "find_statements", act="sing", path="sent/").startswith("Error: act")
    assert "outside" in call(tmp_path, "find_statements", act="decline", path="../")


def test_the_act_a_task_asks_for_is_read_from_its_verb() -> None:
    from backends.local.plans_statements import asked_act

    assert asked_act("Find the emails where I turned an invitation down") == "decline"
    assert asked_act("Which letters did I say no in?") == "decline"
    assert asked_act("Suggest a polite way to say no") == ""  # nobody said it yet
    assert asked_act("List the replies in which we apologised") == "apologise"
    assert asked_act("Find every call of open( without encoding=") == ""
    assert asked_act("Find my replies that decline an invitation") == "decline"
    assert asked_act("Find the function that accepts a list") == ""  # code, not writing


ROWS = """\
ref,customer,total,due,shipped_on
A1,Birch,1200.50,2026-03-01,
A2,Cedar,800.00,2026-02-01,
A3,Birch,2000.00,2026-04-30,
A4,Alder,1500.00,2026-02-15,2026-02-10
A5,Alder,3000.00,2026-01-20,
"""


def test_a_tasks_conditions_become_filters_on_the_tables_own_columns() -> None:
    from datetime import date

    from backends.local.plans_rows import read_conditions

    rows = [line.split(",") for line in ROWS.splitlines()]
    header, body = rows[0], rows[1:]
    task = "Which orders over 1,000 are not shipped and past their due date?"
    assert read_conditions(task, header, body, date(2026, 3, 15)) == [
        "> 1000",  # no column named beside the number: the tool's amount column
        "shipped_on is empty",
        "due < 2026-03-15",
    ]
    assert read_conditions("Every order from Birch with a total under 2k", header, body, None) == [
        "total < 2000",
        "customer = Birch",
    ]


def test_rows_meeting_every_condition_are_listed_and_totalled(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ROWS, encoding="utf-8")
    out = call(
        tmp_path,
        "filter_rows",
        path="orders.csv",
        conditions=["> 1000", "shipped_on is empty", "due < 15 March 2026"],
    )
    assert out.splitlines() == [
        "orders.csv: 2 of 5 rows where total > 1000; shipped_on is empty; due < 15 March 2026",
        "line 2: ref=A1, customer=Birch, total=1200.50, due=2026-03-01, shipped_on=",
        "line 6: ref=A5, customer=Alder, total=3000.00, due=2026-01-20, shipped_on=",
        "Total total: 4,200.50",
    ]
    said = call(tmp_path, "filter_rows", path="orders.csv", conditions=["colour = red"])
    assert said.startswith("Error: orders.csv: no column 'colour'")
    assert call(tmp_path, "filter_rows", path="../x.csv", conditions=["> 1"]).startswith("Error")


# --- round 4: values a call runs with, row formulas, tables per period, docs for a need ---------

HELPER = """\
def fetch(url, retries=3, pause=0.5, *, verbose=False):
    return url
"""
CALLERS = """\
from lib.net import fetch


def one():
    return fetch("a", 5)


def two(extra):
    # fetch("commented", 9) is no call
    fetch("b", pause=2)
    return fetch("c", **extra)
"""


def test_each_call_shows_the_values_it_runs_with_defaults_counted(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "net.py").write_text(HELPER, encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "use.py").write_text(CALLERS, encoding="utf-8")
    out = call(tmp_path, "find_calls", name="fetch", path="app/", effective_arguments=True)
    # The definition lies outside the folder asked about, and is found all the same.
    assert "Defined at lib/net.py:1:" in out
    assert "defaults retries=3, pause=0.5, verbose=False" in out
    line = {int(m[1]): m[2] for m in re.finditer(r"^app/use\.py:(\d+): (.*)$", out, re.M)}
    assert "runs with retries=5, pause=0.5 (default), verbose=False (default)" in line[5]
    assert "runs with retries=3 (default), pause=2, verbose=False (default)" in line[10]
    assert "retries not known" in line[11]
    assert 9 not in line  # a comment is not a call
    plain = call(tmp_path, "find_calls", name="fetch", path="app/")
    assert "runs with" not in plain and "Defined at" not in plain


def test_the_effective_values_are_asked_by_the_task() -> None:
    asked = read_code_query(
        "List each call of `fetch` in 'app/' with the retries it actually runs with.", []
    )
    assert asked is not None and asked.effective
    plain = read_code_query("List each call of `fetch` in 'app/'.", [])
    assert plain is not None and not plain.effective


def test_a_row_formula_is_explained_and_worked_out_for_each_row(tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "formula.txt").write_text(
        "Sheet 'Lines', column D (Discount), cell D2:\n"
        "=ROUND(C2*IFERROR(VLOOKUP(B2,Tiers!A:C,3,FALSE),0),2)\n",
        encoding="utf-8",
    )
    (tmp_path / "book" / "lines.csv").write_text(
        "Item,Tier,Price,Discount\nlamp,gold,19.99,\ndesk,none,250,\nrug,silver,80,\n",
        encoding="utf-8",
    )
    (tmp_path / "book" / "tiers.csv").write_text(
        "Tier,Label,Rate\ngold,Gold,0.15\nsilver,Silver,0.05\n", encoding="utf-8"
    )
    out = call(tmp_path, "evaluate_formula", path="book/formula.txt")
    assert "returns the 3rd column of the range: column C, Rate" in out
    assert "exact match only" in out
    rows = {int(m[1]): m[2] for m in re.finditer(r"book/lines\.csv:(\d+): (.*)$", out, re.M)}
    assert rows[2].endswith("-> 3.00")  # 19.99 * 0.15 = 2.9985, rounded half away from zero
    assert "#N/A" in rows[3] and rows[3].endswith("-> 0.00")
    assert rows[4].endswith("-> 4.00")


@pytest.mark.parametrize(
    ("formula", "said"),
    [
        ("=B2*(C2", "not worked out: a parenthesis is not closed"),
        ("=FROB(B2)*2", "not worked out: FROB is not a function this tool works out"),
        ("=VLOOKUP(B2,Missing!A:B,2,FALSE)*1", "not worked out: no CSV export of the sheet"),
        ("=C2^999", "-> #NUM! (C2^999 cannot be worked out (the power is too large))"),
        ("=" + "(" * 60 + "C2" + ")" * 60, "not worked out: the formula is nested too deeply"),
    ],
)
def test_a_row_formula_that_cannot_be_worked_out_is_one_plain_line(
    tmp_path: Path, formula: str, said: str
) -> None:
    (tmp_path / "f.txt").write_text(f"Sheet 'Lines', cell D2:\n{formula}\n", encoding="utf-8")
    (tmp_path / "lines.csv").write_text("Item,Tier,Price\nlamp,gold,2\n", encoding="utf-8")
    out = call(tmp_path, "evaluate_formula", path="f.txt")
    assert said in out
    assert "Traceback" not in out


def test_a_table_with_a_column_per_period_is_totalled_per_row_and_period(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "team,Jan 2026,Feb 2026,Mar 2026\nRed,10,12,15\nBlue,30,20,10\n", encoding="utf-8"
    )
    out = call(tmp_path, "group_totals", path="t.csv")
    assert "- Blue: 60 (Jan 2026 30 -> Mar 2026 10: -20, -66.7%; down every period)" in out
    assert "- Red: 37 (Jan 2026 10 -> Mar 2026 15: +5, +50.0%; up every period)" in out
    assert "Grand total: 97 over 2 rows." in out
    assert "Per period: Jan 2026 40; Feb 2026 32; Mar 2026 25." in out
    # Several rows per item are categories to total, not a table per period.
    (tmp_path / "long.csv").write_text("team,Jan,Feb\nRed,1,2\nRed,3,4\n", encoding="utf-8")
    assert "Totals per team across" not in call(tmp_path, "group_totals", path="long.csv")


def test_a_duration_in_the_need_is_given_in_seconds() -> None:
    from tools.docsearch import docs_for_need, need_seconds

    assert [need_seconds(t) for t in ("after 90 seconds", "5 min", "250 ms", "2 hours")] == [
        "90",
        "300",
        "0.25",
        "7200",
    ]
    assert need_seconds("two runs a day") is None
    found = docs_for_need("subprocess.run", "stop it when it hangs for more than 3 minutes")
    assert "timeout=180" in found


def test_documentation_saying_consecutive_means_sort_first() -> None:
    from backends.local.plans import doc_implications

    said = doc_implications("make an iterator that returns consecutive keys and groups")
    assert said and "sort the input by the same key first" in said[0]
    assert doc_implications("Return a sorted list of the items.") == []


EXPORT = """\
From: billing@acme.example
Date: 2026-05-02
Subject: Invoice AC-10
Invoice AC-10 for $1,200.50, due 12 May 2026.

From: billing@acme.example
Date: 2026-05-03
Subject: Invoice AC-11
Invoice AC-11, USD 80, payable by 30 May 2026.

From: billing@acme.example
Date: 2026-05-20
Subject: Re: AC-10
Thanks, your payment arrived today.

From: ops@zeta.example
Date: 2026-05-21
Subject: Order ZT-9
Order ZT-9 for €45 is due 18 May 2026 and is still unpaid.
"""


def test_open_items_are_those_no_later_email_shows_paid(tmp_path: Path) -> None:
    (tmp_path / "mail.txt").write_text(EXPORT, encoding="utf-8")
    out = call(tmp_path, "open_items", path="mail.txt", due_before="2026-05-25")
    shown = out.split("Left out:")[0]
    # A reply without the reference is about the one item its message names.
    assert "AC-10: paid, says the email of 2026-05-20 (mail.txt:14)" in out
    assert "- ZT-9: from ops@zeta.example, €45, due 2026-05-18" in shown
    assert "AC-11" not in shown and "AC-11: due 2026-05-30 (30 May 2026), not before" in out
    everything = call(tmp_path, "open_items", path="mail.txt")
    assert "- AC-11: from billing@acme.example, USD 80, due 2026-05-30" in everything
    assert call(tmp_path, "open_items", path="mail.txt", due_before="soon").startswith(
        "Error: due_before must be a date"
    )
    (tmp_path / "one.txt").write_text("From: a@b.c\nInvoice X-1 due 1 May 2026\n")
    assert "holds no export of several messages" in call(tmp_path, "open_items", path="one.txt")
    assert call(tmp_path, "open_items", path="../x.txt").startswith("Error:")


PURE = """\
RATE = 0.5


def helper(x):
    return x * RATE


def totals(items):
    out = {}
    for item in items:
        if item["kind"] == "skip":
            continue
        out[item["kind"]] = out.get(item["kind"], 0) + helper(item["n"])
    return {k: round(v, 1) for k, v in sorted(out.items()) if v > 1}


def spins(items):
    while True:
        items.append(1)


def reads_disk(items):
    import os

    return os.listdir(".")


def reaches(items):
    return items.__class__


def mixed(items):
    return sorted([1, "a"])
"""


def test_a_pure_function_is_worked_out_from_its_tree_never_run(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(PURE, encoding="utf-8")
    (tmp_path / "data.json").write_text(
        json.dumps(
            [
                {"kind": "a", "n": 3},
                {"kind": "b", "n": 1},
                {"kind": "a", "n": 2},
                {"kind": "skip", "n": 99},
            ]
        ),
        encoding="utf-8",
    )
    out = call(
        tmp_path, "evaluate_function", path="calc.py", function="totals", data_path="data.json"
    )
    assert "returns:\n  {'a': 2.5}" in out
    assert "calc.py:11: item['kind'] == 'skip': true 1, false 3 times" in out
    assert "calc.py:14: v > 1: true 1, false 1 times; false for ('b', 0.5)" in out
    for function, said in (
        ("spins", "more than 200,000 steps (a loop that may not end)"),
        ("reads_disk", "line 23: the import statement is not worked out"),
        ("reaches", "items.__class__ is not worked out"),
    ):
        out = call(
            tmp_path, "evaluate_function", path="calc.py", function=function, data_path="data.json"
        )
        assert out.startswith("Not worked out:") and said in out, out
    assert call(
        tmp_path, "evaluate_function", path="calc.py", function="nope", data_path="data.json"
    ).startswith("Error: calc.py defines no function 'nope'")
    (tmp_path / "missing.json").write_text('[{"kind": "a"}]', encoding="utf-8")
    out = call(
        tmp_path, "evaluate_function", path="calc.py", function="totals", data_path="missing.json"
    )
    assert out.endswith("line 13: item['n'] raises KeyError: 'n'")
    out = call(
        tmp_path, "evaluate_function", path="calc.py", function="mixed", data_path="data.json"
    )
    assert out == (
        "mixed() of calc.py given data.json raises TypeError: "
        "'<' not supported between instances of 'str' and 'int'"
    )
    (tmp_path / "bad.json").write_text("[1,", encoding="utf-8")
    out = call(
        tmp_path, "evaluate_function", path="calc.py", function="totals", data_path="bad.json"
    )
    assert "bad.json is not valid JSON" in out


def test_a_camelcase_member_is_a_candidate_and_english_words_are_not() -> None:
    from backends.local.plans import python_candidates
    from backends.local.task_subjects import read_task

    subjects = read_task(
        "Using the logging documentation, explain why the DEBUG lines never show, and name the "
        "basicConfig argument that overrides an earlier setup.",
        [],
    )
    candidates = python_candidates(subjects)
    assert "logging.basicConfig" in candidates[:4]
    assert not any(c.endswith((".an", ".the", ".that")) for c in candidates)


def test_the_exceptions_a_doc_names_are_listed_when_the_task_asks() -> None:
    from backends.local.plans import _raised

    doc = (
        "Fetch it. If the host is down, a HostDownError is raised.\n\n"
        "When nothing comes it raises the Empty exception."
    )
    said = _raised(doc, "Which exceptions should I catch?")
    assert said[1] == '- HostDownError: "If the host is down, a HostDownError is raised."'
    assert said[2] == '- Empty: "When nothing comes it raises the Empty exception."'
    assert _raised(doc, "How do I fetch it faster?") == []


def test_definitions_without_docstrings_or_annotations_come_from_the_tree(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        'def typed(a: int, *, b: str = "") -> int:\n    """Doc."""\n    return a\n\n\n'
        "class Box:\n    def __init__(self, size):\n        self.size = size\n\n"
        "    def area(self) -> int:\n        return self.size\n",
        encoding="utf-8",
    )
    out = call(tmp_path, "find_definitions", name="annotations", relation="missing")
    assert "m.py:7: def __init__(self, size):  -- __init__: no annotation on parameter size" in out
    assert "typed" not in out and "area" not in out
    out = call(tmp_path, "find_definitions", name="docstring", relation="missing")
    assert "class Box has no docstring" in out and "function typed" not in out
    bad = call(tmp_path, "find_definitions", name="comments", relation="missing")
    assert bad.startswith("Error: with relation 'missing', name must be one of")
    query = read_code_query("Which functions in 'src/' lack type hints?", [])
    assert query is not None and (query.relation, query.names) == ("missing", ("annotations",))


ROUND4_CASES = (
    "find-notify-calls-effective-values",
    "explain-lookup-formula-shipping",
    "summarise-visits-per-quarter",
    "docs-queue-get-wait-limit",
    "find-open-supplier-bills-mail",
    "explain-function-on-csv-readings",
    "find-functions-without-docstrings",
    "docs-quantize-discounted-menu",
    "find-unresolved-tickets-mail",
)


def test_round4_cases_pass_through_the_real_command(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in ROUND4_CASES:
        shutil.copy(ROOT / "bench" / "help_cases" / f"{name}.yaml", cases)
    report = bench_all_pass(cases)
    tools = {call["tool"] for c in report["cases"] for call in c["calls"]}
    assert {"find_calls", "evaluate_formula", "group_totals", "docs_for_need"} <= tools
