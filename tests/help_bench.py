"""What the help tests share: one tool called as the executor calls it, and help-bench cases run
through the real `proactive bench help` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import proactive
from tools import ToolRunner, build_tools


def call(project: Path, tool: str, **args: object) -> str:
    """One tool call's output on `project` (a refusal is an "Error: ..." line, never a raise)."""
    done = ToolRunner(build_tools(project)).call(tool, args)
    assert done.ok or done.output.startswith("Error:"), done.output
    return done.output


def bench_all_pass(cases: Path) -> dict[str, Any]:
    """Run a folder of cases through `proactive bench help --json`; every case must pass and be
    grounded (the failures and the ungrounded citations are the assertion's message). Returns
    the report."""
    done = proactive("bench", "help", "--cases", str(cases), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    failing = {c["id"]: (c["failures"], c["result"]) for c in report["cases"] if not c["passed"]}
    assert not failing, failing
    assert all(c["grounded"] for c in report["cases"]), [c["ungrounded"] for c in report["cases"]]
    return report
