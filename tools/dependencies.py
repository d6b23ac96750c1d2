"""`check_dependencies`: a plan's tasks (a CSV/TSV file or a markdown table with start, end and
depends-on columns) checked for tasks that start before the tasks they depend on have ended.

For each conflict: the task, the dependency, both dates, and the earliest date the task could
start (the day after its last dependency ends, or the first work day after it when the plan's
rules speak of work days / business days / Monday to Friday). Then the knock-on: each task moved
to its earliest start keeping its length, and the later tasks that slip with it. Dependencies
that name no task, cycles, and tasks that end before they start are reported too. Dates are read
in the usual forms (2026-05-04, 04/05/2026, 4 May 2026, May 4, 2026).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, read_text, relative

MAX_BYTES = 300_000
"""Largest plan read."""
MAX_TASKS = 400
"""Rows read at most."""

_ID = re.compile(r"^(?:id|key|#|no\.?|nr|ref|task[ _-]?id|code|wbs)$", re.I)
_NAME = re.compile(
    r"^(?:task|name|title|activity|step|milestone|work ?item|description|item)", re.I
)
_START = re.compile(r"^(?:start|begin|from|planned[ _-]?start|start[ _-]?date)", re.I)
_END = re.compile(r"^(?:end|finish|due|until|to|planned[ _-]?end|end[ _-]?date|deadline)", re.I)
_DEPENDS = re.compile(
    r"depend|predecessor|^after$|blocked[ _-]?by|requires|prereq|^needs$|waits[ _-]?(?:on|for)",
    re.I,
)
_DURATION = re.compile(r"^(?:duration|days|length|effort|work ?days|working days)", re.I)
_WORK_DAYS = re.compile(
    r"\bwork(?:ing)?[ -]?days?\b|\bbusiness days?\b|\bweekdays?\b|\bmonday\s*(?:to|-|–|through)\s*"
    r"friday\b|\bmon\s*(?:-|–|to)\s*fri\b|\bno weekends?\b",
    re.I,
)
_SAME_DAY = re.compile(
    r"\bsame day\b|\bon the (?:same )?day (?:its|the|a) \w+ (?:ends?|finish)", re.I
)
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$")
_DAY_MONTH = re.compile(r"^(?:\w+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,})\.?,?\s+(\d{4})$")
_MONTH_DAY = re.compile(r"^(?:\w+,?\s+)?([A-Za-z]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


@dataclass(frozen=True)
class Task:
    """One row of the plan."""

    key: str
    """Its id (or its name when the plan has no id column)."""
    name: str
    """Its name ('' when there is none besides the id)."""
    start: date
    """Planned start."""
    end: date
    """Planned end."""
    depends: tuple[str, ...]
    """The ids or names it depends on, as written."""
    line: int
    """1-based line of its row."""

    def label(self) -> str:
        return f"{self.key} ({self.name})" if self.name and self.name != self.key else self.key


def _month(word: str) -> int | None:
    low = word[:3].lower()
    return _MONTHS.index(low) + 1 if low in _MONTHS else None


def parse_date(text: str, day_first: bool = True) -> date | None:
    """A date as a plan writes it, else None."""
    text = text.strip()
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _NUMERIC.match(text):
            a, b, year = int(m[1]), int(m[2]), int(m[3])
            year += 2000 if year < 100 else 0
            day, month = (a, b) if day_first else (b, a)
            return date(year, month, day)
        if (m := _DAY_MONTH.match(text)) and (month := _month(m[2])):
            return date(int(m[3]), month, int(m[1]))
        if (m := _MONTH_DAY.match(text)) and (month := _month(m[1])):
            return date(int(m[3]), month, int(m[2]))
    except ValueError:
        return None
    return None


def _day_first(cells: list[str]) -> bool:
    """Whether numeric dates in `cells` are day/month (the default) or month/day."""
    for cell in cells:
        m = _NUMERIC.match(cell.strip())
        if m and int(m[2]) > 12:
            return False
    return True


def _table(text: str, suffix: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) rows of a CSV/TSV file or of the first markdown table."""
    lines = text.splitlines()
    piped = [(n, ln) for n, ln in enumerate(lines, start=1) if ln.strip().startswith("|")]
    if suffix not in ("csv", "tsv") and len(piped) >= 2:
        rows = []
        for n, ln in piped:
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            rows.append((n, cells))
        return (rows[0][1], rows[1:]) if rows else ([], [])
    delimiter = "\t" if suffix == "tsv" or "\t" in (lines[0] if lines else "") else ","
    if delimiter == "," and lines and lines[0].count(";") > lines[0].count(","):
        delimiter = ";"
    parsed = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [(n, cells) for n, cells in enumerate(parsed, start=1) if any(c.strip() for c in cells)]
    return (rows[0][1], rows[1:]) if rows else ([], [])


def _column(header: list[str], pattern: re.Pattern[str], taken: set[int]) -> int | None:
    for i, cell in enumerate(header):
        if i not in taken and pattern.search(cell.strip().lower().replace("_", " ")):
            return i
    return None


def read_plan(text: str, suffix: str, work_days: bool = False) -> tuple[list[Task], str]:
    """The plan's tasks, or [] and why they could not be read (an end is worked out from a
    duration column when the plan has no end column)."""
    header, rows = _table(text, suffix)
    if not header:
        return [], "no table"
    taken: set[int] = set()
    cols: dict[str, int | None] = {}
    for what, pattern in (("depends", _DEPENDS), ("start", _START), ("end", _END)):
        cols[what] = _column(header, pattern, taken)
        if cols[what] is not None:
            taken.add(cols[what])  # type: ignore[arg-type]
    if cols["end"] is None and (length := _column(header, _DURATION, taken)) is not None:
        cols["end"], durations = length, True
        taken.add(length)
    else:
        durations = False
    cols["id"] = _column(header, _ID, taken)
    if cols["id"] is not None:
        taken.add(cols["id"])
    cols["name"] = _column(header, _NAME, taken)
    missing = [w for w in ("depends", "start", "end") if cols[w] is None]
    if missing:
        return [], f"no {', '.join(missing)} column in the header ({', '.join(header)})"
    key_col = cols["id"] if cols["id"] is not None else cols["name"]
    if key_col is None:
        key_col = next(i for i in range(len(header)) if i not in taken)
    start_col, end_col, dep_col = cols["start"], cols["end"], cols["depends"]
    cells = [r[c] for _, r in rows for c in (start_col, end_col) if c is not None and c < len(r)]
    cells = cells if not durations else [r[start_col] for _, r in rows if start_col < len(r)]
    day_first = _day_first(cells)
    tasks = []
    for number, row in rows[:MAX_TASKS]:
        row = row + [""] * (len(header) - len(row))
        start = parse_date(row[start_col], day_first)  # type: ignore[index]
        end = parse_date(row[end_col], day_first)  # type: ignore[index]
        if durations and start is not None:
            days = re.match(r"\s*(\d+)", row[end_col])  # type: ignore[index]
            end = _end_after(start, max(int(days[1]), 1), work_days) if days else None
        key = row[key_col].strip()
        if not key or start is None or end is None:
            continue
        name = row[cols["name"]].strip() if cols["name"] is not None else ""
        deps = tuple(
            d.strip()
            for d in re.split(r"[;,/|]|\band\b|\s{2,}", row[dep_col])  # type: ignore[index]
            if d.strip() and d.strip() not in ("-", "—", "none", "None", "n/a")
        )
        if cols["id"] is not None:  # 'T1 T2': ids separated by spaces
            deps = tuple(p for d in deps for p in (d.split() if _ids_only(d) else [d]))
        tasks.append(Task(key, name, start, end, deps, number))
    return tasks, ""


def _ids_only(text: str) -> bool:
    """'T1 T2' (ids separated by spaces) rather than a task's name."""
    return all(re.fullmatch(r"[A-Za-z]{0,3}-?\d+[a-z]?", p) for p in text.split())


def _next_start(day: date, work_days: bool) -> date:
    """The first (work) day after `day`."""
    day += timedelta(days=1)
    while work_days and day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _length(task: Task, work_days: bool) -> int:
    """How many (work) days a task spans, its first and last day counted."""
    if not work_days:
        return (task.end - task.start).days + 1
    days, day = 0, task.start
    while day <= task.end:
        days += day.weekday() < 5
        day += timedelta(days=1)
    return max(days, 1)


def _end_after(start: date, length: int, work_days: bool) -> date:
    """The last day of a task of `length` (work) days starting on `start`."""
    if not work_days:
        return start + timedelta(days=length - 1)
    day, left = start, length - (start.weekday() < 5)
    while left > 0:
        day += timedelta(days=1)
        left -= day.weekday() < 5
    return day


def shown(day: date) -> str:
    """'2026-05-18 (Monday)'."""
    return f"{day.isoformat()} ({_WEEKDAYS[day.weekday()]})"


def check_plan(tasks: list[Task], name: str, rules: str) -> list[str]:
    """The conflicts of a plan, then the knock-on of moving each task to its earliest start."""
    work_days = bool(_WORK_DAYS.search(rules))
    same_day = bool(_SAME_DAY.search(rules))
    index = {t.key.lower(): t for t in tasks} | {t.name.lower(): t for t in tasks if t.name}
    out: list[str] = []
    conflicts: list[str] = []
    fine: list[str] = []
    for task in tasks:
        if task.end < task.start:
            out.append(
                f"{name}:{task.line}: {task.label()} ends {shown(task.end)} before it "
                f"starts {shown(task.start)}"
            )
        deps = [index.get(d.lower()) for d in task.depends]
        for written, dep in zip(task.depends, deps, strict=True):
            if dep is None:
                out.append(
                    f"{name}:{task.line}: {task.label()} depends on '{written}', which "
                    "is no task of the plan"
                )
        known = [d for d in deps if d is not None]
        if not known:
            continue
        late = [d for d in known if task.start < d.end or (task.start == d.end and not same_day)]
        last = max(d.end for d in known)
        earliest = last if same_day else _next_start(last, work_days)
        if late:
            ends = " and ".join(f"{d.label()}, which ends {shown(d.end)}" for d in late)
            conflicts.append(
                f"{name}:{task.line}: {task.label()} starts {shown(task.start)}, but it "
                f"depends on {ends}: {task.key} could start {shown(earliest)} at the earliest"
            )
        else:
            after = ", ".join(d.key for d in known)
            fine.append(f"{task.key} starts {task.start.isoformat()}, after {after} end(s)")
    cycle = _cycle(tasks, index)
    if cycle:
        out.append(f"{name}: the dependencies go round in a cycle: {' -> '.join(cycle)}")
    rule = (
        "a task may start on the first work day (Monday to Friday) after its dependencies end"
        if work_days
        else "a task may start on the day its dependencies end"
        if same_day
        else "a task may start the day after its dependencies end"
    )
    head = (
        f"{len(conflicts)} task(s) of {name} start before a task they depend on has ended ({rule}):"
        if conflicts
        else f"Every task of {name} starts after the tasks it depends on ({rule})."
    )
    knock = [] if cycle else _knock_on(tasks, index, work_days, same_day)
    return [
        head,
        *conflicts,
        *out,
        *(["OK: " + "; ".join(fine)] if fine else []),
        *knock,
    ]


def _cycle(tasks: list[Task], index: dict[str, Task]) -> list[str]:
    """One cycle of dependencies (keys), or []."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(task: Task) -> list[str]:
        state[task.key] = 1
        path.append(task.key)
        for written in task.depends:
            dep = index.get(written.lower())
            if dep is None:
                continue
            if state.get(dep.key) == 1:
                return [*path[path.index(dep.key) :], dep.key]
            if dep.key not in state and (found := visit(dep)):
                return found
        state[task.key] = 2
        path.pop()
        return []

    for task in tasks:
        if task.key not in state and (found := visit(task)):
            return found
    return []


def _knock_on(
    tasks: list[Task], index: dict[str, Task], work_days: bool, same_day: bool
) -> list[str]:
    """Each task moved to its earliest start (keeping its length) in dependency order: the ones
    that move, with their new dates."""
    moved: dict[str, Task] = {}

    def placed(task: Task, depth: int = 0) -> Task:
        if task.key in moved or depth > len(tasks):
            return moved.get(task.key, task)
        deps = [placed(d, depth + 1) for w in task.depends if (d := index.get(w.lower()))]
        start = task.start
        if deps:
            last = max(d.end for d in deps)
            ready = last if same_day else _next_start(last, work_days)
            start = max(start, ready)
        end = (
            task.end
            if start == task.start
            else _end_after(start, _length(task, work_days), work_days)
        )
        moved[task.key] = replace(task, start=start, end=end)
        return moved[task.key]

    lines = []
    for task in tasks:
        new = placed(task)
        if new.start != task.start:
            lines.append(
                f"{task.key} runs {new.start.isoformat()} to {new.end.isoformat()} "
                f"(planned {task.start.isoformat()} to {task.end.isoformat()})"
            )
    if not lines:
        return []
    last = max(moved.values(), key=lambda t: t.end)
    planned = max(t.end for t in tasks)
    tail = (
        f"; the plan then ends {last.end.isoformat()} instead of {planned.isoformat()}"
        if last.end != planned
        else ""
    )
    return [f"If each task starts at its earliest, keeping its length: {'; '.join(lines)}{tail}."]


def check_dependencies(root: Path, path: str, rules: str = "") -> str:
    """Tasks of the plan in `path` that start before their dependencies end; `rules` is a file
    (or text) with the plan's rules (work days)."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    rule_text = rules
    if rules.strip():
        try:
            _, rule_text = read_text(root, rules.strip(), max_bytes=MAX_BYTES)
        except ProjectFileError:
            rule_text = rules
    name = relative(root, real)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    tasks, why = read_plan(text, suffix, bool(_WORK_DAYS.search(f"{rule_text}\n{text}")))
    if not tasks:
        return (
            f"{name}: no plan with start, end and depends-on columns to check ({why or 'no rows'})"
        )
    return "\n".join(check_plan(tasks, name, f"{rule_text}\n{text}"))


class CheckDependenciesInput(BaseModel):
    """Arguments of check_dependencies."""

    path: str = Field(min_length=1, description="The plan: a CSV/TSV file or a markdown table.")
    rules: str = Field(
        default="",
        description="Optional: a file (or text) with the plan's rules, e.g. 'work days are "
        "Monday to Friday'.",
    )


def dependency_tools(root: Path) -> list[BaseTool]:
    """check_dependencies over the project folder `root`."""
    root = Path(root).resolve()

    def check_dependencies_tool(path: str, rules: str = "") -> str:
        return check_dependencies(root, path, rules)

    return [
        StructuredTool.from_function(
            func=check_dependencies_tool,
            name="check_dependencies",
            description=(
                "Check a plan (CSV or markdown table with start, end and depends-on columns) for "
                "tasks that start before the tasks they depend on end: the dates, the earliest "
                "possible start (work days when the rules say so), the knock-on on later tasks, "
                "unknown dependencies and cycles."
            ),
            args_schema=CheckDependenciesInput,
        )
    ]
