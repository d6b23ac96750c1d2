"""`proactive ui` driven end to end in a real browser: headless Chromium from Debian's packages,
through Playwright, each test at a laptop's and a phone's window size. A proposal appears, is
rejected with a reason, the thread refines, the next is accepted and carried out, each card
saying what became of its answer; cards name their threads, newest first; an empty edit and an
answer given elsewhere are explained next to their controls; a new proposal shows without a
reload; an event's script tags stay text; an annotator's ticks become exactly the rows written,
saved only when complete.

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


SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
"""The window sizes every point is checked at: a laptop's and a phone's."""


@pytest.fixture(params=list(SIZES))
def page(request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in headless Chromium at one of :data:`SIZES`; it records every 404 it meets."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    width, height = SIZES[request.param]
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})
        tab = context.new_page()
        tab.size = request.param  # type: ignore[attr-defined]
        tab.missing = []  # type: ignore[attr-defined]
        tab.on("response", lambda r: r.status == 404 and tab.missing.append(r.url))  # type: ignore[attr-defined]
        yield tab
        browser.close()


def _shot(page: object, name: str) -> None:
    folder = os.environ.get("PROACTIVE_SCREENSHOTS")
    if folder:
        stem = name if page.size == "desktop" else name.replace(".png", "_phone.png")  # type: ignore[attr-defined]
        page.screenshot(path=str(Path(folder) / stem), full_page=True)  # type: ignore[attr-defined]


def _box(locator: object) -> dict[str, float]:
    box = locator.bounding_box()  # type: ignore[attr-defined]
    assert box is not None
    return box


def _one_line(locator: object) -> bool:
    """Whether an element's text fits on one line (its height is one line's)."""
    return bool(
        locator.evaluate(  # type: ignore[attr-defined]
            "e => { const s = getComputedStyle(e); const line = s.lineHeight === 'normal' ?"
            " 1.25 * parseFloat(s.fontSize) : parseFloat(s.lineHeight);"
            " return e.getBoundingClientRect().height < 1.6 * line; }"
        )
    )


@pytest.mark.data
def test_reject_refine_accept_in_the_inbox(served: tuple[str, Path], page: object) -> None:
    url, data = served
    page.goto(url + "/")  # type: ignore[attr-defined]
    card = page.locator(".card.pending").first  # type: ignore[attr-defined]
    card.wait_for(timeout=15_000)
    # The card says which thread and when; nothing is written yet, and that section says so.
    assert card.locator(".where").inner_text().startswith("thread cli · ")
    assert re.search(r"20\d\d", card.locator(".where").inner_text())
    page.locator("#files .empty", has_text="No files yet.").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    page.locator("#history .empty", has_text="No answers yet.").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    # Compact: a card takes well under half the window, even on a phone.
    assert _box(card)["height"] < 0.45 * page.viewport_size["height"]  # type: ignore[attr-defined]
    assert _one_line(page.locator("header .who"))  # type: ignore[attr-defined]
    first_task = card.locator(".task").inner_text()
    card.locator("details.more summary").click()
    card.locator("textarea.reason").fill("I know where the docs are")
    card.locator("button.reject").click()
    # The answered card says what became of it, in words, where the person is looking.
    done_card = page.locator(".card.done").first  # type: ignore[attr-defined]
    done_card.locator(".outcome").wait_for(timeout=20_000)
    assert done_card.locator(".outcome").inner_text().startswith("Turned down.")
    assert "proposed" not in done_card.inner_text() and "rejected" not in done_card.inner_text()
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
    # Newest first: the refined proposal above the card of the answer that led to it.
    assert _box(second)["y"] < _box(done_card)["y"]
    page.locator(".card.answered").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    _shot(page, "ui_inbox.png")
    second.locator("button.accept").click()
    outcome = page.locator(".card.done .outcome", has_text="Done: ")  # type: ignore[attr-defined]
    outcome.wait_for(timeout=20_000)
    # The outcome is on screen without scrolling (not below every card).
    assert _box(outcome)["y"] < page.viewport_size["height"]  # type: ignore[attr-defined]
    page.locator(".card.answered").nth(1).wait_for(timeout=10_000)  # type: ignore[attr-defined]
    answered = page.locator(".card.answered").all_inner_texts()  # type: ignore[attr-defined]
    # Newest first: the acceptance just given, then the rejection before it.
    assert second_task in answered[0] and "You accepted this" in answered[0]
    assert "You turned this down" in answered[1] and "I know where the docs are" in answered[1]
    assert answered[0].splitlines()[0].startswith("thread cli · ")
    # The card's "done:" line names the note the executor wrote, and assistant-notes.md holds it.
    title = re.search(r"the note '(.+?)' to assistant-notes\.md", answered[0])
    notes = (data / "workspace" / user_folder("default") / "assistant-notes.md").read_text()
    assert title and f"## {title.group(1)}" in notes
    page.locator("#files a", has_text="assistant-notes.md").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    assert page.locator("#files .empty").count() == 0  # type: ignore[attr-defined]
    page.locator("#pending .empty", has_text="Nothing waits for you.").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    assert page.missing == []  # type: ignore[attr-defined]  # the favicon too


@pytest.mark.data
def test_an_empty_edit_is_explained_next_to_its_box(served: tuple[str, Path], page: object) -> None:
    url, data = served
    page.goto(url + "/")  # type: ignore[attr-defined]
    card = page.locator(".card.pending").first  # type: ignore[attr-defined]
    card.wait_for(timeout=15_000)
    card.locator("details.more summary").click()
    edited = card.locator("textarea.edited")
    # The edit box is as tall as its text: nothing of the task is cut.
    assert edited.evaluate("e => e.scrollHeight <= e.clientHeight + 2")
    long = "Write a summary of the invoice parser's error handling, " * 4
    edited.fill(long)
    assert edited.evaluate("e => e.scrollHeight <= e.clientHeight + 2")
    edited.fill("   ")
    card.locator("button.edit").click()
    message = card.locator(".edit-error")
    assert message.inner_text() == "Write the task you want done instead (the box is empty)."
    assert "{" not in message.inner_text()
    # Next to the control that caused it: just below the edit button.
    button, below = _box(card.locator("button.edit")), _box(message)
    assert 0 <= below["y"] - (button["y"] + button["height"]) < 30
    # Gone at the next click; the proposal still waits, and nothing was answered.
    card.locator("button.accept").click()
    page.locator(".card.done .outcome", has_text="Done: ").wait_for(timeout=20_000)  # type: ignore[attr-defined]
    assert page.locator(".edit-error:not(:empty)").count() == 0  # type: ignore[attr-defined]


@pytest.mark.data
def test_an_answer_given_elsewhere_is_explained_on_its_card(
    served: tuple[str, Path], page: object
) -> None:
    url, data = served
    page.goto(url + "/")  # type: ignore[attr-defined]
    card = page.locator(".card.pending").first  # type: ignore[attr-defined]
    card.wait_for(timeout=15_000)
    # Another tab answers first, before this page polls again (its polling is stopped, so the
    # card is still there to click, as it is for a person who clicks within the 2 seconds).
    page.evaluate("() => { for (let i = 1; i < 1000; i++) clearInterval(i); }")  # type: ignore[attr-defined]
    with urllib.request.urlopen(url + "/api/pending", timeout=10) as reply:
        [item] = json.loads(reply.read())["pending"]
    body = {"thread": item["thread"], "proposal_id": item["proposal_id"]}
    body["response"] = [{"type": "ignore"}]
    request = urllib.request.Request(
        url + "/api/answer", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert json.loads(reply.read())["status"] == "ignored"
    card.locator("button.accept").click()
    said = page.locator(".card.done .outcome.bad")  # type: ignore[attr-defined]
    said.wait_for(timeout=20_000)
    assert said.inner_text().startswith("Your answer was not used: this proposal was already")
    assert "{" not in said.inner_text() and "409" not in said.inner_text()
    assert _box(said)["y"] < page.viewport_size["height"]  # type: ignore[attr-defined]
    # Nothing was done with it: the one answer recorded is the other tab's.
    page.locator(".card.answered").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    answered = page.locator(".card.answered").all_inner_texts()  # type: ignore[attr-defined]
    assert len(answered) == 1 and "You set this aside for now" in answered[0]


@pytest.mark.data
def test_cards_name_their_threads_newest_first(
    served: tuple[str, Path], page: object, tmp_path: Path
) -> None:
    url, data = served
    # The same first event in two threads: the later run's card comes first, and the two
    # cards say which thread each is.
    events = tmp_path / "same.jsonl"
    events.write_text("".join(SCENARIO.read_text().splitlines(keepends=True)[:3]))
    later = ("--thread", "later", "--feedback", "inbox")
    _run("run", "--events", str(events), "--data-dir", str(data), *later)
    page.goto(url + "/")  # type: ignore[attr-defined]
    page.locator(".card.pending").nth(1).wait_for(timeout=15_000)  # type: ignore[attr-defined]
    where = page.locator(".card.pending .where").all_inner_texts()  # type: ignore[attr-defined]
    assert [w.split(" · ")[0] for w in where] == ["thread later", "thread cli"]
    boxes = [_box(c) for c in page.locator(".card.pending").all()]  # type: ignore[attr-defined]
    assert boxes[0]["y"] < boxes[1]["y"]
    with urllib.request.urlopen(url + "/favicon.ico", timeout=10) as reply:
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("image/svg")


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
    # No reload: the page polls, and the new card arrives on its own, first.
    page.locator(".card.pending", has_text="<script>").wait_for(timeout=15_000)  # type: ignore[attr-defined]
    assert "<script>" in page.locator(".card.pending").first.inner_text()  # type: ignore[attr-defined]
    assert page.evaluate("window.__pwned === undefined")  # type: ignore[attr-defined]
    assert page.locator(".card.pending script, .card.pending img").count() == 0  # type: ignore[attr-defined]


@pytest.mark.data
def test_an_annotators_ticks_become_exactly_the_rows(
    served: tuple[str, Path], page: object
) -> None:
    url, data = served
    page.goto(url + "/annotate")  # type: ignore[attr-defined]
    assert page.locator("header .who").inner_text() == "annotator (none yet)"  # type: ignore[attr-defined]
    page.locator(".tick").first.wait_for(timeout=15_000)  # type: ignore[attr-defined]
    ticks = page.locator(".tick")  # type: ignore[attr-defined]
    count = ticks.count()
    chosen = [0, count - 1] if count > 1 else [0]
    # Ticks before an annotator id: not saved, and the page says what is missing.
    for i in chosen:
        ticks.nth(i).check()
    assert "enter your annotator id" in page.locator("#annotator-problem").inner_text()  # type: ignore[attr-defined]
    # ... and typing the id keeps them.
    page.fill("#annotator", "reviewer-1")  # type: ignore[attr-defined]
    page.press("#annotator", "Tab")  # type: ignore[attr-defined]
    page.locator("header .who", has_text="annotator reviewer-1").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    assert [ticks.nth(i).is_checked() for i in range(count)] == [i in chosen for i in range(count)]
    # Without yes/no nothing is saved, and the page says so next to the question.
    page.locator("#need-problem", has_text="say whether the user needed help").wait_for(  # type: ignore[attr-defined]
        timeout=10_000
    )
    assert not (data / "annotations" / "reviewer-1.jsonl").exists()
    assert page.locator("#trace option").first.inner_text() == "code_11 (0/15)"  # type: ignore[attr-defined]
    # The "yes" radio sits on its label's line.
    radio, label = _box(page.locator("#need-yes")), _box(page.locator("label.choice").first)  # type: ignore[attr-defined]
    assert label["y"] <= radio["y"] + radio["height"] / 2 <= label["y"] + label["height"]
    assert label["height"] < 2 * radio["height"] + 8
    no = _box(page.locator("label.choice").nth(1))  # type: ignore[attr-defined]
    assert abs(no["y"] - label["y"]) < 4  # yes and no side by side
    page.check("#need-yes")  # type: ignore[attr-defined]
    # Saved once complete: the count moves at once.
    page.locator("#trace option", has_text="code_11 (1/15)").wait_for(  # type: ignore[attr-defined]
        state="attached", timeout=10_000
    )
    assert page.locator("#need-problem").inner_text() == ""  # type: ignore[attr-defined]
    _shot(page, "ui_annotate.png")
    page.click("#next")  # type: ignore[attr-defined]
    page.locator("#position", has_text="event 2 of").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    # Closing the tab loses nothing: a fresh page shows the saved answer.
    page.goto(url + "/annotate")  # type: ignore[attr-defined]
    page.locator(".tick").first.wait_for(timeout=15_000)  # type: ignore[attr-defined]
    assert page.locator("header .who").inner_text() == "annotator reviewer-1"  # type: ignore[attr-defined]
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
    assert page.missing == []  # type: ignore[attr-defined]


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
