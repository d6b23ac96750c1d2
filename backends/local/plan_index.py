"""The offline plan for each kind of help (backends/local/kinds.py KINDS)."""

from __future__ import annotations

from backends.local.plans import Plan, fix_error, lookup_docs
from backends.local.plans_code import explain, find_examples
from backends.local.plans_draft import draft_text
from backends.local.plans_notes import organise, summarise
from backends.local.plans_review import review

PLANS: dict[str, Plan] = {
    "fix_error": fix_error,
    "review": review,
    "lookup_docs": lookup_docs,
    "explain": explain,
    "find_examples": find_examples,
    "summarise": summarise,
    "draft_text": draft_text,
    "organise": organise,
}
"""The plan for each kind of help."""
