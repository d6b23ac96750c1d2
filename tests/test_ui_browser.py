"""`proactive ui` driven end to end in a real browser: headless Chromium from Debian's packages,
through Playwright. A proposal appears, is rejected with a reason, the thread refines, the next
is accepted and carried out; a new proposal shows without a reload; an event's script tags stay
text; an annotator's ticks become exactly the rows written.

Needs `chromium` (Debian) and the `playwright` package; CI installs both and sets
PROACTIVE_REQUIRE_BROWSER=1 so these tests cannot be skipped there. With PROACTIVE_SCREENSHOTS=DIR
the pages are saved as PNG (the README's screenshots).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodes.common import user_folder
from tests.conftest import ROOT
from tests.servers import wait_serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCENARIO = ROOT / "cli" / "scenarios" / "coding.jsonl"


def _need_browser() -> None:
    missing = []
    if CHROMIUM is None:
        missing.append("chromium (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if missing:
        reason = "no browser to test with: " + ", ".join(missing)
        if os.environ.get("PROACTIVE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def served(tmp_path: Path, bench_data: Path) -> Iterator[tuple[str, Path]]:
    """A data directory with a proposal waiting (`proactive run --feedback inbox`), and
    `proactive ui` serving it and a trace to annotate."""
    _need_browser()
    data = tmp_path / "data"
    events = tmp_path / "events.jsonl"
    events.write_text("".join(SCENARIO.read_text().splitlines(keepends=True)[:3]))
    _run("run", "--events", str(events), "--data-dir", str(data), "--feedback", "inbox")
    port = _free_port()
    log = (tmp_path / "ui.log").open("w")
    ui = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "ui",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--traces",
            str(bench_data / "test_data" / "code_11.json"),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(f"{url}/api/pending", ui, "proactive ui", (tmp_path / "ui.log").read_text)
        yield url, data
    finally:
        ui.terminate()
        ui.wait(timeout=20)


@pytest.fixture
def page() -> Iterator[object]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        yield context.new_page()
        browser.close()


def _shot(page: object, name: str) -> None:
    folder = os.environ.get("PROACTIVE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)  # type: ignore[attr-defined]


@pytest.mark.data
def test_reject_refine_accept_in_the_inbox(served: tuple[str, Path], page: object) -> None:
    url, data = served
    page.goto(url + "/")  # type: ignore[attr-defined]
    card = page.locator(".card.pending").first  # type: ignore[attr-defined]
    card.wait_for(timeout=15_000)
    first_task = card.locator(".task").inner_text()
    _shot(page, "ui_inbox.png")
    card.locator("textarea.reason").fill("I know where the docs are")
    card.locator("button.reject").click()
    # The agent refines: a new draft of the same event waits, the first one is gone.
    page.wait_for_function(  # type: ignore[attr-defined]
        "task => [...document.querySelectorAll('.card.pending .task')].some("
        "t => t.textContent !== task) && ![...document.querySelectorAll('.card.pending .task')]"
        ".some(t => t.textContent === task)",
        arg=first_task,
        timeout=20_000,
    )
    second = page.locator(".card.pending").first  # type: ignore[attr-defined]
    second_task = second.locator(".task").inner_text()
    assert second_task != first_task
    second.locator("button.accept").click()
    page.locator("#status").filter(has_text="Answered: executed").wait_for(timeout=20_000)  # type: ignore[attr-defined]
    page.locator(".card.answered").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    answered = page.locator(".card.answered").all_inner_texts()  # type: ignore[attr-defined]
    assert any("I know where the docs are" in text for text in answered)
    assert any(second_task in text and "done:" in text for text in answered)
    # The card's "done:" line names the note the executor wrote, and assistant-notes.md holds it.
    done = next(text for text in answered if second_task in text and "done:" in text)
    title = re.search(r"the note '(.+?)' to assistant-notes\.md", done)
    notes = (data / "workspace" / user_folder("default") / "assistant-notes.md").read_text()
    assert title and f"## {title.group(1)}" in notes
    page.locator("#files a", has_text="assistant-notes.md").wait_for(timeout=10_000)  # type: ignore[attr-defined]


@pytest.mark.data
def test_a_new_proposal_shows_without_a_reload_and_stays_text(
    served: tuple[str, Path], page: object, tmp_path: Path
) -> None:
    url, data = served
    page.goto(url + "/")  # type: ignore[attr-defined]
    page.locator(".card.pending").first.wait_for(timeout=15_000)  # type: ignore[attr-defined]
    hostile = tmp_path / "hostile.jsonl"
    text = (
        "The user pastes <script>window.__pwned=1</script>"
        "<img src=x onerror=window.__pwned=2> in 'x.py'."
    )
    hostile.write_text(json.dumps({"time": 1_767_262_000, "event": text}) + "\n")
    _run(
        "run",
        "--events",
        str(hostile),
        "--data-dir",
        str(data),
        "--thread",
        "other",
        "--feedback",
        "inbox",
    )
    # No reload: the page polls, and the new card arrives on its own.
    page.locator(".card.pending", has_text="<script>").wait_for(timeout=15_000)  # type: ignore[attr-defined]
    assert page.evaluate("window.__pwned === undefined")  # type: ignore[attr-defined]
    assert page.locator(".card.pending script, .card.pending img").count() == 0  # type: ignore[attr-defined]


@pytest.mark.data
def test_an_annotators_ticks_become_exactly_the_rows(
    served: tuple[str, Path], page: object
) -> None:
    url, data = served
    page.goto(url + "/annotate")  # type: ignore[attr-defined]
    page.fill("#annotator", "reviewer-1")  # type: ignore[attr-defined]
    page.press("#annotator", "Tab")  # type: ignore[attr-defined]
    page.locator(".tick").first.wait_for(timeout=15_000)  # type: ignore[attr-defined]
    ticks = page.locator(".tick")  # type: ignore[attr-defined]
    count = ticks.count()
    chosen = [0, count - 1] if count > 1 else [0]
    for i in chosen:
        ticks.nth(i).check()
    page.check("#need-yes")  # type: ignore[attr-defined]
    _shot(page, "ui_annotate.png")
    page.click("#next")  # type: ignore[attr-defined]
    page.locator("#position", has_text="event 2 of").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    # Closing the tab loses nothing: a fresh page shows the saved answer.
    page.goto(url + "/annotate")  # type: ignore[attr-defined]
    page.locator(".tick").first.wait_for(timeout=15_000)  # type: ignore[attr-defined]
    restored = [page.locator(".tick").nth(i).is_checked() for i in range(count)]  # type: ignore[attr-defined]
    assert restored == [i in chosen for i in range(count)]
    with urllib.request.urlopen(url + "/api/annotations/rows.jsonl", timeout=10) as reply:
        rows = [json.loads(line) for line in reply.read().decode().splitlines()]
    tasks = [r for r in rows if r["pred_task"] is not None]
    assert [r["annotation"] for r in tasks] == [[i in chosen] for i in range(count)]
    assert [r["valid"] for r in tasks] == [i in chosen for i in range(count)]
    [silence] = [r for r in rows if r["pred_task"] is None]
    assert silence["annotation"] == [False] and silence["help_needed"] is True
    saved = (data / "annotations" / "reviewer-1.jsonl").read_text().splitlines()
    assert len(saved) == 1


def test_watch_notify_uses_notify_send_where_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--notify` calls the desktop's notifier when one is on PATH, and nothing otherwise."""
    import argparse

    from cli.watch import notify

    log = tmp_path / "calls.txt"
    fake = tmp_path / "bin" / "notify-send"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {log}\n')
    fake.chmod(0o755)
    args = argparse.Namespace(notify=True)
    monkeypatch.setenv("PATH", str(fake.parent))
    notify(args, "Summarise the page")
    assert "A proposal waits for you|Summarise the page|" in log.read_text()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    notify(args, "no notifier here")  # silently nothing
    notify(argparse.Namespace(notify=False), "not asked")
    assert log.read_text().count("|") == 3
