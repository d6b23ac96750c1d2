"""Turn raw ActivityWatch events into the one-sentence events the agent reads.

Pure and incremental: :class:`SentenceBuilder` keeps the open run of each bucket between
calls, so a window that is still in focus at one poll and still in focus at the next is
one sentence, said once. The rules (see docs/activitywatch.md):

- a *run* is consecutive events of one bucket with the same key (app and title for
  windows, URL and title for tabs, file for editors, status for AFK) whose gaps are at
  most ``merge_gap`` seconds; a run is one sentence, timed at its start;
- a window, tab or file run is said once it has lasted ``min_dwell`` seconds; a shorter
  run followed by another one is a flicker (alt-tab) and is dropped;
- an AFK run is said when it ends, if it lasted at least ``idle_min`` seconds, as
  "The user is away for N minutes"; window, tab and file runs that start while the
  person is away (a lock screen, a screensaver) are dropped;
- an editor run that starts within ``join`` seconds of a window run folds into it:
  "The user switches to 'Code' and edits 'main.py'";
- a browser window is said by its tab when a web bucket of that browser exists:
  "The user reads 'pandas.read_csv — pandas docs' in Firefox".
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WINDOW, WEB, AFK, EDITOR = "window", "web", "afk", "editor"

BUCKET_KINDS = {
    "currentwindow": WINDOW,
    "web.tab.current": WEB,
    "afkstatus": AFK,
    "app.editor.activity": EDITOR,
}
"""ActivityWatch bucket types this source reads, by the kind of activity they carry."""

BROWSERS = {
    "firefox": "Firefox",
    "chrome": "Chrome",
    "chromium": "Chromium",
    "brave": "Brave",
    "edge": "Edge",
    "opera": "Opera",
    "vivaldi": "Vivaldi",
    "safari": "Safari",
}

MAX_TITLE = 160


def browser_of(name: str) -> str | None:
    """The browser a bucket id or window app name refers to, if any ('Firefox', ...)."""
    low = name.lower()
    for needle, pretty in BROWSERS.items():
        if needle in low or (needle == "edge" and "msedge" in low):
            return pretty
    return None


def parse_timestamp(value: str) -> float:
    """Unix seconds of an ActivityWatch ISO 8601 timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _quote(text: Any) -> str:
    text = " ".join(str(text or "").split())
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1] + "…"
    return "'" + text.replace("'", "’") + "'"


def away_text(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return f"The user is away for {minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    tail = f" {rest} minute{'s' if rest != 1 else ''}" if rest else ""
    return f"The user is away for {hours} hours{tail}"


@dataclass
class Bucket:
    """An ActivityWatch bucket this source reads."""

    id: str
    type: str
    hostname: str = ""
    client: str = ""

    @property
    def kind(self) -> str | None:
        return BUCKET_KINDS.get(self.type)

    @property
    def browser(self) -> str:
        return browser_of(self.id) or browser_of(self.client) or "the browser"


@dataclass
class Run:
    """Consecutive events of one bucket with the same key."""

    key: tuple[Any, ...]
    start: float
    end: float
    data: dict[str, Any]
    said: bool = False

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class _Item:
    time: float
    kind: str
    bucket: Bucket
    run: Run
    text: str = ""


def _key(kind: str, data: dict[str, Any]) -> tuple[Any, ...]:
    if kind == WINDOW:
        return (data.get("app"), data.get("title"))
    if kind == WEB:
        return (data.get("url"), data.get("title"))
    if kind == EDITOR:
        return (data.get("file"), data.get("project"))
    return (data.get("status"),)


@dataclass
class SentenceBuilder:
    """Raw events in, sentence events (``time``, ``text``, ``source``) out, incrementally."""

    merge_gap: float = 60.0
    min_dwell: float = 2.0
    idle_min: float = 60.0
    join: float = 5.0
    _open: dict[str, Run] = field(default_factory=dict)
    _away: list[tuple[float, float]] = field(default_factory=list)

    def feed(self, batches: list[tuple[Bucket, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
        """New sentence events from the new raw events of each bucket, oldest first."""
        items: list[_Item] = []
        order = {AFK: 0, WINDOW: 1, WEB: 2, EDITOR: 3}
        for bucket, events in sorted(batches, key=lambda b: order.get(b[0].kind or "", 9)):
            if bucket.kind is not None:
                items.extend(self._runs(bucket, events))
        browsers = {b.browser for b, _ in batches if b.kind == WEB}
        return [
            {"time": i.time, "text": i.text, "source": "user"} for i in self._say(items, browsers)
        ]

    def _runs(self, bucket: Bucket, events: list[dict[str, Any]]) -> list[_Item]:
        kind = bucket.kind or ""
        out: list[_Item] = []
        raw = sorted(  # by time only: two events of one moment must not compare their data
            (
                (
                    parse_timestamp(e["timestamp"]),
                    float(e.get("duration") or 0.0),
                    e.get("data") or {},
                )
                for e in events
            ),
            key=lambda item: item[:2],
        )
        for start, duration, data in raw:
            end = start + max(0.0, duration)
            key = _key(kind, data)
            run = self._open.get(bucket.id)
            if run and key == run.key and start - run.end <= self.merge_gap:
                run.end = max(run.end, end)
            else:
                if run and kind == AFK:
                    out.extend(self._close_away(bucket, run))
                run = Run(key, start, end, dict(data))
                self._open[bucket.id] = run
                if kind == AFK and data.get("status") == "afk":
                    self._away.append((start, float("inf")))
            if kind != AFK and not run.said and run.seconds >= self.min_dwell:
                run.said = True
                out.append(_Item(run.start, kind, bucket, run))
        return out

    def _close_away(self, bucket: Bucket, run: Run) -> list[_Item]:
        if run.key != ("afk",):
            return []
        self._away = [(s, e) for s, e in self._away if s != run.start] + [(run.start, run.end)]
        self._away = self._away[-50:]
        if run.seconds < self.idle_min:
            return []
        return [_Item(run.start, AFK, bucket, run, away_text(run.seconds))]

    def _is_away(self, moment: float) -> bool:
        return any(s <= moment < e for s, e in self._away)

    def _say(self, items: list[_Item], browsers: set[str]) -> list[_Item]:
        windows = [i for i in items if i.kind == WINDOW]
        out: list[_Item] = []
        for item in items:
            data = item.run.data
            if item.kind != AFK and self._is_away(item.time):
                continue
            if item.kind == WINDOW:
                app = data.get("app") or "an application"
                if browser_of(str(app)) in browsers:
                    continue  # the tab says it better
                item.text = (
                    f"The user switches to {_quote(app)} and views {_quote(data.get('title'))}"
                )
            elif item.kind == WEB:
                title = data.get("title") or data.get("url") or "a page"
                item.text = f"The user reads {_quote(title)} in {item.bucket.browser}"
            elif item.kind == EDITOR:
                name = (
                    posixpath.basename(str(data.get("file") or "").replace("\\", "/")) or "a file"
                )
                host = next(
                    (w for w in windows if w.text and abs(w.time - item.time) <= self.join), None
                )
                if host is not None:
                    app = host.run.data.get("app") or "the editor"
                    host.text = f"The user switches to {_quote(app)} and edits {_quote(name)}"
                    continue
                project = data.get("project")
                where = f" in project {_quote(posixpath.basename(str(project)))}" if project else ""
                item.text = f"The user edits {_quote(name)}{where}"
            out.append(item)
        return sorted(out, key=lambda i: i.time)
