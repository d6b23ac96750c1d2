"""ActivityWatch as a live event source, over its REST API (``/api/0``).

:class:`ActivityWatchClient` speaks to a running ``aw-server`` (the Python one from PyPI or
aw-server-rust; both serve the same API); :class:`ActivityWatchSource` finds the buckets
worth reading (window, web, AFK, editor), polls each one for what is new since the last
poll, and turns the raw events into sentence events with
:class:`sources.sentences.SentenceBuilder`.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from sources.sentences import Bucket, SentenceBuilder, parse_timestamp

DEFAULT_URL = "http://127.0.0.1:5600"
"""Where a local ActivityWatch listens (5666 in its testing mode)."""


class ActivityWatchError(RuntimeError):
    """The server cannot be reached or answered something unusable."""


def iso(seconds: float) -> str:
    """An ISO 8601 UTC timestamp from unix seconds."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


MAX_RESPONSE_BYTES = 64 << 20
"""Largest reply read from the server (a day of a busy window bucket is a few MB)."""

MAX_JSON_DEPTH = 64
"""Deepest nesting accepted in a reply (ActivityWatch's own replies nest 4 levels)."""


def _depth(text: str) -> int:
    """How deeply a JSON text nests its arrays and objects (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class ActivityWatchClient:
    """The few REST calls this source needs, each bounded: a deadline for the whole request
    (a server that drips bytes cannot hold it), a size limit and a nesting limit for the reply;
    every failure, whatever the server sent, is an :class:`ActivityWatchError`."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 10.0,
        deadline: float = 30.0,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("/api/0"):
            self.url += "/api/0"
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ActivityWatchError(f"{url!r} is not an http(s) URL of an ActivityWatch server")
        self._parts = parts
        self.timeout = timeout
        """Seconds one read or connect may wait."""
        self.deadline = deadline
        """Seconds a whole request may take."""
        self.max_bytes = max_bytes
        """Largest reply accepted."""

    def _get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        address = f"{self.url}/{path}" + (f"?{query}" if query else "")
        target = f"{self._parts.path}/{path}" + (f"?{query}" if query else "")
        kind = (
            http.client.HTTPSConnection
            if self._parts.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = kind(self._parts.hostname, self._parts.port, timeout=self.timeout)
        expired = threading.Event()

        def expire() -> None:  # unblocks a read that a dripping server keeps alive
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.deadline, expire)
        timer.daemon = True
        timer.start()
        sent = False
        try:
            conn.request("GET", target, headers={"Accept": "application/json"})
            sent = True
            response = conn.getresponse()
            body = response.read(self.max_bytes + 1)
            if expired.is_set():
                raise TimeoutError("deadline")
            if len(body) > self.max_bytes:
                raise ActivityWatchError(
                    f"{address}: the reply is over the limit of {self.max_bytes:,} bytes"
                )
            if response.length:  # bytes the server announced and did not send
                raise ActivityWatchError(
                    f"{address}: unusable reply (cut short: {len(body):,} of "
                    f"{len(body) + response.length:,} bytes)"
                )
            if response.status != 200:
                raise ActivityWatchError(f"{address}: HTTP {response.status} {response.reason}")
            text = body.decode("utf-8")
            if _depth(text) > MAX_JSON_DEPTH:
                raise ActivityWatchError(
                    f"{address}: the reply nests deeper than {MAX_JSON_DEPTH} levels"
                )
            return json.loads(text)
        except ActivityWatchError:
            raise
        except (http.client.HTTPException, OSError) as exc:  # TimeoutError is an OSError
            if expired.is_set():
                raise ActivityWatchError(
                    f"{address}: no complete reply within {self.deadline:g} s"
                ) from None
            if not sent:
                raise ActivityWatchError(
                    f"cannot reach ActivityWatch at {self.url} ({exc}); is aw-server running?"
                ) from None
            if isinstance(exc, TimeoutError):
                raise ActivityWatchError(
                    f"{address}: the server stopped answering (no byte for {self.timeout:g} s)"
                ) from None
            reason = f"{type(exc).__name__}: {exc}"[:160]
            raise ActivityWatchError(f"{address}: unusable reply ({reason})") from None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ActivityWatchError(f"{address}: not JSON ({str(exc)[:120]})") from None
        finally:
            timer.cancel()
            conn.close()

    def info(self) -> dict[str, Any]:
        """The server's info (hostname, version, testing)."""
        return self._get("info")

    def buckets(self) -> list[Bucket]:
        """All buckets, as :class:`Bucket`."""
        raw = self._get("buckets/")
        if not isinstance(raw, dict):
            raise ActivityWatchError(f"{self.url}/buckets/: expected an object of buckets")
        return [
            Bucket(
                id=str(b.get("id", bid)),
                type=str(b.get("type", "")),
                hostname=str(b.get("hostname") or ""),
                client=str(b.get("client") or ""),
            )
            for bid, b in raw.items()
            if isinstance(b, dict)  # a malformed entry is not a bucket this source can read
        ]

    def events(
        self, bucket_id: str, *, start: float | None = None, end: float | None = None
    ) -> list[dict[str, Any]]:
        """Events of a bucket that end after ``start`` (the server clips them to it)."""
        path = f"buckets/{urllib.parse.quote(bucket_id, safe='')}/events"
        raw = self._get(
            path,
            start=iso(start) if start is not None else None,
            end=iso(end) if end is not None else None,
            limit=-1,
        )
        if not isinstance(raw, list):
            raise ActivityWatchError(f"{path}: expected a list of events")
        return raw


def event_problem(event: Any) -> str | None:
    """What makes a raw ActivityWatch event unusable, or None when it is usable.

    An event is an object with an ISO 8601 ``timestamp``, a ``duration`` in seconds (finite,
    not negative; absent means 0) and an object of ``data``.
    """
    if not isinstance(event, dict):
        return f"not an object: {event!r:.60}"
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        return f"timestamp must be an ISO 8601 string, got {stamp!r:.60}"
    try:
        start = parse_timestamp(stamp)
    except (ValueError, OverflowError, OSError):
        return f"timestamp {stamp!r:.60} is not ISO 8601"
    duration = event.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int | float)
        or not math.isfinite(duration)
        or duration < 0
    ):
        return f"duration must be a finite number of seconds >= 0, got {duration!r:.60}"
    if not 0 <= start + float(duration or 0) < 253_402_300_800:
        return f"timestamp {stamp!r:.60} is out of range"
    data = event.get("data")
    if data is not None and not isinstance(data, dict):
        return f"data must be an object, got {type(data).__name__}"
    return None


class ActivityWatchSource:
    """Polls the window, web, AFK and editor buckets and yields new sentence events.

    Each bucket has a cursor, the end of the latest event seen; the next poll asks for
    events from there on, and the still-open run of each bucket lives in the builder, so a
    window that stays in focus across polls is said once and no event is said twice.
    """

    def __init__(
        self,
        client: ActivityWatchClient,
        *,
        since: float | None = None,
        builder: SentenceBuilder | None = None,
    ) -> None:
        self.client = client
        self.since = time.time() - 3600 if since is None else since
        self.builder = builder or SentenceBuilder()
        self.cursors: dict[str, float] = {}
        self.warnings: list[str] = []
        """Why raw events of the latest poll were skipped (malformed ones never stop a poll);
        a malformed event the server sends again at a later poll is not warned about again."""
        self._warned: set[tuple[str, str]] = set()

    def poll(self) -> list[dict[str, Any]]:
        """Sentence events new since the last poll, oldest first."""
        batches = []
        self.warnings = []
        for bucket in self.client.buckets():
            if bucket.kind is None:
                continue
            start = self.cursors.get(bucket.id, self.since)
            events = []
            for number, event in enumerate(self.client.events(bucket.id, start=start), 1):
                problem = event_problem(event)
                if problem is None:
                    events.append(event)
                    continue
                if (bucket.id, problem) not in self._warned:
                    self._warned.add((bucket.id, problem))
                    self.warnings.append(
                        f"bucket {bucket.id!r:.80}, event {number}: {problem}; skipped"
                    )
            for event in events:
                end = parse_timestamp(event["timestamp"]) + float(event.get("duration") or 0)
                self.cursors[bucket.id] = max(self.cursors.get(bucket.id, start), end)
            batches.append((bucket, events))
        return self.builder.feed(batches)
