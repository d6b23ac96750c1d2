"""`release_notes`: a commit log read as release notes, grouped by the kind of change.

Each commit line ("a1c9e02 feat(export): add XLSX export", "fix: ...", "Add search filter") is
sorted by its conventional-commit type, or, without one, by its leading verb: new features, bug
fixes, breaking changes (a `!` after the type, "BREAKING CHANGE", dropped support), performance.
Chores, docs, tests, CI, build, style, refactors and merges are listed apart as left out, by
hash, so that nothing is dropped silently. Every entry keeps its commit's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_COMMITS = 400
"""Commit lines read from one log."""
GROUPS = ("breaking", "feature", "fix", "performance")
"""The groups release notes keep, in the order they are listed."""
GROUP_TITLES = {
    "breaking": "Breaking changes",
    "feature": "New features",
    "fix": "Bug fixes",
    "performance": "Performance",
}
"""Each group's heading."""

_HASH = r"(?:\*\s+)?(?:commit\s+)?(?P<hash>[0-9a-f]{7,40})\b\s*(?:\([^)]*\)\s*)?"
_CONVENTIONAL = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^)]{1,40})\))?(?P<bang>!)?:\s*(?P<subject>\S.*)$"
)
_COMMIT = re.compile(rf"^\s*{_HASH}(?P<rest>\S.*)$")
_TYPES = {
    "feat": "feature",
    "feature": "feature",
    "add": "feature",
    "fix": "fix",
    "bugfix": "fix",
    "hotfix": "fix",
    "perf": "performance",
}
"""Conventional-commit types kept in the notes; every other type is left out."""
_VERBS = (
    ("breaking", re.compile(r"^(?:drop|remove)\w*\s+(?:support|the\s+deprecated)\b", re.I)),
    ("fix", re.compile(r"^(?:fix|correct|resolve|repair|prevent|patch|handle)\w*\b", re.I)),
    ("performance", re.compile(r"^(?:speed\s+up|optimi[sz]e|faster)\w*\b", re.I)),
    ("", re.compile(r"^(?:bump|merge|chore|docs?|typo|refactor|test|ci|build|style)\b", re.I)),
    ("", re.compile(r"^(?:update|upgrade)\w*\s+(?:\S+\s+)?(?:deps|dependenc|docs?|readme)", re.I)),
    ("feature", re.compile(r"^(?:add|new|introduce|support|implement|allow|enable)\w*\b", re.I)),
)
"""How a commit without a conventional type is read from its leading verb ('' = left out)."""
_HEADERS = frozenset({"author", "date", "commit", "merge", "signed-off-by", "co-authored-by"})
"""Header fields of a full `git log`, not commit types."""
_BREAKING = re.compile(r"\bBREAKING[ -]CHANGE\b", re.I)


@dataclass(frozen=True)
class Change:
    """One commit of the log."""

    line: int
    """Its line in the log file."""
    commit: str
    """Its hash, as written ('' when the line has none)."""
    kind: str
    """Its type as written ('feat', 'chore'), or the verb it was read from."""
    scope: str
    """The conventional scope ('export'), or ''."""
    subject: str
    """What the commit says it does, its own words."""
    group: str
    """'breaking', 'feature', 'fix', 'performance', or '' (left out)."""


def read_change(number: int, text: str) -> Change | None:
    """One commit line read as a change; None for a line that is no commit (a header, blank)."""
    line = text.strip()
    if not line or line.startswith(("#", "$", "git ")):
        return None
    found = _COMMIT.match(line)
    commit, rest = (found["hash"], found["rest"].strip()) if found else ("", line.lstrip("-* "))
    conventional = _CONVENTIONAL.match(rest)
    if conventional and conventional["type"].lower() in _HEADERS:
        return None  # a full `git log`'s header lines are no commits
    if conventional:
        kind = conventional["type"].lower()
        subject = conventional["subject"].strip()
        group = _TYPES.get(kind, "")
        if conventional["bang"] or _BREAKING.search(rest):
            group = "breaking"
        return Change(number, commit, kind, conventional["scope"] or "", subject, group)
    if not commit:
        return None  # a plain line without a hash or a type is not read as a commit
    for group, pattern in _VERBS:
        if pattern.match(rest):
            group = "breaking" if _BREAKING.search(rest) else group
            return Change(number, commit, rest.split()[0].lower(), "", rest, group)
    group = "breaking" if _BREAKING.search(rest) else "feature"
    return Change(number, commit, "", "", rest, group)


def read_changes(text: str) -> list[Change]:
    """The commits of a log, in the order written."""
    found = []
    last = ""  # the hash of a full `git log`'s "commit <hash>" line, for the message below it
    full = False  # in a full log only the first message line after a header is the subject
    for number, line in enumerate(text.splitlines()[:MAX_COMMITS], 1):
        header = re.match(r"^commit ([0-9a-f]{7,40})\b", line.strip())
        if header:
            last, full = header.group(1)[:7], True
            continue
        if full and not last:
            continue
        change = read_change(number, line)
        if change is not None:
            if not change.commit and last:
                change = replace(change, commit=last)
            last = ""  # one message line per commit
            found.append(change)
    return found


def entry(change: Change) -> str:
    """A change as a release-notes line, in its commit's words."""
    subject = change.subject[:1].upper() + change.subject[1:]
    scope = f"{change.scope}: " if change.scope else ""
    return f"{scope}{subject}"


def release_notes(root: Path, path: str) -> str:
    """The tool's answer: the log's commits by group, each with its line, and those left out."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    shown = relative(root, real)
    changes = read_changes(text)
    if not changes:
        return f"{shown}: no commit lines found (expected 'hash type(scope): subject' lines)"
    out = [f"{shown}: {len(changes)} commits"]
    for group in GROUPS:
        members = [c for c in changes if c.group == group]
        if members:
            out.append(f"{GROUP_TITLES[group]}: {len(members)}")
            out += [f"line {c.line}: {clip(entry(c))} ({c.commit or c.kind})" for c in members]
    left = [c for c in changes if not c.group]
    if left:
        out.append(f"Left out (chores, docs, tests, refactors, merges): {len(left)}")
        out += [f"line {c.line}: {c.commit or '-'} {c.kind}: {clip(c.subject)}" for c in left]
    return "\n".join(out)


class ReleaseNotesInput(BaseModel):
    """Arguments of release_notes."""

    path: str = Field(description="The commit log: 'git log --oneline' output saved to a file.")


def change_tools(root: Path) -> list[BaseTool]:
    """release_notes over the project folder `root`."""
    root = Path(root).resolve()

    def release_notes_tool(path: str) -> str:
        return release_notes(root, path)

    return [
        StructuredTool.from_function(
            func=release_notes_tool,
            name="release_notes",
            description=(
                "Read a commit log (one commit a line, 'hash type(scope): subject' or "
                "'hash Verb ...') and group its commits for release notes: breaking changes, new "
                "features, bug fixes, performance; chores, docs, tests and refactors listed "
                "apart as left out. Each commit with its line."
            ),
            args_schema=ReleaseNotesInput,
        )
    ]
