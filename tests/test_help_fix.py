"""fix_error driven by the data: the record that makes a line fail (a JSON field of another
type, a CSV value in another date format, a group with no values behind a division by zero),
named by its id field and line with the repair (`error_records`); the tool as both planners call
it, and the fix plan through the real `proactive bench help` command on the project's cases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive
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
    done = proactive("bench", "help", "--cases", str(cases), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    failing = {c["id"]: (c["failures"], c["result"]) for c in report["cases"] if not c["passed"]}
    assert not failing, failing
    assert all(c["grounded"] for c in report["cases"]), [c["ungrounded"] for c in report["cases"]]
    by_id = {c["id"]: c for c in report["cases"]}
    for name in ("fix-json-price-string", "fix-csv-date-dotted", "fix-zero-division-empty-shift"):
        assert "error_records" in {call["tool"] for call in by_id[name]["calls"]}, name


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
