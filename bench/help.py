"""`proactive bench help`: does the help do its task? Cases run through the real agent graph.

Each case gets a fresh temporary workspace holding its files. Its events are fed to the graph in
order with feedback from a person (`feedback_mode="human"`), whose part the bench plays: the
proposal is accepted, or replaced by the case's `task` as a person's edit; the executor carries it
out; the result (files the executor created or changed, reminders it set, its closing summary) is
checked against the case's `expect` and `subject`, and for grounding (bench/help_grounding.py).

When the proposal is taken (`propose_at`):
- "last" (default): the case describes the situation at its last event, so that is where help is
  asked for. The events before it are observed and remembered while proposals are held back (the
  interruption policy's quiet hours, over each earlier event's hour).
- "first": every event may bring a proposal; the first one is answered and later ones ignored.
Either way, when no proposal came, the case's `task` is put to the graph as the draft at the last
event (a person asking for it); without a `task` the case fails with "no proposal".
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from langgraph.types import Command

from bench.help_case import HelpCase, path_problem
from bench.help_grounding import Evidence, line_counts, tool_texts, ungrounded
from graphs.context import Context
from tools.reminders import REMINDERS_FILE  # its records are reported as reminders, not a file

ProposeAt = Literal["last", "first"]

START_TIME = 1767261600.0
"""Time of a case's first event when it gives none (2026-01-01 10:00 UTC)."""

MAX_RESULT_FILE_CHARS = 100_000
"""Most characters of one created or changed file kept in the result."""

MAX_CALL_OUTPUT_CHARS = 4000
"""Most characters of a tool call's output kept in the report (the checks use it whole)."""


@dataclass
class CaseResult:
    """What one case's run did and how it was judged."""

    id: str
    """The case's id."""
    passed: bool
    """`expect` and `subject` hold and the task was carried out."""
    grounded: bool
    """Nothing in the result was invented (see `ungrounded`)."""
    kind: str
    """The case's kind of help (else the kind the executor was given)."""
    proposal: str | None
    """The drafted proposal answered (None when none came and the case's task was put)."""
    task: str | None
    """The task carried out (the case's edit, or the accepted proposal)."""
    calls: list[dict[str, Any]]
    """The executor's tool calls: tool, args, ok, output (cut)."""
    result: str
    """The result the checks read: changed files, reminders, the closing summary."""
    seconds: float | None
    """Wall time of carrying out the task (answer to finished execution); None if none."""
    failures: list[str] = field(default_factory=list)
    """Why the case failed, one line each."""
    ungrounded: list[str] = field(default_factory=list)
    """Citations the evidence does not hold."""

    def record(self) -> dict[str, Any]:
        """The case as one JSON object (the `--json` and results.jsonl shape)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def case_context(
    base: Path, executor: str, user: str, quiet_hours: str, project: Path | None = None
) -> Context:
    """The run settings of one case: human feedback, the case's own workspace base (and project
    root, where the setting exists), memory in this process only, no shell, no interruption
    limits but the quiet hours given. Pinned after construction: an environment variable must
    not move a case's files or memory elsewhere. The quiet hours are always given (a thread
    keeps a setting recorded at its first event wherever a later run leaves it at its default,
    `graphs.context.thread_settings`)."""
    given: dict[str, Any] = {
        "workspace": str(base),
        "feedback_mode": "human",
        "executor_backend": executor,
        "user_id": user,
    }
    if project is not None and "project_root" in {f.name for f in fields(Context)}:
        given["project_root"] = str(project)
    ctx = Context(**given)
    pinned = {
        "memory_dir": "",
        "memory_server": "",
        "allow_shell": False,
        "quiet_hours": quiet_hours,
        "max_proposals": 0,
        "min_gap_seconds": 0.0,
    }
    for name, value in pinned.items():
        setattr(ctx, name, value)
    return ctx


def write_workspace(root: Path, files: dict[str, str]) -> None:
    """Write a case's files under `root`, refusing any path that would leave it."""
    root = root.resolve()
    for name, text in files.items():
        problem = path_problem(name)
        target = (root / name).resolve()
        if problem is None and not target.is_relative_to(root):
            problem = "leads out of the workspace"
        if problem is not None:
            raise ValueError(f"workspace path {name!r:.80}: {problem}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` (symlinks not followed) -> its bytes."""
    out: dict[str, bytes] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def _as_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        return f"(binary file, {len(data):,} bytes)"
    text = data.decode("utf-8", errors="replace")
    if len(text) > MAX_RESULT_FILE_CHARS:
        text = text[:MAX_RESULT_FILE_CHARS] + f"\n... (cut at {MAX_RESULT_FILE_CHARS:,} chars)"
    return text


def _reminders(before: bytes, after: bytes) -> list[dict[str, Any]]:
    """The reminder records added during the run."""
    old = len(before.decode("utf-8", errors="replace").splitlines())
    out = []
    for line in after.decode("utf-8", errors="replace").splitlines()[old:]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def collect_result(
    before: dict[str, bytes], after: dict[str, bytes], summary: str
) -> tuple[str, dict[str, str]]:
    """The result as FORMAT.md defines it (the text of every file created or changed, every
    reminder set, the executor's closing summary) and the changed files' texts."""
    changed = {
        name: _as_text(data)
        for name, data in after.items()
        if name != REMINDERS_FILE and before.get(name) != data
    }
    parts = [f"--- {name} ---\n{text.rstrip()}" for name, text in changed.items()]
    reminders = _reminders(before.get(REMINDERS_FILE, b""), after.get(REMINDERS_FILE, b""))
    for record in reminders:
        parts.append(f"--- reminder ({record.get('when', '?')}) ---\n{record.get('text', '')}")
    if summary.strip():
        parts.append(f"--- summary ---\n{summary.strip()}")
    return "\n\n".join(parts), changed


def check_expect(case: HelpCase, result: str, proposal: str | None) -> list[str]:
    """The case's checks that do not hold, one line each."""
    flags = re.IGNORECASE | re.MULTILINE
    failures = []
    if case.task is None and case.subject is not None:
        if proposal is None:
            failures.append("no proposal to check the subject against")
        elif not re.search(case.subject, proposal, flags):
            failures.append(f"subject /{case.subject}/ not in the proposal")
    for pattern in case.expect.all:
        if not re.search(pattern, result, flags):
            failures.append(f"missing /{pattern}/")
    if case.expect.any and not any(re.search(p, result, flags) for p in case.expect.any):
        failures.append("none of " + ", ".join(f"/{p}/" for p in case.expect.any))
    for pattern in case.expect.none:
        if re.search(pattern, result, flags):
            failures.append(f"forbidden /{pattern}/ matched")
    return failures


def _answer(kind: str, task: str | None = None) -> list[dict[str, Any]]:
    """An Agent Inbox `HumanResponse` (a list of one)."""
    if kind == "edit":
        return [{"type": "edit", "args": {"action": "proactive_task", "args": {"task": task}}}]
    return [{"type": kind, "args": None}]


class _Person:
    """Plays the person of a case: answers the first proposal, ignores the rest."""

    def __init__(self, case: HelpCase) -> None:
        self.case = case
        self.proposal: str | None = None
        self.drafted_kind: str | None = None
        self.answered = False

    def answer(self, payload: Any) -> list[dict[str, Any]]:
        [request] = payload if isinstance(payload, list) else [payload]
        if self.answered:
            return _answer("ignore")
        self.answered = True
        self.proposal = str(request.get("action_request", {}).get("args", {}).get("task", ""))
        self.drafted_kind = request.get("proactive", {}).get("kind")
        if self.case.task is not None:
            return _answer("edit", self.case.task)
        return _answer("accept")


def run_case(
    case: HelpCase,
    *,
    executor: str = "local",
    propose_at: ProposeAt = "last",
) -> CaseResult:
    """Run one case through a freshly compiled agent graph in a temporary workspace."""
    from graphs.agent import build_graph  # noqa: PLC0415 - the graph loads models lazily
    from nodes.common import workspace as user_workspace  # noqa: PLC0415
    from privacy.redact import redact  # noqa: PLC0415

    events = case.timed_events(START_TIME)
    with tempfile.TemporaryDirectory(prefix="proactive-help-") as tmp:
        base = Path(tmp) / "workspace"
        user = f"help-bench-{case.id}-{uuid.uuid4().hex[:8]}"
        # The executor's file tools work in the user's own folder of the workspace.
        workspace = user_workspace(case_context(base, executor, user, ""))
        write_workspace(workspace, case.workspace)
        before = snapshot(workspace)
        graph = build_graph()
        config = {"configurable": {"thread_id": f"help-{case.id}"}}
        person = _Person(case)
        executions: list[Any] = []
        seconds: float | None = None
        failures: list[str] = []

        def settle(out: dict[str, Any], ctx: Context) -> dict[str, Any]:
            """Answer interrupts until the event's run ends; time the one that executes."""
            nonlocal seconds
            while "__interrupt__" in out:
                first = not person.answered
                answer = person.answer(out["__interrupt__"][0].value)
                started = time.perf_counter()
                out = graph.invoke(Command(resume=answer), config, context=ctx)
                if first and out.get("status") in ("executed", "failed"):
                    seconds = time.perf_counter() - started
                    executions.append(out["executions"][-1])
            return out

        try:
            last = len(events) - 1
            for i, event in enumerate(events):
                ctx = case_context(
                    base, executor, user, _quiet_hours(event.time, propose_at, i < last), workspace
                )
                text = redact(event.text).text  # as `proactive run` feeds events
                out = graph.invoke(
                    {"event": {"time": event.time, "text": text}}, config, context=ctx
                )
                settle(out, ctx)
            if not person.answered and case.task is not None:
                forced = _force_task(graph, config, case.task)
                ctx = case_context(
                    base,
                    executor,
                    user,
                    _quiet_hours(events[-1].time, propose_at, False),
                    workspace,
                )
                settle(graph.invoke(None, config, context=ctx) if forced else {}, ctx)
        except Exception as exc:  # noqa: BLE001 - one case's crash is that case's failure
            failures.append(f"the run raised {type(exc).__name__}: {str(exc)[:200]}")
        after = snapshot(workspace)
        execution = executions[0] if executions else None
        summary = execution.summary if execution is not None else ""
        result, _ = collect_result(before, after, summary)
        calls = [c.model_dump() for c in execution.calls] if execution is not None else []
        carried = case.task if case.task is not None else person.proposal
        if not person.answered and case.task is None:
            failures.append("no proposal")
        elif execution is None and not failures:
            failures.append("the task was not carried out")
        elif execution is not None and not execution.ok:
            failures.append(f"execution failed: {execution.summary[:200]}")
        failures += check_expect(case, result, person.proposal)
        evidence = Evidence(
            source_files=dict(case.workspace),
            existing=line_counts({name: _as_text(data) for name, data in after.items()}),
            texts=[e.text for e in events] + ([case.task] if case.task else []) + tool_texts(calls),
            root=str(workspace.resolve()),
        )
        missing = ungrounded(result, evidence)
    for call in calls:
        output = str(call.get("output", ""))
        if len(output) > MAX_CALL_OUTPUT_CHARS:
            call["output"] = output[:MAX_CALL_OUTPUT_CHARS] + " ... (cut)"
    kind = case.kind or (execution.kind if execution is not None else None) or "other"
    return CaseResult(
        id=case.id,
        passed=not failures,
        grounded=not missing,
        kind=kind,
        proposal=person.proposal,
        task=carried,
        calls=calls,
        result=result,
        seconds=None if seconds is None else round(seconds, 4),
        failures=failures,
        ungrounded=missing,
    )


def _quiet_hours(when: float | None, propose_at: ProposeAt, hold: bool) -> str:
    """Quiet hours for one event: over its hour when proposals are held back there (an event
    before the last, in "last" mode), else over the hour opposite it (no effect on it)."""
    if propose_at == "first":
        return ""
    hour = int(float(when or 0.0) // 3600) % 24
    start = hour if hold else (hour + 12) % 24
    return f"{start}-{(start + 1) % 24}"


def _force_task(graph: Any, config: dict[str, Any], task: str) -> bool:
    """Put the person's task to the graph as the draft at the last event (no proposal came):
    the next run goes on to feedback, which asks the person. False when the thread has no
    event to attach it to."""
    from backends.local.kinds import label_kind  # noqa: PLC0415
    from graphs.state import Draft  # noqa: PLC0415

    state = graph.get_state(config)
    if not (state.values or {}).get("events"):
        return False
    draft = Draft(task=task, kind=label_kind(task) or "other")
    graph.update_state(config, {"draft": draft, "status": "proposed"}, as_node="draft")
    return True


def _rate(results: Sequence[CaseResult], key: str) -> float:
    return round(sum(bool(getattr(r, key)) for r in results) / len(results), 4) if results else 0.0


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise_results(
    results: Sequence[CaseResult], *, executor: str, propose_at: str, wall_seconds: float
) -> dict[str, Any]:
    """Pass and grounded rates, overall and per kind, and the time per executed task."""
    per_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.kind for r in results}):
        mine = [r for r in results if r.kind == kind]
        per_kind[kind] = {
            "cases": len(mine),
            "passed": sum(r.passed for r in mine),
            "pass_rate": _rate(mine, "passed"),
            "grounded_rate": _rate(mine, "grounded"),
        }
    times = [r.seconds for r in results if r.seconds is not None]
    median = statistics.median(times) if times else None
    return {
        "cases": len(results),
        "passed": sum(r.passed for r in results),
        "pass_rate": _rate(results, "passed"),
        "grounded": sum(r.grounded for r in results),
        "grounded_rate": _rate(results, "grounded"),
        "executed": len(times),
        "per_kind": per_kind,
        "seconds_per_task": {
            "median": None if median is None else round(median, 4),
            "p95": None if not times else round(_percentile(times, 0.95) or 0.0, 4),
            "n": len(times),
        },
        "executor": executor,
        "propose_at": propose_at,
        "wall_seconds": round(wall_seconds, 2),
    }


def run_cases(
    cases: Sequence[HelpCase],
    *,
    executor: str = "local",
    propose_at: ProposeAt = "last",
    on_case: Callable[[int, CaseResult], None] | None = None,
) -> dict[str, Any]:
    """Run every case; `{"cases": [...], "summary": {...}}` (the `--json` shape)."""
    started = time.perf_counter()
    results = []
    for i, case in enumerate(cases, start=1):
        result = run_case(case, executor=executor, propose_at=propose_at)
        results.append(result)
        if on_case is not None:
            on_case(i, result)
    summary = summarise_results(
        results,
        executor=executor,
        propose_at=propose_at,
        wall_seconds=time.perf_counter() - started,
    )
    return {"cases": [r.record() for r in results], "summary": summary}


def write_outputs(out_dir: Path, report: dict[str, Any]) -> None:
    """results.jsonl (one case a line) and summary.json under `out_dir`."""
    from bench.output import write_jsonl  # noqa: PLC0415

    out_dir = Path(out_dir)
    write_jsonl(out_dir / "results.jsonl", report["cases"])
    (out_dir / "summary.json").write_text(
        json.dumps(report["summary"], indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def report_text(report: dict[str, Any]) -> str:
    """The per-case table and the summary, as text."""
    rows = report["cases"]
    width = max([len("case"), *(len(r["id"]) for r in rows)])
    kind_width = max([len("kind"), *(len(r["kind"]) for r in rows)])
    lines = [f"{'case'.ljust(width)}  {'kind'.ljust(kind_width)}  passed  grounded  seconds"]
    for r in rows:
        secs = "-" if r["seconds"] is None else f"{r['seconds']:.3f}"
        lines.append(
            f"{r['id'].ljust(width)}  {r['kind'].ljust(kind_width)}  "
            f"{('yes' if r['passed'] else 'NO').rjust(6)}  "
            f"{('yes' if r['grounded'] else 'NO').rjust(8)}  {secs.rjust(7)}"
        )
        for failure in r["failures"][:4]:
            lines.append(f"    {failure}")
        if r["ungrounded"]:
            lines.append("    ungrounded: " + ", ".join(r["ungrounded"][:6]))
    s = report["summary"]
    lines.append("")
    lines.append(
        f"{s['cases']} cases: passed {s['passed']} ({s['pass_rate']:.1%}), grounded "
        f"{s['grounded']} ({s['grounded_rate']:.1%}); executor {s['executor']}, proposal "
        f"taken at the {s['propose_at']} event"
    )
    for kind, k in s["per_kind"].items():
        lines.append(
            f"  {kind.ljust(kind_width)}  {k['passed']}/{k['cases']} passed "
            f"({k['pass_rate']:.0%}), grounded {k['grounded_rate']:.0%}"
        )
    t = s["seconds_per_task"]
    if t["n"]:
        lines.append(
            f"time per task: median {t['median'] * 1000:.0f} ms, p95 {t['p95'] * 1000:.0f} ms "
            f"({t['n']} executed); wall {s['wall_seconds']:.1f} s"
        )
    return "\n".join(lines)


def progress_line(total: int) -> Callable[[int, CaseResult], None]:
    """A per-case progress line on stderr."""

    def show(i: int, result: CaseResult) -> None:
        verdict = "passed" if result.passed else "FAILED"
        grounded = "" if result.grounded else ", NOT grounded"
        secs = "" if result.seconds is None else f" ({result.seconds * 1000:.0f} ms)"
        sys.stderr.write(f"[{i}/{total}] {result.id}: {verdict}{grounded}{secs}\n")
        sys.stderr.flush()

    return show
