"""The sending side of the worker host's endpoint (`proactive watch --to URL`): events go to
`POST /events` with the user's token, in order; what the host refused for a reason that will
not pass (a wrong token, another user's thread) stops the sender, what failed for a while (the
host or its database unreachable, 503) is kept and sent again."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

BATCH = 500
"""Events sent in one request at most."""


class SendError(RuntimeError):
    """A request the host did not take; `lasting` when sending again will not help."""

    def __init__(self, message: str, *, lasting: bool) -> None:
        super().__init__(message)
        self.lasting = lasting


class EventSender:
    """POSTs events to one host as one user."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"--to must be the worker host's http(s):// URL, got {url!r}")
        if not token:
            raise ValueError(
                "sending to a worker host needs your token: --token or PROACTIVE_TOKEN"
            )
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            try:
                reason = json.loads(err.read()).get("error", "")
            except (ValueError, AttributeError):
                reason = ""
            reason = reason or err.reason or "no reason given"
            lasting = err.code in (400, 401, 403, 404, 413, 415)
            raise SendError(f"{self.url} answered {err.code}: {reason}", lasting=lasting) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            why = getattr(exc, "reason", None) or exc
            raise SendError(f"cannot reach {self.url} ({why})", lasting=False) from None

    def last_time(self, thread: str) -> float | None:
        """The latest event time the host holds for this thread of ours (None: none yet)."""
        reply = self._call("GET", "/threads")
        for item in (reply or {}).get("threads", []):
            if item.get("thread") == thread and item.get("last_event_time") is not None:
                return float(item["last_event_time"])
        return None

    def send(self, thread: str, events: list[dict[str, Any]]) -> int:
        """Send the first `BATCH` events, in order; returns how many the host took (the caller
        drops them from its queue and sends the rest next)."""
        reply = self._call("POST", "/events", {"thread": thread, "events": events[:BATCH]})
        return int(reply["appended"])
