"""The plan that finds what the person did with words in their documents: "the emails in
'sent/' where I turned down an invitation, quoting the sentence" (`find_statements`).

The act is read from the task's verb ("turned down", "refused" -> decline); each document is
named with the sentence that does it, cited by line, and the documents that do not are listed.
"""

from __future__ import annotations

import re

from backends.local.plans import Outcome, Work, _code
from backends.local.task_subjects import TaskSubjects

_WHO = r"\b(?:I|we|they|he|she|you|someone|people)\s+(?:have\s+|had\s+|did\s+|was\s+|were\s+)?"
_RELATIVE = r"\b(?:that|which|who|where)\s+(?:politely\s+|kindly\s+)?"
_WRITINGS = re.compile(
    r"\b(?:e-?mails?|mails?|messages?|letters?|repl(?:y|ies)|notes?|minutes|texts?|posts?"
    r"|sentences?|answers?|responses?|correspondence|inbox|sent)\b",
    re.I,
)
"""What the person wrote: a relative clause ("replies that decline") is about these."""
CODE_WORDS = re.compile(
    r"\b(?:functions?|methods?|class(?:es)?|calls?|arguments?|parameters?|modules?|imports?"
    r"|tests?|code|api|endpoints?)\b|\.py\b|`",
    re.I,
)
"""A task about code: 'the function that accepts a list' asks for no sentence."""
_ACT_VERBS: tuple[tuple[str, str], ...] = (
    (
        "decline",
        r"turn(?:s|ed|ing)?\s+(?:\w+\s+){0,2}down|declin\w*|refus\w*|said\s+no|say\s+no"
        r"|reject\w*|bow(?:ed)?\s+out|pass(?:ed)?\s+on",
    ),
    ("accept", r"accept\w*|agree[ds]?\s+to|said\s+yes|say\s+yes"),
    ("apologise", r"apologi[sz]\w*|said\s+sorry|say\s+sorry"),
    ("thank", r"thank\w*"),
    ("postpone", r"postpon\w*|reschedul\w*|push(?:ed)?\s+(?:\w+\s+)?back|delay\w*"),
    ("confirm", r"confirm\w*"),
    ("complain", r"complain\w*"),
    ("ask", r"ask(?:s|ed)?\s+(?:for|them|him|her|someone)|request\w*"),
)
"""Each act and the verbs a task uses for it, after who did it ("where I declined")."""
_LINE = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<text>.*)$")


def asked_act(task: str) -> str:
    """The act a task asks for the sentences of ('decline'), or '' when it asks none."""
    if CODE_WORDS.search(task):
        return ""
    who = f"(?:{_WHO}|{_RELATIVE})" if _WRITINGS.search(task) else _WHO
    for act, verbs in _ACT_VERBS:
        if re.search(who + r"(?:" + verbs + r")\b", task, re.IGNORECASE):
            return act
    return ""


def _folder(subjects: TaskSubjects) -> str:
    """The folder or document the task points at ('sent/'), else the whole project."""
    for name in subjects.names + subjects.files:
        clean = name.strip().strip("`")
        if clean.endswith("/") or clean in subjects.files:
            return clean
    found = re.search(
        r"\b(?:in|under|inside|within|from)\s+(?:the\s+|my\s+)?`?([\w.-]+/)", subjects.task
    )
    return found.group(1) if found else "."


def statements(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """Each document with the sentence that does the act the task asks for, or None."""
    act = asked_act(subjects.task)
    if not act:
        return None
    folder = _folder(subjects)
    output = work.output("find_statements", act=act, path=folder)
    if (output is None or output.startswith("No ")) and folder != ".":
        folder = "."
        output = work.output("find_statements", act=act, path=folder)
    hits = [m for m in map(_LINE.match, (output or "").splitlines()) if m]
    if not hits:
        return None
    scope = "your documents" if folder == "." else folder
    by_file: dict[str, list[re.Match[str]]] = {}
    for hit in hits:
        by_file.setdefault(hit["path"], []).append(hit)
    lines = [f"{len(by_file)} of the documents in {scope} {act}:"]
    for path, found in by_file.items():
        lines.append(f"- {_code(path)}:")
        lines += [f'    line {h["line"]}: "{h["text"]}"' for h in found]
    others = next((ln for ln in (output or "").splitlines() if ln.startswith("Documents with")), "")
    if others:
        lines += [
            "",
            others.replace("Documents with no such sentence", f"No sentence that does '{act}' in"),
        ]
    return Outcome(
        title=f"Where you {act}: {scope}",
        lines=lines,
        did=f"found the sentences that {act} in {scope}",
    )
