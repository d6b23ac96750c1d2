"""`find_statements`: the sentences of the person's documents (sent mail, notes, letters) that
do one thing with words: decline, accept, apologise, thank, ask, postpone, confirm, complain.

"The emails where I turned down an invitation" are found by what a sentence does, not by one
word: "I have to decline", "I can't take on the role", "I won't be able to make it" all decline.
Each act is read by its usual English phrasings (a sentence vector does not tell "count me in"
from "count me out" reliably enough); a sentence that negates an accepting phrase declines.
"""

from __future__ import annotations

import re
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.mentions import DOCUMENT_SUFFIXES
from tools.project import ProjectFileError, iter_files, relative, resolve_in_root, scan_text

MAX_FILES = 200
"""Documents read at most."""
MAX_SENTENCE = 400
"""Longest sentence quoted, in characters."""
_CANT = r"(?:can(?:'|’|no)?t|won(?:'|’)t be able to|will not be able to|(?:un|not )able to)"
_JOIN = (
    r"(?:make it|attend|join|take (?:on|part)|accept|commit|come|participate|do it|help|speak"
    r"|be there|fit (?:it|this) in)"
)
ACTS: dict[str, re.Pattern[str]] = {
    "decline": re.compile(
        rf"\b(?:decline|turn(?:ing)? (?:it |this |you |them )?down|pass on (?:this|it)|say no"
        rf"|bow out)\b|\b{_CANT} {_JOIN}\b|\bcount me out\b|\bnot available (?:to|on|that|then)\b"
        rf"|\b(?:I|we) regret\b|\bnot (?:this|that) time\b|\bwill not be (?:attending|joining)\b",
        re.IGNORECASE,
    ),
    "accept": re.compile(
        r"\bcount me in\b|\b(?:happy|glad|delighted|pleased|thrilled|love) to (?:join|attend|accept"
        r"|take (?:on|part)|come|help|speak|be there|participate)\b|\bI(?:'d| would)? accept\b"
        r"|\bI(?:'ll| will) be there\b|\bsounds good\b|\byes,? (?:I|we)\b",
        re.IGNORECASE,
    ),
    "apologise": re.compile(
        r"\b(?:sorry|apologi[sz]e|apologies|my (?:mistake|fault|bad))\b", re.IGNORECASE
    ),
    "thank": re.compile(r"\bthank(?:s| you)\b|\b(?:grateful|appreciate)\b", re.IGNORECASE),
    "ask": re.compile(
        r"\b(?:could|can|would|will) you\b[^.?!]*\?|\bplease (?:send|share|let|confirm|check)\b"
        r"|\bI(?:'d| would) like to (?:ask|request)\b|\bmay I\b|\bI need (?:it|this|them)\b",
        re.IGNORECASE,
    ),
    "postpone": re.compile(
        r"\b(?:postpone|reschedule|push (?:it |this )?back|move (?:it|this|the \w+) to"
        r"|delay(?:ed)?|put (?:it|this) off)\b",
        re.IGNORECASE,
    ),
    "confirm": re.compile(
        r"\b(?:I|we) (?:can )?confirm\b|\bconfirmed\b|\b(?:is|are) booked\b|\ball set\b",
        re.IGNORECASE,
    ),
    "complain": re.compile(
        r"\b(?:disappointed|unacceptable|not happy|unhappy|complain\w*|still (?:not|waiting))\b",
        re.IGNORECASE,
    ),
}
"""Each act and the phrasings that do it."""
_ACCEPT_NEGATED = re.compile(r"\b(?:not|n't|never)\b[^.?!]{0,20}\b(?:accept|join|attend)\b", re.I)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_HEADER = re.compile(r"^\s*(?:to|from|cc|bcc|subject|date|sent)\s*:", re.IGNORECASE)


def statements_in(text: str, act: str) -> list[tuple[int, str]]:
    """(line, sentence) of each sentence in `text` that does `act`, in order."""
    pattern = ACTS[act]
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if _HEADER.match(line):
            continue  # a Subject: line quotes the other side ("Re: Invitation ...")
        for match in _SENTENCE.finditer(line):
            sentence = match.group(0).strip()
            if len(sentence) < 3 or not pattern.search(sentence):
                continue
            if act == "accept" and _ACCEPT_NEGATED.search(sentence):
                continue
            found.append((number, sentence[:MAX_SENTENCE]))
    return found


def find_statements(
    root: Path, act: str, path: str = ".", skip: frozenset[str] = frozenset()
) -> str:
    """The sentences under `path` that do `act`, per document; the documents that do not."""
    act = (act or "").strip().lower()
    if act not in ACTS:
        return f"Error: act must be one of {', '.join(ACTS)}"
    try:
        base = resolve_in_root(root, path or ".")
    except ProjectFileError as err:
        return f"Error: {err}"
    if not base.exists():
        return f"Error: {path} does not exist under the project root"
    files = [base] if base.is_file() else list(iter_files(root, skip))
    hits: list[str] = []
    without: list[str] = []
    read = 0
    for file in sorted(files, key=lambda f: relative(root, f)):
        if file.suffix.lower() not in DOCUMENT_SUFFIXES and file.suffix:
            continue
        if not file.resolve().is_relative_to(base.resolve()) or read >= MAX_FILES:
            continue
        text = scan_text(file)
        if text is None:
            continue
        read += 1
        name = relative(root, file)
        found = statements_in(text, act)
        if not found:
            without.append(name)
        hits += [f"{name}:{number}: {sentence}" for number, sentence in found]
    scope = "the project" if (path or ".").strip() in (".", "") else path.strip()
    if not read:
        return f"No document under {scope} to read."
    if not hits:
        return f"No sentence under {scope} does '{act}' ({read} documents read)."
    out = [f"Sentences that {act}, in the documents under {scope}: {len(hits)}", *hits]
    if without:
        out.append(f"Documents with no such sentence: {', '.join(without)}")
    return "\n".join(out)


class FindStatementsInput(BaseModel):
    """Arguments of find_statements."""

    act: str = Field(description=f"What the sentence does: one of {', '.join(ACTS)}.")
    path: str = Field(default=".", description="A folder or document under the project root.")


def statement_tools(root: Path, skip: frozenset[str] = frozenset()) -> list[BaseTool]:
    """find_statements over the project folder `root`."""
    root = Path(root).resolve()

    def find_statements_tool(act: str, path: str = ".") -> str:
        return find_statements(root, act, path, skip)

    return [
        StructuredTool.from_function(
            func=find_statements_tool,
            name="find_statements",
            description=(
                "Find the sentences of the person's documents (sent mail, letters, notes) that "
                f"do one thing ({', '.join(ACTS)}), e.g. every sentence in 'sent/' that declines "
                "an invitation: 'path:line: sentence', then the documents with none."
            ),
            args_schema=FindStatementsInput,
        )
    ]
