"""fix_error driven by the data: the record that makes a line fail (a JSON field of another
type, a CSV value in another date format, a group with no values behind a division by zero),
named by its id field and line with the repair (`error_records`); the tool as both planners call
it, and the fix plan through the real `proactive bench help` command on the project's cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.help_bench import bench_all_pass
from tools import PROJECT_TOOLS, ToolRunner, build_tools

PARTS = """\
import json


def weight(path):
    with open(path) as f:
        parts = json.load(f)
    return sum(p["count"] * p["grams"] for p in parts)


print(weight("parts.json"))
"""

PARTS_JSON = """\
[
  {"part": "hinge", "count": 4, "grams": 12.5},
  {"part": "screw", "count": "30", "grams": 1.2},
  {"part": "bracket", "count": 2, "grams": 40.0}
]
"""

READINGS = """\
import csv
from datetime import datetime


def load(path):
    with open(path, newline="") as f:
        return [
            datetime.strptime(r["taken"], "%Y-%m-%d") for r in csv.DictReader(f)
        ]
"""

READINGS_CSV = "meter,taken\nM-1,2026-05-10\nM-2,05/11/2026\nM-3,2026-05-12\n"

MEANS = """\
import csv


def means(path):
    sums, counts, names = {}, {}, []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            names.append(row["club"])
            if row["time"]:
                sums[row["club"]] = sums.get(row["club"], 0) + float(row["time"])
                counts[row["club"]] = counts.get(row["club"], 0) + 1
    return {c: sums.get(c, 0) / counts.get(c, 0) for c in sorted(set(names))}


print(means("times.csv"))
"""

TIMES_CSV = "club,runner,time\nHarriers,Ann,31.5\nHarriers,Bo,29.0\nStriders,Cy,\nRovers,Di,33.2\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name, text in {
        "parts.py": PARTS,
        "parts.json": PARTS_JSON,
        "readings.py": READINGS,
        "readings.csv": READINGS_CSV,
        "means.py": MEANS,
        "times.csv": TIMES_CSV,
    }.items():
        (root / name).write_text(text, encoding="utf-8")
    (tmp_path / "outside.py").write_text("x = 1\n", encoding="utf-8")
    (root / "link.py").symlink_to(tmp_path / "outside.py")
    return root


def call(project: Path, **args: object) -> str:
    runner = ToolRunner(build_tools(project))
    done = runner.call("error_records", args)
    assert done.ok or done.output.startswith("Error:"), done.output
    return done.output


def test_error_records_is_offered_to_both_planners(project: Path) -> None:
    assert "error_records" in {t.name for t in build_tools(project)}
    assert "error_records" in PROJECT_TOOLS


def test_a_field_of_another_type_is_named_with_its_record_and_conversion(project: Path) -> None:
    error = "TypeError: can't multiply sequence by non-int of type 'float'"
    out = call(project, path="parts.py", line=7, error=error)
    assert out.startswith('parts.json:3: part screw has "count": "30" (a str)'), out
    assert 'write "count": 30' in out and 'int(p["count"])' in out
    assert "hinge" not in out and "bracket" not in out


def test_a_date_in_another_format_is_read_with_its_neighbours(project: Path) -> None:
    error = "ValueError: time data '05/11/2026' does not match format '%Y-%m-%d'"
    out = call(project, path="readings.py", line=8, error=error)
    assert out.startswith("readings.csv:3: meter M-2 has taken '05/11/2026'"), out
    # Between 2026-05-10 and 2026-05-12 it is month/day, 11 May, not 5 November.
    assert "written %m/%d/%Y" in out and "write it as 2026-05-11" in out


def test_a_group_with_no_values_behind_a_division_by_zero(project: Path) -> None:
    out = call(project, path="means.py", line=12, error="ZeroDivisionError: division by zero")
    assert "times.csv:4: club Striders has no time in any of its rows (lines 4)" in out, out
    assert "means.py:12: fix: return {c: sums.get(c, 0) / counts.get(c, 0) for c in " in out
    assert "if counts.get(c, 0)}" in out
    assert "Harriers" not in out and "Rovers" not in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ({"path": "link.py", "line": 1, "error": "TypeError: x"}, "outside the project root"),
        ({"path": "missing.py", "line": 1, "error": "TypeError: x"}, "does not exist"),
        ({"path": "parts.py", "line": 99, "error": "TypeError: x"}, "has no line 99"),
        ({"path": "parts.py", "line": 7, "error": "KeyError: 'x'"}, "explains a TypeError"),
    ],
)
def test_bad_input_is_one_plain_line(project: Path, args: dict[str, object], said: str) -> None:
    out = call(project, **args)
    assert out.startswith("Error:") and said in out, out
    assert "\n" not in out.strip()


def test_no_culprit_is_said_plainly(project: Path) -> None:
    (project / "parts.json").write_text(PARTS_JSON.replace('"30"', "30"), encoding="utf-8")
    out = call(project, path="parts.py", line=7, error="TypeError: unsupported operand")
    assert out == "No record in the project's data explains the TypeError at line 7.", out


def test_the_fix_cases_pass_through_the_real_command(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    own = sorted((ROOT / "bench" / "help_cases").glob("fix-*.yaml"))
    assert len(own) >= 9
    for case in own:
        shutil.copy(case, cases / case.name)
    report = bench_all_pass(cases)
    by_id = {c["id"]: c for c in report["cases"]}
    for name in ("fix-json-price-string", "fix-csv-date-dotted", "fix-zero-division-empty-shift"):
        assert "error_records" in {call["tool"] for call in by_id[name]["calls"]}, name
    for name in ("fix-decimal-comma-readings", "fix-input-minus-text", "fix-method-missing-self"):
        assert "suggest_fix" in {call["tool"] for call in by_id[name]["calls"]}, name


# --- round 3: a key or section a settings file writes nearly right ---------------------------


@pytest.mark.parametrize(
    ("exc", "message", "wanted"),
    [
        ("NoOptionError", "No option 'port' in section: 'db'", ("port", "db", False)),
        ("NoSectionError", "No section: 'smtp'", ("smtp", None, True)),
        ("KeyError", "'timeout'", ("timeout", None, False)),
        ("ValueError", "'timeout'", None),
    ],
)
def test_the_missing_key_is_read_from_the_error(
    exc: str, message: str, wanted: tuple[str, str | None, bool] | None
) -> None:
    from backends.local.plans_keys import missing_key  # noqa: PLC0415

    assert missing_key(exc, message) == wanted


def test_a_key_with_nothing_close_gives_no_rename(tmp_path: Path) -> None:
    from backends.local.plans_keys import _near_miss  # noqa: PLC0415

    lines = {1: "[db]", 2: "host = x", 3: "prot = 1", 4: "[cache]", 5: "port = 2"}
    assert _near_miss(lines, "port", "db", False) == (3, "prot")
    assert _near_miss(lines, "port", "cache", False) is None  # there it is written right
    assert _near_miss(lines, "username", "db", False) is None
    assert _near_miss(lines, "dB", None, True) == (1, "db")


# --- round 4: the corrected line per error family (suggest_fix) ------------------------------

FAMILIES = {
    "money.py": 'total = 0.0\nfor row in rows:\n    total += float(row["amount"])\n',
    "label.py": 'hours = 7.5\nprint("Hours: " + hours)\n',
    "age.py": 'age = input("Age? ")\nleft = 65 - age\nif age > 18:\n    print(left)\n',
    "dates.py": 'from datetime import datetime\nday = datetime.strptime(s, "%Y-%m-%d")\n',
    "paths.py": "def files(folder):\n    return sorted(Path(folder).glob('*'))\n",
    "typo.py": "count = 3\nprint(cont)\n",
    "bump.py": "hits = 0\n\n\ndef bump():\n    hits += 1\n",
    "names.py": "with open('names.csv', newline='') as f:\n    rows = f.read()\n",
    "pairs.py": "for line in text:\n    key, value = line.split('=')\n",
    "statistics.py": "import statistics\n\nprint(statistics.mean([1, 2]))\n",
    "report/run.py": "import json\n\nprint(json.dumps({}))\n",
    "report/json.py": "# scratch helpers\nFIELDS = []\n",
    "fields.py": "import sys\nname = sys.argv[1]\nfor line in rows:\n    print(line.split()[3])\n",
    "mean.py": "def mean(xs):\n    return sum(xs) / len(xs)\n",
    "pets.py": "class Pen:\n    def add(animal):\n        return animal\n\n\nPen().add(1)\n",
    "tools/load.py": "with open('stock.csv') as f:\n    pass\n",
    "tools/stock.csv": "sku,qty\n",
    "shadow.py": "max = 0\nprint(max([1, 2]))\n",
    "dump.py": "import json\nprint(json.dumps(rec, indent=2))\n",
    "dots.py": "for loan in loans:\n    print(loan.title)\n",
    "keys.py": "for rec in data:\n    print(rec['name'])\n",
    "loop.py": "for i in len(xs):\n    pass\n",
    "count.py": "def down(n):\n    if n == 0:\n        return 0\n    return down(n - 2)\n",
    "fact.py": "def fact(n):\n    return n * fact(n - 1)\n",
    "colon.py": "def area(w, h)\n    return w * h\n",
    "cond.py": "x = 3\nif x = 3:\n    print(x)\n",
    "block.py": "def f(x):\n    if x:\n    return 1\n    return 0\n",
    "items.py": "x = {'a': 1 'b': 2}\n",
    "stamp.py": "means = 1\nprint(mean([1, 2]), datetime.now())\n",
    "tally.py": (
        "import os\nseen = {}\nfor word in words:\n    seen[word] += 1\nkey = os.environ['KEY']\n"
    ),
}


@pytest.fixture
def code_project(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    for name, text in FAMILIES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (tmp_path / "outside.py").write_text("x = 1\n", encoding="utf-8")
    (root / "link.py").symlink_to(tmp_path / "outside.py")
    return root


def fix(root: Path, **args: object) -> str:
    done = ToolRunner(build_tools(root)).call("suggest_fix", args)
    assert done.ok or done.output.startswith("Error:"), done.output
    return done.output


@pytest.mark.parametrize(
    ("path", "line", "error", "wanted"),
    [
        (
            "money.py",
            3,
            "ValueError: could not convert string to float: '1,250.00'",
            ["thousands separator", '    total += float(row["amount"].replace(",", ""))'],
        ),
        (
            "money.py",
            3,
            "ValueError: could not convert string to float: '€12,50'",
            ['float(row["amount"].replace("€", "").replace(",", "."))', "decimal comma"],
        ),
        (
            "money.py",
            3,
            "ValueError: could not convert string to float: 'n/a'",
            ["placeholder", "    if row[\"amount\"].strip() in ('', 'n/a'):", "        continue"],
        ),
        (
            "label.py",
            2,
            'TypeError: can only concatenate str (not "float") to str',
            ['print("Hours: " + str(hours))', 'print(f"Hours: {hours}")'],
        ),
        (
            "age.py",
            2,
            "TypeError: unsupported operand type(s) for -: 'int' and 'str'",
            ["left = 65 - int(age)"],
        ),
        (
            "age.py",
            3,
            "TypeError: '>' not supported between instances of 'str' and 'int'",
            ["if int(age) > 18:"],
        ),
        (
            "dates.py",
            2,
            "ValueError: time data '03.04.2026' does not match format '%Y-%m-%d'",
            ['day = datetime.strptime(s, "%d.%m.%Y")'],
        ),
        ("paths.py", 2, "NameError: name 'Path' is not defined", ["from pathlib import Path"]),
        ("typo.py", 2, "NameError: name 'cont' is not defined", ["print(count)"]),
        (
            "bump.py",
            5,
            "UnboundLocalError: cannot access local variable 'hits' where it is not associated "
            "with a value",
            ["def bump():\n    global hits"],
        ),
        (
            "names.py",
            2,
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 3: invalid",
            ["names.py:2:", "open('names.csv', newline='', encoding=\"cp1252\")"],
        ),
        (
            "pairs.py",
            2,
            "ValueError: too many values to unpack (expected 2)",
            ["key, value = line.split('=', 1)"],
        ),
        (
            "statistics.py",
            3,
            "AttributeError: partially initialized module 'statistics' has no attribute 'mean'",
            ["`statistics.py` has the same name as the standard library module", "rename"],
        ),
        (
            "report/run.py",
            3,
            "AttributeError: module 'json' has no attribute 'dumps'",
            ["`report/json.py` has the same name", "shadows", "rename `report/json.py`"],
        ),
        ("fields.py", 2, "IndexError: list index out of range", ["if len(sys.argv) <= 1:"]),
        (
            "fields.py",
            4,
            "IndexError: list index out of range",
            ["    if len(line.split()) < 4:\n        continue\n    print(line.split()[3])"],
        ),
        (
            "mean.py",
            2,
            "ZeroDivisionError: division by zero",
            ["    return (sum(xs) / len(xs) if len(xs) else 0)"],
        ),
        (
            "pets.py",
            6,
            "TypeError: Pen.add() takes 1 positional argument but 2 were given",
            ["line 2 becomes:\n    def add(self, animal):"],
        ),
        (
            "tools/load.py",
            1,
            "FileNotFoundError: [Errno 2] No such file or directory: 'stock.csv'",
            ["`tools/stock.csv`", 'open(Path(__file__).resolve().parent / "stock.csv")'],
        ),
        (
            "shadow.py",
            2,
            "TypeError: 'int' object is not callable",
            ["line 1 assigns an int to the name max", "line 1 becomes:\nmax_value = 0"],
        ),
        (
            "dump.py",
            2,
            "TypeError: Object of type date is not JSON serializable",
            ["print(json.dumps(rec, indent=2, default=str))"],
        ),
        (
            "dots.py",
            2,
            "AttributeError: 'dict' object has no attribute 'title'",
            ['    print(loan["title"])'],
        ),
        (
            "keys.py",
            2,
            "TypeError: string indices must be integers, not 'str'",
            ["for rec in data.values():"],
        ),
        ("loop.py", 1, "TypeError: 'int' object is not iterable", ["for i in range(len(xs)):"]),
        (
            "count.py",
            4,
            "RecursionError: maximum recursion depth exceeded",
            ["its stop (line 2: if n == 0:)", "line 2 becomes:\n    if n <= 0:"],
        ),
        (
            "fact.py",
            2,
            "RecursionError: maximum recursion depth exceeded",
            ["has no if ... return that stops", "add a base case"],
        ),
        ("colon.py", 1, "SyntaxError: expected ':'", ["line 1 becomes:\ndef area(w, h):"]),
        ("cond.py", 2, "SyntaxError: invalid syntax", ["written ==", "if x == 3:"]),
        (
            "block.py",
            3,
            "IndentationError: expected an indented block after 'if' statement on line 2",
            ["line 3 becomes:\n        return 1"],
        ),
        (
            "items.py",
            1,
            "SyntaxError: invalid syntax. Perhaps you forgot a comma?",
            ["x = {'a': 1, 'b': 2}"],
        ),
        ("stamp.py", 2, "NameError: name 'mean' is not defined", ["from statistics import mean"]),
        (
            "stamp.py",
            2,
            "NameError: name 'datetime' is not defined",
            ["from datetime import datetime"],
        ),
        ("tally.py", 4, "KeyError: 'fern'", ["    seen[word] = seen.get(word, 0) + 1"]),
        ("tally.py", 5, "KeyError: 'KEY'", ["environment variable", "os.environ.get('KEY', '')"]),
        (
            "tools/load.py",
            1,
            "ModuleNotFoundError: No module named 'yaml'",
            ["python -m pip install pyyaml"],
        ),
    ],
)
def test_the_corrected_line_is_written_out(
    code_project: Path, path: str, line: int, error: str, wanted: list[str]
) -> None:
    out = fix(code_project, path=path, line=line, error=error)
    assert "cause: " in out and "\nfix: " in out, out
    for text in wanted:
        assert text in out, (text, out)


def test_suggest_fix_is_offered_to_both_planners(code_project: Path) -> None:
    assert "suggest_fix" in {t.name for t in build_tools(code_project)}
    assert "suggest_fix" in PROJECT_TOOLS


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ({"path": "link.py", "line": 1, "error": "TypeError: x"}, "outside the project root"),
        ({"path": "missing.py", "line": 1, "error": "TypeError: x"}, "does not exist"),
        ({"path": "money.py", "line": 3, "error": "it broke"}, "needs the error"),
    ],
)
def test_suggest_fix_bad_input_is_one_plain_line(
    code_project: Path, args: dict[str, object], said: str
) -> None:
    out = fix(code_project, **args)
    assert out.startswith("Error:") and said in out, out
    assert "\n" not in out.strip()


def test_nothing_is_made_up_when_no_family_applies(code_project: Path) -> None:
    # A module that provides the name is not blamed; a line past the end gives no fix.
    error = "ValueError: could not convert string to float: 'abc'"
    assert fix(code_project, path="money.py", line=3, error=error).startswith("No specific fix")
    assert fix(code_project, path="money.py", line=99, error=error).startswith("No specific fix")
    out = fix(code_project, path="report/run.py", line=1, error="AttributeError: module "
              "'json' has no attribute 'FIELDS'")  # fmt: skip
    assert out.startswith("No specific fix"), out


def test_an_error_quoting_a_type_keeps_its_whole_message(code_project: Path) -> None:
    said = (
        'The terminal shows "TypeError: can only concatenate str (not "float") to str" '
        "raised in 'label.py' line 2."
    )
    done = ToolRunner(build_tools(code_project)).call("locate_error", {"text": said})
    assert done.output.splitlines()[-1] == (
        'error: TypeError: can only concatenate str (not "float") to str'
    ), done.output


@pytest.mark.parametrize(
    ("name", "text", "wanted"),
    [
        (
            "post.yaml",
            "slug: a\ntitle: Beds: year one\n",
            'Line 2 becomes:\ntitle: "Beds: year one"',
        ),
        ("tabs.yaml", "a:\n\tb: 1\n", "never tabs. Line 2 becomes:\n  b: 1"),
        ("rows.csv", "a,b,n\nx,y,1\nz,w,1,500\n", 'Line 3 becomes:\nz,w,"1,500"'),
        ("place.csv", "who,where\nAl,Lyon, France\n", 'Line 2 becomes:\nAl,"Lyon, France"'),
        ("quotes.json", "{\n  'k': 'v'\n}\n", 'Line 2 becomes:\n  "k": "v"'),
        (
            "flags.json",
            '{\n  "on": True\n}\n',
            'JSON writes True as true. Line 2 becomes:\n  "on": true',
        ),
    ],
)
def test_a_data_file_fault_is_shown_corrected(
    tmp_path: Path, name: str, text: str, wanted: str
) -> None:
    from backends.local.plans import _parse_fault  # noqa: PLC0415

    (tmp_path / name).write_text(text, encoding="utf-8")
    report = ToolRunner(build_tools(tmp_path)).call("check_data_file", {"path": name}).output
    assert "does not parse" in report, report
    found = _parse_fault([(name, report)], None)
    assert found is not None and wanted in found[1], found


def test_an_error_without_a_line_is_placed_by_its_shape(code_project: Path) -> None:
    out = fix(
        code_project,
        path="label.py",
        error='TypeError: can only concatenate str (not "float") to str',
    )
    assert out.startswith("label.py:2: cause: "), out
    out = fix(
        code_project, path="money.py", error="ValueError: could not convert string to float: '7%'"
    )
    assert out.startswith("money.py:3: cause: ") and 'float(row["amount"].rstrip("%"))' in out, out
    # A shadowed module is placed at the line that imports it.
    out = fix(
        code_project,
        path="report/run.py",
        error="AttributeError: module 'json' has no attribute 'dumps'",
    )
    assert out.startswith("report/run.py:1: cause: "), out
    # An index or a key is too common a shape to pick a line by: nothing is guessed.
    out = fix(code_project, path="fields.py", error="IndexError: list index out of range")
    assert out.startswith("No specific fix"), out


def test_a_file_that_parses_gets_no_syntax_repair(code_project: Path) -> None:
    # The error was for an older version of the file: no line is rewritten into a guess.
    out = fix(code_project, path="label.py", line=2, error="SyntaxError: invalid syntax")
    assert out.startswith("No specific fix"), out


def test_an_error_that_quotes_no_name_gets_a_placeholder_not_broken_words() -> None:
    from backends.local.plans import _cause

    cause, fix = _cause("KeyError", [])
    assert "it names" not in cause + fix
    assert cause.endswith("no key <name>") and ".get(<name>, default)" in fix
    assert _cause("KeyError", ["total"])[1].endswith(".get('total', default)")
