"""Shared fixtures: the ProactiveBench data location, fresh settings, fake chat models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def proactive(
    *args: str, stdin: str | None = None, cwd: Path = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The `proactive` command run as a user runs it: a separate process, a bare environment."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def bench_data_dir() -> Path:
    """Where the ProactiveBench data is: $PROACTIVEBENCH_DATA or ../shared/proactivebench."""
    return Path(os.environ.get("PROACTIVEBENCH_DATA", ROOT.parent / "shared" / "proactivebench"))


@pytest.fixture(scope="session")
def bench_data() -> Path:
    """The ProactiveBench data directory; skips when absent (fails when CI requires it)."""
    path = bench_data_dir()
    if not (path / "reward_data").is_dir():
        reason = f"ProactiveBench data not found at {path} (set PROACTIVEBENCH_DATA)"
        if os.environ.get("PROACTIVE_REQUIRE_DATA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


TEST_SWITCHES = frozenset(
    {
        "PROACTIVE_REQUIRE_DATA",
        "PROACTIVE_REQUIRE_BROWSER",
        "PROACTIVE_REQUIRE_POSTGRES",
        "PROACTIVE_SCREENSHOTS",
    }
)
"""Variables that steer the test run itself, not the code under test."""


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set what they need: no PROACTIVE_* or OpenAI variables leak in from the shell."""
    for name in list(os.environ):
        if name.startswith("PROACTIVE_") and name not in TEST_SWITCHES:
            monkeypatch.delenv(name)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


SLOW_FIRST = (
    "test_workers.py",
    "test_real_model.py",
    "test_resume.py",
    "test_postgres.py",
    "test_ui.py",
    "test_ui_browser.py",
    "test_trust_files.py",
    "test_service_http.py",
    "test_outages.py",
    "test_hardening.py",
    "test_trust_events.py",
    "test_cli_bench.py",
    "test_train.py",
    "test_langgraph_dev.py",
    "test_trust_settings.py",
    "test_bench_help.py",
)
"""The modules that take longest (`--durations`, December 2026), longest first."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`), the longest modules are handed out first, so that no
    worker starts a three-minute module when the others are nearly done. Workers collect the
    order the controller hands out (`--dist loadfile --no-loadscope-reorder`); a run without
    -n keeps pytest's own order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: place for place, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))
