"""observe: validate and normalise the incoming event, and start handling it.

The event's text is redacted here (secrets and personal data, see :mod:`privacy.redact`), so
the event kept in state, the memory and every prompt only ever see the redacted text.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from graphs.state import Event, State
from privacy.redact import redact


class BadEventError(ValueError):
    """An incoming event that cannot be used; the message names what is wrong."""


def parse_event(raw: Any) -> Event:
    """An :class:`Event` from a dict with ``time`` and ``text`` (or the paper's ``event``)."""
    if isinstance(raw, Event):
        return raw
    if not isinstance(raw, dict):
        raise BadEventError(f"an event must be an object with 'time' and 'text', got {raw!r:.80}")
    data = dict(raw)
    if "text" not in data and "event" in data:
        data["text"] = data.pop("event")
    missing = [name for name in ("time", "text") if name not in data]
    if missing:
        raise BadEventError(f"event is missing {' and '.join(repr(m) for m in missing)}")
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors()
        )
        raise BadEventError(f"invalid event: {problems}") from None


def redact_event(event: Event) -> Event:
    """The event with secrets and personal data in its text replaced by placeholders."""
    redaction = redact(event.text)
    return event.model_copy(update={"text": redaction.text}) if redaction.changed else event


def observe(state: State) -> dict[str, Any]:
    """Append the new (redacted) event and reset what is decided per event."""
    event = redact_event(parse_event(state.event))
    cooldown = state.cooldown
    if event.source == "user" and cooldown > 0:
        cooldown -= 1  # the back-off after an ignored proposal counts the user's events
    return {
        "event": event,  # the raw input (with any secret) does not stay in the state
        "events": [event],
        "current": len(state.events),
        "memories": [],
        "need": 0.0,
        "needs_help": False,
        "draft": None,
        "rejected": [],
        "refinements": 0,
        "cooldown": cooldown,
        "status": "observing",
    }
