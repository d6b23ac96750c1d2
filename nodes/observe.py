"""observe: validate and normalise the incoming event, and start handling it.

The event's text is redacted here (secrets and personal data, see :mod:`privacy.redact`), so
the event kept in state, the memory and every prompt only ever see the redacted text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from langgraph.runtime import Runtime
from pydantic import ValidationError

from graphs.context import Context, recorded_settings, settings
from graphs.state import EVENT_WINDOW, Event, State, Trim
from nodes.feedback import dismissed_update
from privacy.redact import redact

MAX_EVENT_TEXT_CHARS = 16_384
"""Longest event text accepted; a longer one is refused with an error naming both sizes.

One event is one sentence of activity: texts up to this size are taken (and cut to
``graphs.state.MAX_EVENT_CHARS`` when kept); anything larger is not an event but a document or
a corrupt line, and is refused rather than silently cut."""
MAX_EVENT_LINE_BYTES = 1 << 20
"""Longest line of an event stream (JSON included) read before it is refused unparsed: enough
for a text at the limit with every character escaped (``\\uXXXX``), and a bound on what one
line may make the reader hold in memory."""
MAX_EVENT_TIME = 253_402_300_799.0
"""Latest event time accepted: 9999-12-31 23:59:59 UTC in unix seconds (dates end there)."""

_DAY_CLOCK = re.compile(
    r"^\s*day\s+(\d+)\s*,\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE
)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class BadEventError(ValueError):
    """An incoming event that cannot be used; the message names what is wrong."""


def _check_day_clock(value: str) -> None:
    """Refuse a 'Day N, HH:MM AM' time whose day, hour or minutes do not exist."""
    match = _DAY_CLOCK.match(value)
    if not match:
        return
    day, hour, minute, second, ampm = match.groups()
    hours_ok = int(hour) <= (12 if ampm else 23)
    if int(day) < 1 or not hours_ok or int(minute) > 59 or int(second or 0) > 59:
        raise BadEventError(
            f"time {value!r:.60} is not a real 'Day N, HH:MM AM' time (days count from 1, "
            "hours up to 12 with AM/PM or 23 without, minutes and seconds 0-59)"
        )


def _cut(message: str, limit: int = 200) -> str:
    """A message cut to ``limit`` characters (it may quote a huge value)."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _clean_text(text: str) -> str:
    """The text without control characters (terminal escapes, NUL, bidi overrides)."""
    if text.isprintable():
        return text
    return "".join(
        " " if unicodedata.category(ch) == "Cc" else ch for ch in text if ch not in _BIDI_CONTROLS
    )


def parse_event(raw: Any) -> Event:
    """An :class:`Event` from a dict with ``time`` and ``text`` (or the paper's ``event``).

    Raises :class:`BadEventError` naming what is wrong: not an object, a missing field, a wrong
    type, a text over :data:`MAX_EVENT_TEXT_CHARS` or not valid Unicode, a time that is not a
    finite number of seconds between 0 and :data:`MAX_EVENT_TIME`. Control characters (NUL,
    terminal escapes, bidi overrides) are removed from the text.
    """
    if isinstance(raw, Event):
        return raw
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        raise BadEventError(
            f"an event must be an object with 'time' and 'text', got {kind} {raw!r:.80}"
        )
    data = dict(raw)
    if "text" not in data and "event" in data:
        data["text"] = data.pop("event")
    missing = [name for name in ("time", "text") if name not in data]
    if missing:
        raise BadEventError(f"event is missing {' and '.join(repr(m) for m in missing)}")
    text = data["text"]
    if isinstance(text, str):
        if len(text) > MAX_EVENT_TEXT_CHARS:
            raise BadEventError(
                f"event text is {len(text):,} characters, over the limit of "
                f"{MAX_EVENT_TEXT_CHARS:,} (one event is one sentence of activity)"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadEventError(
                f"text is not valid Unicode (a lone surrogate {text[exc.start]!r} at "
                f"character {exc.start})"
            ) from None
        data["text"] = _clean_text(text)
    if isinstance(data["time"], str):
        _check_day_clock(data["time"])
    try:
        event = Event.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {_cut(e['msg'])}"
            for e in exc.errors()
        )
        raise BadEventError(f"invalid event: {problems}") from None
    if not math.isfinite(event.time) or not 0 <= event.time <= MAX_EVENT_TIME:
        raise BadEventError(
            f"time {data['time']!r:.40} is out of range: it must be a finite number of seconds "
            f"from 0 to {MAX_EVENT_TIME:.0f} (unix seconds up to the year 9999)"
        )
    return event


def normalise_event(raw: Any) -> dict[str, Any]:
    """The one stored and fed form of an incoming event: ``{"time": unix seconds (float),
    "text": str, "source": str}``, from any shape :func:`parse_event` takes (``event`` or
    ``text``; a number, ISO 8601 or 'Day N, HH:MM AM' time). The event lines of `proactive run`,
    `proactive ingest` and the endpoint's `POST /events` all go through it, and a worker reads
    stored events through it (rows an older version stored raw). Raises :class:`BadEventError`."""
    event = parse_event(raw)
    return {"time": event.time, "text": event.text, "source": event.source}


def redact_event(event: Event) -> Event:
    """The event with secrets and personal data in its text replaced by placeholders."""
    redaction = redact(event.text)
    return event.model_copy(update={"text": redaction.text}) if redaction.changed else event


def observe(state: State, runtime: Runtime[Context] | None = None) -> dict[str, Any]:
    """Append the new (redacted) event and reset what is decided per event; on the thread's
    first event, record the run settings it keeps from then on."""
    event = redact_event(parse_event(state.event))
    # The first event's run settings hold for the whole thread (`graphs.context.thread_settings`).
    given = runtime.context if runtime is not None else None
    pinned = {} if state.settings else {"settings": recorded_settings(settings(given))}
    # A proposal left waiting counts as ignored before this event is handled.
    dismissed = dismissed_update(state, runtime)
    cooldown = dismissed.pop("cooldown", state.cooldown)
    if event.source == "user" and cooldown > 0:
        cooldown -= 1  # the back-off after an ignored proposal counts the user's events
    # Keep the window bounded: the oldest events leave it (they stay in memory), and the base
    # moves with them in the same update.
    drop = max(0, len(state.events) + 1 - EVENT_WINDOW)
    pinned |= dismissed  # the dismissed proposal's records go in this same update
    return {
        "event": event,  # the raw input (with any secret) does not stay in the state
        "events": [Trim(drop=drop), event] if drop else [event],
        "event_base": state.event_base + drop,
        "current": len(state.events) - drop,
        "memories": [],
        "need": 0.0,
        "needs_help": False,
        "draft": None,
        "rejected": [],
        "refinements": 0,
        "cooldown": cooldown,
        "status": "observing",
        "decision": "",
    } | pinned
