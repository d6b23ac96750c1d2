"""A reply that follows a policy: the rules that apply to the customer's case (`apply_policy`),
the figure they work out stated exactly, and each applying rule turned to the customer ("Ask
the customer for a photo" -> "Could you please send us a photo?"). Rules whose condition does
not hold are left out of the reply and listed for the person.
"""

from __future__ import annotations

import re

from backends.local.plans import Outcome, Work
from backends.local.task_subjects import TaskSubjects

_POLICY_NAME = re.compile(
    r"polic(?:y|ies)|rules?\b|terms|guideline|procedure|playbook|handbook|sop\b|script", re.I
)
"""A file name that reads as rules to follow."""
_FOLLOW = re.compile(
    r"\b(?:follow(?:s|ing)?|according to|per|in line with|as set out in|as required by"
    r"|compl(?:y|ies|ying) with|in keeping with|under|applying|apply)\s+"
    r"(?:the\s+[\w -]{1,30}?\s+in\s+)?'([^'\n]{2,120})'",
    re.I,
)
_APPLIES = re.compile(r"^applies \(line (\d+)(?:; [^)]*)?\): (.*)$")
_NOT = re.compile(r"^(does not apply|unchecked) \(line (\d+)\): (.*)$")
_REFUND = re.compile(r"^refund: (.*?)(?: as ([a-z ]+))? \(rule line (\d+)\)$")
_WHY = re.compile(r"^applies \(line \d+; ([^)]*)\)")
"""Why a conditioned rule applies: '$150.00 is over $100', '46 days from ...'."""
_ITEM = re.compile(r"^item: (.*) at (\S+?)(?:, ([^(]+))? \(")
_RECORD = re.compile(r"^record: (\w+ \S+) \(")
_META = re.compile(
    r"\b(?:in|into|of) (?:the|your|every|each) (?:reply|response|answer|email)\b"
    r"|\b(?:always|never) (?:quote|mention|include|state|say|use)\b",
    re.I,
)
"""A rule about writing the reply itself, kept by the reply rather than told to the customer."""
_ASK_FOR = re.compile(
    r"^ask (?:the |them |him |her )?(?:customer|client|buyer|guest|user|member|tenant|patient"
    r"|caller|requester)?s?\s*(?:for|to send(?: (?:us|in))?|to provide|to upload|to share)\s+(.+?)"
    r"(?:\s+instead)?[.!]?$",
    re.I,
)
_ASK_TO = re.compile(
    r"^ask (?:the )?(?:customer|client|buyer|guest|user|member|tenant|patient|caller)s?\s+to\s+"
    r"(.+?)[.!]?$",
    re.I,
)
_WE_DO = re.compile(
    r"^(send|issue|offer|provide|arrange|email|refund|replace|book|apologi[sz]e|process|credit"
    r"|confirm|escalate|waive)\b",
    re.I,
)
_TELL = re.compile(
    r"^(?:tell|inform|let|remind|advise)\s+(?:the\s+)?(?:customer|client|buyer|guest|user|member"
    r"|tenant|patient|caller)s?(?:\s+know)?\s+(?:that\s+)?",
    re.I,
)
"""'Tell the customer (that) X': the reply says X."""
_NO_NEED = re.compile(r"^no need to\b", re.I)
_VERB_FIXES = (("does", "do"), ("has", "have"), ("is", "are"), ("was", "were"), ("needs", "need"))
"""Verbs that follow 'the customer' in a rule, as they read after 'you'."""
_CUSTOMER = re.compile(
    r"\bthe (?:customer|client|buyer|guest|user|member|tenant|patient|caller)('s)?(?=\W)", re.I
)


def policy_file(work: Work, subjects: TaskSubjects, message_path: str) -> str | None:
    """The file the task says the reply follows, else a named file whose name reads as rules."""
    followed = [m.group(1) for m in _FOLLOW.finditer(subjects.task)]
    ruled = [f for f in subjects.files if _POLICY_NAME.search(f.rsplit("/", 1)[-1])]
    for name in [*followed, *ruled]:
        path = work.resolve(name)
        if path and path != message_path:
            return path
    return None


def _sentences(rule: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", rule) if s.strip()]


def to_customer(rule: str, conditioned: bool) -> str:
    """A policy rule as the customer reads it: conditions dropped, asks as questions."""
    if conditioned and ":" in rule:
        rule = rule.split(":", 1)[1].strip()  # "Items under £75: no need ..." -> "no need ..."
    said = []
    for sentence in (c for s in _sentences(rule) for c in re.split(r";\s+", s)):
        sentence = _TELL.sub("", sentence)
        asked_for, asked_to = _ASK_FOR.match(sentence), _ASK_TO.match(sentence)
        if asked_for:
            said.append(f"Could you please send us {asked_for.group(1)}?")
        elif asked_to:
            said.append(f"Could you please {asked_to.group(1)}?")
        elif _WE_DO.match(sentence):
            said.append(f"We will {sentence[:1].lower()}{sentence[1:]}")
        elif _NO_NEED.match(sentence):
            tail = re.sub(r"\bthem\b", "it", sentence[len("no need to") :].strip())
            said.append(f"There is no need to {tail}")
        else:
            said.append(sentence[:1].upper() + sentence[1:])
    said = [_CUSTOMER.sub(lambda m: "your" if m.group(1) else "you", s) for s in said]
    for third, second in _VERB_FIXES:
        said = [re.sub(rf"\b([Yy]ou) {third}\b", rf"\1 {second}", s) for s in said]
    # "you keeps" -> "you keep", "you applies" -> "you apply"
    said = [re.sub(r"\b([Yy]ou) (\w{2,}?)ies\b", r"\1 \2y", s) for s in said]
    said = [re.sub(r"\b([Yy]ou) (\w{2,}[^s\W])s\b", r"\1 \2", s) for s in said]
    said = [s[:1].upper() + s[1:] for s in said]
    return " ".join(s if s.endswith((".", "?", "!")) else f"{s}." for s in said)


def policy_answer(
    work: Work, subjects: TaskSubjects, message_path: str, priced: bool = False
) -> tuple[list[str], list[str], str | None]:
    """(reply lines, notes for the person, the policy file) of the policy applied to the message;
    no lines when no policy is named or none of its rules could be read. `priced`: the claim is
    already priced from an order table, so the reply's opening and figure come from there."""
    policy = policy_file(work, subjects, message_path)
    if policy is None:
        return [], [], None
    found = work.output("apply_policy", message=message_path, policy=policy) or ""
    if found.startswith("Error") or not found:
        return [], [f"The policy {policy} could not be read: {found}"], None
    lines = found.splitlines()
    record = next((m.group(1) for m in map(_RECORD.match, lines) if m), "")
    item = next((m for m in map(_ITEM.match, lines) if m), None)
    refund = next((m for m in map(_REFUND.match, lines) if m), None)
    reply: list[str] = []
    if priced:
        pass
    elif item:
        about = f" from {record}" if record else ""
        if item.group(3):
            problem = item.group(3).strip()
            said = f"was {problem}" if " " not in problem else problem
            said = "is not working" if problem == "not working" else said
            reply.append(f"I'm sorry that your {item.group(1)}{about} {said}.")
        else:
            reply.append(f"Thank you for getting in touch about your {item.group(1)}{about}.")
    elif record:
        reply.append(f"Thank you for getting in touch about {record}.")
    if refund and not priced:
        worked = refund.group(1)
        total = worked.rsplit(" = ", 1)[-1] if " = " in worked else worked.split(" (")[0]
        how = f": {worked.rsplit(' = ', 1)[0]}" if " = " in worked else ""
        why = next(
            (
                m.group(1)
                for m in map(_WHY.match, lines)
                if m and m.group(0).find(f"(line {refund.group(3)};") > 0
            ),
            "",
        )
        because = f" ({why[:1].lower()}{why[1:]})" if why else ""
        if refund.group(2):  # paid as credit, not money back
            reply.append(f"We will give you {total} as {refund.group(2)}{how}{because}.")
        else:
            reply.append(f"We will refund {total}{how}{because}.")
    used = {refund.group(3)} if refund and not priced else set()
    notes = []
    for line in lines:
        applies, skipped = _APPLIES.match(line), _NOT.match(line)
        if applies and applies.group(1) not in used and not _META.search(applies.group(2)):
            reply.append(to_customer(applies.group(2), conditioned="; " in line.split(")")[0]))
        elif skipped:
            notes.append(f"Not applied: {policy} line {skipped.group(2)} ({skipped.group(3)}).")
    if not reply:
        return [], notes, None
    notes.insert(0, f"Followed the policy {policy} (rules checked against {message_path}).")
    return ["", *reply], notes, policy


_TABLE_TYPES = ("csv", "tsv")
_CAPPED = re.compile(r"^line (\d+): (.*) (\S+) -> (\S+) \((.*)\)$")
_TOTALS = re.compile(r"^(\S+) against (\S+): \d+ rows, spent (\S+), repaid (\S+)$")
_TO = re.compile(
    r"\b(?i:e-?mail|message|letter|note|write|send|sent|addressed|submit\w*)\s+(?:it\s+)?to\s+"
    r"(?:(?:my|our|the|his|her|their|your)\s+(?:[a-z][\w-]*(?:\s+|,\s*)){1,3})?"
    r"((?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)?[A-Z][a-z][\w'’-]*(?:\s+[A-Z][\w'’-]+){0,1})"
)


def capped_claim(work: Work, subjects: TaskSubjects, texts: list[str]) -> Outcome | None:
    """A claim written from a table of spending and the policy that caps it: each row with
    what is claimed and why, and the total; None without such a table and policy."""
    tables = [
        path
        for name in subjects.files
        if name.rsplit(".", 1)[-1].lower() in _TABLE_TYPES
        for path in [work.resolve(name)]
        if path
    ]
    policy = policy_file(work, subjects, "") if tables else None
    if policy is None:
        return None
    found = work.output("apply_caps", table=tables[0], policy=policy) or ""
    lines = found.splitlines()
    totals = _TOTALS.match(lines[0]) if lines else None
    if totals is None:
        return None
    table = totals.group(1)
    to = next((m.group(1) for t in texts for m in [_TO.search(t)] if m), "")
    rows = []
    for capped in map(_CAPPED.match, lines[1:]):
        if capped is None:
            continue
        number, what, spent, claimed, why = capped.groups()
        why = why.replace(f"{policy} line", f"`{policy}` line")
        where = f"`{table}` line {number}"
        if spent == claimed:
            rows.append(f"- {what}: {claimed} ({where}; {why})")
        else:
            rows.append(f"- {what}: {spent}, claimed {claimed} ({where}; {why})")
    spent, repaid = totals.group(3), totals.group(4)
    text = [
        f"Subject: Expense claim: {repaid}",
        "",
        f"Dear {to}," if to else "Hello,",
        "",
        f"I would like to claim {repaid} of the {spent} I spent, following `{policy}`:",
        *rows,
        "",
        f"Total claimed: {repaid} (of {spent} spent).",
        "",
        "Best regards,",
    ]
    kept = [
        (n, t)
        for n, t in (
            (m.group(1), m.group(2)) for m in map(_APPLIES.match, _policy_lines(work, policy)) if m
        )
    ]
    notes = ["", "---", "Notes for you (not part of the text):"]
    notes += [f"- Also in `{policy}` line {n}: {t}" for n, t in kept]
    target = "drafts/expense-claim.md"
    done = work.call("write_file", file_path=target, text="\n".join(text) + "\n")
    return Outcome(
        title=f"Expense claim: {repaid}",
        lines=[*text, *notes],
        written=target if done.ok else None,
        did=f"drafted the claim from {table} following {policy} ({repaid} of {spent})",
    )


def _policy_lines(work: Work, policy: str) -> list[str]:
    """The policy's lines that neither cap nor exclude, as 'applies' lines (for the notes)."""
    text = work.output("read_lines", path=policy, start=1) or ""
    out = []
    for line in text.splitlines()[1:]:
        number, _, said = line.partition(": ")
        said = re.sub(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", "", said).strip()
        if not said or said.startswith("#") or not number.isdigit():
            continue
        if re.search(r"[£$€¥₹]\s?\d|\d\s?(?:GBP|USD|EUR)|\bnot\b|\bexcluded\b|\bnon-", said):
            continue
        out.append(f"applies (line {number}): {said}")
    return out
