"""What the user seems to be doing, in words: shared by the judge's reasons and the drafts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backends.local.entities import Entities, extract_entities
from backends.local.text import read_event
from graphs.state import Event

# When an event carries several actions, the most telling one names the activity.
_PRIORITY = (
    "error",
    "search",
    "write",
    "type",
    "run",
    "read",
    "scroll",
    "copy",
    "paste",
    "open",
    "switch",
    "click",
    "idle",
)


@dataclass(frozen=True)
class Activity:
    """The user's current activity, read from the last event and the names around it."""

    action: str
    """Main action class of the last event ('none' when nothing says)."""
    doing: str
    """A lower-case clause: "searching for 'x'", "editing 'a.py'", "reading 'Page'"."""
    purpose: str
    """A capitalised phrase for a draft's purpose: "Researching 'x'"."""
    entities: Entities
    """The names of the window."""


def _q(name: str, limit: int = 80) -> str:
    """Quote a name, shortened so a reason stays one line."""
    name = " ".join(name.split())
    if len(name) > limit:
        name = name[: limit - 1].rstrip() + "\u2026"
    return f"'{name}'"


def describe(events: Sequence[Event], entities: Entities | None = None) -> Activity:
    """Describe what the user is doing at the last (non-agent) event."""
    seen = [e for e in events if e.source != "agent"]
    ents = entities if entities is not None else extract_entities(seen)
    if not seen:
        return Activity("none", "not doing anything yet", "Getting started", ents)
    facts = read_event(seen[-1].text)
    action = next((a for a in _PRIORITY if a in facts.actions), "none")
    # Only the last event's own application: an earlier one may no longer be in front.
    app = facts.apps[0] if facts.apps else ""
    in_app = f" in {app}" if app else ""
    file = facts.files[0] if facts.files else (ents.files[0] if ents.files else "")
    query = facts.queries[0] if facts.queries else ""
    page = facts.pages[0] if facts.pages else ""
    error = facts.errors[0] if facts.errors else ""
    if action == "error" or error:
        err = error or (ents.errors[0] if ents.errors else "")
        what = f"the error {_q(err)}" if err else "an error"
        return Activity(action, f"dealing with {what}", f"Fixing {what}", ents)
    if action == "search" or query:
        q = query or (ents.queries[0] if ents.queries else "")
        if q:
            return Activity(action, f"searching for {_q(q)}", f"Researching {_q(q)}", ents)
        return Activity(action, "searching the web", "Looking something up", ents)
    if action in ("write", "type") and file:
        return Activity(action, f"editing {_q(file)}", f"Working on {_q(file)}{in_app}", ents)
    if action in ("read", "scroll", "open", "click") and page:
        return Activity(action, f"reading {_q(page)}", f"Reading {_q(page)}", ents)
    if action == "run":
        target = f" {_q(file)}" if file else " their code"
        return Activity(action, f"running{target}", f"Testing{target}", ents)
    if action in ("copy", "paste"):
        verb = "copying" if action == "copy" else "pasting"
        return Activity(action, f"{verb} material{in_app}", f"Collecting material{in_app}", ents)
    if action in ("write", "type"):
        return Activity(action, f"writing{in_app}", f"Writing{in_app}", ents)
    if action in ("read", "scroll"):
        topic = f" about {ents.topics[0]}" if ents.topics else ""
        return Activity(action, f"reading{topic}{in_app}", f"Reading{topic}", ents)
    if action == "switch":
        return Activity(
            action, "switching between applications", f"Moving between tasks{in_app}", ents
        )
    if file:
        return Activity(action, f"working on {_q(file)}", f"Working on {_q(file)}{in_app}", ents)
    if action == "idle":
        return Activity(action, f"pausing{in_app}", f"Pausing{in_app}", ents)
    if app:
        return Activity(action, f"working{in_app}", f"Working{in_app}", ents)
    return Activity(action, "going about their work", "Going about their work", ents)
