"""Kinds of help, and a keyword labeller that names the kind of a task text.

The labeller gives weak labels: it reads a proposed task's wording (not the events) and is used to
train the drafter's kind model and to give the judge the kind of the task it judges.
"""

from __future__ import annotations

import re

KINDS: tuple[str, ...] = (
    "explain",
    "lookup_docs",
    "fix_error",
    "summarise",
    "draft_text",
    "organise",
    "find_examples",
    "review",
)
"""Every kind of help the embedded drafter can offer, in a fixed order."""

KIND_PHRASES: dict[str, str] = {
    "explain": "an explanation",
    "lookup_docs": "documentation and references",
    "fix_error": "help with the error",
    "summarise": "a summary",
    "draft_text": "a draft to start from",
    "organise": "help organising the material",
    "find_examples": "worked examples",
    "review": "a review of the work",
    "other": "help",
}
"""How a reason names each kind of help."""

# First matching rule wins: specific kinds are tried before broad ones. A task that starts by
# sending the assistant off to search is a look-up, whatever it then names ("reviews", "papers").
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fix_error",
        re.compile(
            r"\bdebug\w*|\berror\w*|\bfix\w*|\bbugs?\b|\btroubleshoot\w*|\bresolv\w*|\bissues?\b"
            r"|\bnot found\b|\bdouble-check\w*|\bverify\b|\bproblem\w*|\btypos?\b"
            r"|\bgoing wrong\b"
        ),
    ),
    (
        "summarise",
        re.compile(
            r"\bsummar\w*|\boverview\b|\bkey (?:points|features|takeaways)\b|\bcompar\w*"
            r"|\bdifferences?\b|\bhighlight\w*|\bdigest\b|\brecap\w*"
        ),
    ),
    (
        "find_examples",
        re.compile(
            r"\bexamples?\b|\bsnippets?\b|\bsamples?\b|\btutorials?\b|\bdemo\w*"
            r"|\bcode for\b|\bimplementation of\b"
        ),
    ),
    (
        "lookup_docs",
        re.compile(
            r"^(?:please )?(?:search\w*|look\w* (?:up|for|into)|find\w*|brows\w*|locat\w*"
            r"|explor\w*|open\w*|pull\w* up|perform a search|conduct a \w*\s?search)\b"
        ),
    ),
    (
        "organise",
        re.compile(
            r"\borgani[sz]\w*|\bstructur\w*|\bformat(?:ting)? (?:the|your|their|and)\b"
            r"|\barrang\w*|\bcatalog\w*"
            r"|\bbookmark\w*|\bsave\b|\btake notes?\b|\bnote-taking\b|\bsplit screen\b"
            r"|\bmanag(?:e|er|ing)\b|\bsort\w*|\bgroup\w*|\btabs?\b|\bworkspace\b|\bwindows\b"
            r"|\binto (?:one|a single) list\b"
        ),
    ),
    (
        "review",
        re.compile(
            r"\breview(?!s\b)\w*|\bimprov(?:e|es|ing)\b|\bimprovements? (?:to|for|in)\b"
            r"|\boptimi[sz]\w*|\bbest practices?\b|\bfeedback\b"
            r"|\bcheck\w*|\brefactor\w*|\bsecure practices\b|\bpitfalls\b|\bclean ?up\b"
            r"|\banaly[sz]\w*|\benhanc\w*"
        ),
    ),
    (
        "draft_text",
        re.compile(
            r"\bdraft\w*|\bcompos\w*|\boutline\w*|\breport\b|\btranslat\w*|\bparagraph"
            r"|\bessay\b|\b(?:write|writing) (?:an? |the |up |some )?(?:summary|paragraph|section"
            r"|notes?|report|draft|text|content|introduction|conclusion|email|research)\b"
            r"|\bcontinue writing\b|\bnotes?\b|^(?:write|draft|create|compose)\b"
        ),
    ),
    (
        "lookup_docs",
        re.compile(
            r"\bdocumentation\b|\bdocs?\b|\breferences?\b|\bresources?\b|\blibrar\w*|\bsearch\w*"
            r"|\blook\w* (?:up|for)\b|\bfind\w*|\bbrows\w*|\bexplor\w*|\breleases?\b|\bguides?\b"
            r"|\barticles?\b|\bstudies\b|\bpapers?\b|\bwebsites?\b|\blinks?\b|\bopen\b"
            r"|\bspecifications?\b|\breviews\b|\binformation\b|\bread\w*|\blocat\w*|\blist of\b"
        ),
    ),
    (
        "explain",
        re.compile(
            r"^answer\b|\bexplain\w*|\bexplan\w*|\bguidance\b|\bhow to\b|\btips?\b|\bstep-by-step\b"
            r"|\bunderstand\w*|\bwhat\b|\bwhy\b|\bconcepts?\b|\bclarif\w*|\bteach\w*|\bintro\w*"
            r"|\bsuggest\w*|\brecommend\w*|\badvice\b|\badvis\w*|\bhelp\b|\bassist\w*|\bshow\b"
        ),
    ),
)


def label_kind(task: str) -> str | None:
    """The kind of help a task text offers, by keyword rules; None when no rule matches."""
    lowered = " ".join(task.lower().split())
    for kind, pattern in _RULES:
        if pattern.search(lowered):
            return kind
    return None


def kind_of(task: str) -> str:
    """Like `label_kind`, but 'other' when no rule matches (for features and reasons)."""
    return label_kind(task) or "other"
