"""The embedded drafter: concrete task proposals from templates, filled with the events' names.

Which kind of help fits is learned (a multinomial logistic regression from the window's features
to the kind of help users accepted); the wording is this project's own templates, one list per
kind, filled with the files, queries, errors and page titles the events mention.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from backends.local.activity import Activity, describe
from backends.local.cues import cue_draft, error_on_screen
from backends.local.entities import NAME_WINDOW, Entities, extract_entities
from backends.local.features import user_events, window_features
from backends.local.kinds import KINDS
from backends.local.linear import ArtifactError, LinearModel, load_linear, softmax
from backends.local.text import _FILE as _FILE_NAME
from backends.local.text import command_files, read_event
from graphs.state import Draft, Event

ARTIFACT = "drafter.json"
"""File name of the drafter's artifact."""

GENERIC_PENALTY = 0.6
"""A draft that names nothing from the events ranks below a concrete one of similar fit."""

_NAME_LIMIT = 80


@dataclass(frozen=True)
class Template:
    """One way to word a task of some kind."""

    slot: str
    """The name it needs: 'question' (a query worded as a question), 'query', 'file', 'error',
    'page', 'title' (another quoted name: a document, a heading), or '' for none."""
    task: str
    """The task, with {name} where the slot's value goes."""
    thoughts: str
    """Why this helps now, with the same placeholder."""
    domain: str = "any"
    """'code' or 'text' when the wording only suits that kind of work, else 'any'."""

    @property
    def specific(self) -> bool:
        """Whether it names something the user actually touched."""
        return self.slot in ("question", "query", "file", "error", "page", "title")


def _t(slot: str, task: str, thoughts: str, domain: str = "any") -> Template:
    return Template(slot=slot, task=task, thoughts=thoughts, domain=domain)


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "explain": (
        _t(
            "question",
            "Answer '{name}' in a few plain steps, with a short illustration.",
            "The search for '{name}' suggests a gap in understanding; a direct answer may end "
            "the search.",
        ),
        _t(
            "query",
            "Explain what '{name}' does and how it is called, with its signature.",
            "The user is looking into '{name}'; the reference that ships with the code answers "
            "it exactly.",
            "code",
        ),
        _t(
            "query",
            "Explain the key ideas behind '{name}' in a few sentences.",
            "The user is researching '{name}'; a short explanation gives them a footing.",
            "text",
        ),
        _t(
            "file",
            "Walk through what the code in '{name}' does, function by function.",
            "The user is working in '{name}'; a plain walkthrough helps them reason "
            "about the next change.",
            "code",
        ),
        _t(
            "page",
            "Explain the main idea of '{name}' in plain words.",
            "The user is reading '{name}'; a plain restatement speeds up taking it in.",
        ),
        _t(
            "title",
            "Explain the main idea of '{name}' in plain words.",
            "The user is working on '{name}'; a plain restatement helps them take it in.",
        ),
        _t(
            "",
            "Explain the idea behind what is on screen in a few sentences.",
            "A short explanation may help the user move on.",
        ),
    ),
    "lookup_docs": (
        _t(
            "query",
            "Look up '{name}' in the documentation installed here and quote the relevant part.",
            "Going straight to the reference saves sifting through search results for '{name}'.",
            "code",
        ),
        _t(
            "query",
            "Look up what your files already say about '{name}', with where each point is.",
            "What the user already has on '{name}' is quicker to use than a new search.",
            "text",
        ),
        _t(
            "file",
            "Look up the installed documentation of the libraries that '{name}' uses.",
            "Having the reference next to '{name}' saves switching to search while coding.",
            "code",
        ),
        _t(
            "page",
            "Look up what your files already say about '{name}', with where each point is.",
            "The user is researching '{name}'; their own material is the first place to look.",
        ),
        _t(
            "title",
            "Look up what your files already say about '{name}', with where each point is.",
            "The user is working on '{name}'; their own material is the first place to look.",
        ),
        _t(
            "",
            "Look up the documentation installed here for the code at hand.",
            "Reference material tends to help at this stage.",
            "code",
        ),
    ),
    "fix_error": (
        _t(
            "error",
            "Diagnose the error '{name}' and propose a concrete fix.",
            "The error '{name}' blocks progress; a diagnosis saves trial and error.",
        ),
        _t(
            "file",
            "Check '{name}' for mistakes that would stop it from running and suggest fixes.",
            "Catching a bug in '{name}' before it runs saves a debugging round.",
            "code",
        ),
        _t(
            "query",
            "Trace where the problem behind '{name}' starts in your code and how to fix it.",
            "The search for '{name}' looks like troubleshooting.",
            "code",
        ),
        _t(
            "file",
            "Check '{name}' for typos, broken links and formatting slips.",
            "Small slips in '{name}' are easy to miss while writing.",
            "text",
        ),
        _t(
            "",
            "Help track down what is going wrong, starting from the last step that worked.",
            "Something seems not to work as expected.",
        ),
    ),
    "summarise": (
        _t(
            "page",
            "Summarise '{name}' in five bullet points.",
            "The user is reading '{name}'; a summary keeps the key points at hand.",
        ),
        _t(
            "file",
            "Summarise '{name}' in a few bullet points.",
            "'{name}' has grown; a summary shows what is covered.",
        ),
        _t(
            "title",
            "Summarise what '{name}' covers so far in a few bullet points.",
            "The user is working on '{name}'; a summary shows what is covered.",
        ),
        _t(
            "query",
            "Summarise what your notes say about '{name}' in a few bullets.",
            "The user keeps coming back to '{name}'; a digest of their own notes helps.",
        ),
        _t(
            "",
            "Summarise the material opened in the last few minutes in a few bullets.",
            "A digest helps when much has been read.",
        ),
    ),
    "draft_text": (
        _t(
            "file",
            "Draft the next section of '{name}' from the material gathered so far.",
            "The user is writing '{name}'; a draft gives a starting point.",
            "text",
        ),
        _t(
            "file",
            "Draft the next step of '{name}' in code, with a comment on how it works.",
            "The user is building '{name}'; a first version is quicker to adapt than to write.",
            "code",
        ),
        _t(
            "title",
            "Draft an outline for '{name}' to build on.",
            "The user is starting '{name}'; an outline is easier to fill than a blank page.",
        ),
        _t(
            "query",
            "Write a short answer to '{name}' that can go straight into the notes.",
            "The user is collecting answers to '{name}'.",
        ),
        _t(
            "",
            "Draft a first version of the text being worked on.",
            "A first draft is easier to edit than a blank page.",
        ),
    ),
    "organise": (
        _t(
            "file",
            "Organise the notes in '{name}' under clear headings.",
            "'{name}' is growing; structure keeps it usable.",
            "text",
        ),
        _t(
            "page",
            "Put the pages opened so far, starting with '{name}', into one list with a "
            "line on each.",
            "Many pages are open; a list keeps track of them.",
        ),
        _t(
            "title",
            "Organise the work on '{name}' into a checklist of next steps.",
            "The user is working on '{name}'; a checklist keeps track of what is left.",
        ),
        _t(
            "",
            "Organise the last few steps into a checklist of what is left to do.",
            "Switching back and forth suggests a list of open items would help.",
        ),
    ),
    "find_examples": (
        _t(
            "query",
            "Find a short, working code example for '{name}' in the installed documentation.",
            "An example answers '{name}' faster than prose.",
            "code",
        ),
        _t(
            "query",
            "Find examples of '{name}' in your own files, with where each one is.",
            "Concrete cases make '{name}' easier to judge.",
            "text",
        ),
        _t(
            "file",
            "Find example code in your project close to what '{name}' is trying to do.",
            "Seeing working code helps finish '{name}'.",
            "code",
        ),
        _t(
            "title",
            "Find examples in your files that could go into '{name}'.",
            "Material the user already has can fill '{name}' quickly.",
        ),
        _t(
            "",
            "Find a worked example in your project of what is being built.",
            "Examples help at this stage.",
        ),
    ),
    "review": (
        _t(
            "file",
            "Review '{name}' with a linter for unclear names, missing edge cases and needless "
            "complexity.",
            "'{name}' has been edited for a while; a second look catches slips.",
            "code",
        ),
        _t(
            "file",
            "Review '{name}' for gaps, unsupported claims and unclear wording.",
            "'{name}' has grown; a second reader catches what the writer cannot.",
            "text",
        ),
        _t(
            "page",
            "Review the claims in '{name}' and mark the ones that need a source.",
            "The user is relying on '{name}'; marking unsupported claims guards against errors.",
        ),
        _t(
            "title",
            "Review the draft of '{name}' for gaps and unclear wording.",
            "The material on '{name}' is growing.",
        ),
        _t(
            "",
            "Review the current work for mistakes and gaps.",
            "A second look often catches slips.",
        ),
    ),
}
"""Task wording per kind of help, most specific first."""

CODE_EXTENSIONS = frozenset(
    "py rb js ts jsx tsx java kt go rs c h cpp hpp cs swift m r jl php html css scss json yaml "
    "yml toml xml csv tsv ipynb sql sh bat ps1 vue svelte dart lua pl scala".split()
)
"""File extensions that mark programming work (others, such as .md or .docx, mark writing)."""

DATA_EXTENSIONS = frozenset("json yaml yml toml xml csv tsv ipynb".split())
"""Programming files that hold data, not code: no linter, walkthrough or library docs apply."""

_EXCEPTION = re.compile(r"\b((?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception))\b")
"""An exception's name as an event shows it ('json.decoder.JSONDecodeError', 'KeyError')."""

ERROR_WINDOW = 2
"""An error shown in this many latest user events is what the user is on now."""


def recent_errors(events: Sequence[Event], ents: Entities) -> tuple[str, ...]:
    """The errors the latest user events show: the messages the rules read, else the exception
    names they mention (an unquoted 'shows a json.decoder.JSONDecodeError'), most recent first."""
    latest = [e for e in events if e.source != "agent"][-ERROR_WINDOW:]
    found: dict[str, None] = {}
    for event in reversed(latest):
        fact = read_event(event.text)
        for error in fact.errors:
            found.setdefault(error, None)
        if fact.errors or fact.queries:
            continue  # a search for an error's name is not the error on screen
        for match in _EXCEPTION.finditer(event.text):
            name = match.group(1)
            if not any(name in message for message in ents.errors):
                found.setdefault(name, None)
    return tuple(found)


_CODE_WORDS = frozenset(
    """code coding function functions method class python ruby java javascript typescript html
    css php swift swiftui golang rust kotlin sql api apis library libraries error exception bug
    debug compile script array string regex json tensorflow pandas numpy oauth token git github
    programming variable loop npm pip install import stack overflow stackoverflow
    terminal""".split()
)


def work_domain(ents: Entities) -> str:
    """'code' or 'text': the kind of work the window is about, so wordings fit it."""
    if ents.files:
        ext = ents.files[0].rsplit(".", 1)[-1].lower()
        return "code" if ext in CODE_EXTENSIONS else "text"
    words = ents.words() | {w.lower() for w in ents.topics}
    if ents.errors or words & _CODE_WORDS:
        return "code"
    return "text"


def _display(name: str, slot: str) -> str | None:
    """A name as a task shows it: one line, page titles without their site suffix; None when it
    is too long to quote whole (a proposal quotes only what the events say, never a cut)."""
    name = " ".join(name.split())
    if slot == "page":
        for sep in (" - ", " | ", " · "):
            head = name.split(sep)[0].strip()
            if len(head) >= 3:
                name = head
    return name if 2 <= len(name) <= _NAME_LIMIT else None


_CODE_LIKE = re.compile(r"[(){}\[\]=;<>$]|/")


def quoted_titles(events: Sequence[Event], ents: Entities) -> tuple[str, ...]:
    """Quoted names of the recent events that are not files, queries, errors, pages or
    applications (a document's or a heading's name), most recent first: the subject a proposal
    can name when nothing more specific is there. Commands and code snippets are left out."""
    taken = {n.casefold() for n in (*ents.files, *ents.queries, *ents.errors, *ents.pages)}
    taken |= {a.casefold() for a in ents.apps}
    found: dict[str, None] = {}
    for event in reversed([e for e in events if e.source != "agent"][-NAME_WINDOW:]):
        for span in read_event(event.text).quoted:
            name = " ".join(span.split())
            key = name.casefold()
            if key in taken or _CODE_LIKE.search(name) or _FILE_NAME.search(name):
                continue
            if not re.search(r"[^\W\d_]{2}", name) or key in {k.casefold() for k in found}:
                continue
            found[name] = None
    return tuple(found)[:3]


def _is_question(query: str) -> bool:
    first = query.split()[0].lower() if query.split() else ""
    return query.rstrip().endswith("?") or first in ("how", "what", "why", "which", "when", "where")


def _slot_values(
    slot: str, ents: Entities, titles: Sequence[str] = (), source_only: bool = False
) -> tuple[str, ...]:
    """Candidate fillers for a slot, most recent first (`source_only`: files of code, not of
    data, for wordings that read, lint or document code)."""
    if slot == "":
        return ("",)
    if slot == "question":
        values: tuple[str, ...] = tuple(q for q in ents.queries if _is_question(q))
    else:
        values = {
            "query": ents.queries,
            "file": ents.files,
            "error": ents.errors,
            "page": ents.pages,
            "title": tuple(titles),
        }[slot]
    if slot == "file":
        # A quoted command line ('python export.py') names the file it runs.
        values = tuple(dict.fromkeys(f for v in values for f in command_files(v)))
    if slot == "file" and source_only:
        values = tuple(v for v in values if v.rsplit(".", 1)[-1].lower() not in DATA_EXTENSIONS)
    shown = (_display(v, slot) for v in values[:3])
    return tuple(v for v in shown if v is not None)[:2]


def _fill(text: str, value: str) -> str:
    """A template with its name: quoted in double quotes when the name holds a single one, so
    that "KeyError: 'total'" reads as one quotation."""
    if "'" in value and '"' not in value:
        text = text.replace("'{name}'", '"{name}"')
    return text.format(name=value)


def _normalise(task: str) -> str:
    return " ".join(task.casefold().split()).rstrip(".")


def _response(task: str) -> str:
    """What to say to the user: the task as an offer."""
    body = task.rstrip(".")
    return f"Shall I {body[0].lower()}{body[1:]}?" if body else ""


@dataclass(frozen=True)
class Drafter:
    """Ranks kinds of help with a learned model and words drafts from `TEMPLATES`."""

    model: LinearModel
    """Multinomial linear model over `window_features`; its classes are kinds of help."""

    @classmethod
    def load(cls, path: Path) -> Drafter:
        """Load from a `drafter.json` artifact."""
        model, _ = load_linear(path, "drafter")
        unknown = [c for c in model.classes if c not in TEMPLATES]
        if unknown:
            raise ArtifactError(f"{path} names unknown kinds {unknown}; run `proactive train`")
        return cls(model=model)

    def kind_probabilities(self, events: Sequence[Event]) -> dict[str, float]:
        """How well each kind of help fits the window (sums to 1 over the model's kinds)."""
        probs = softmax(self.model.logits(window_features(events)))
        return {kind: float(p) for kind, p in zip(self.model.classes, probs, strict=True)}

    def candidates(
        self,
        events: Sequence[Event],
        avoid_kinds: Collection[str] = (),
        avoid_tasks: Collection[str] = (),
        k: int = 3,
    ) -> list[Draft]:
        """Up to k drafts of different kinds, best first.

        Kinds in `avoid_kinds` are skipped, and so is any wording equal (ignoring case and
        spacing) to a task in `avoid_tasks`; the next wording of the same kind is tried instead.
        """
        seen = user_events(events)
        if not seen or k <= 0:
            return []
        ents = extract_entities(seen)
        shown = recent_errors(seen, ents)
        if shown:
            ents = replace(ents, errors=tuple(dict.fromkeys((*shown, *ents.errors))))
        titles = quoted_titles(seen, ents)
        activity = describe(seen, ents)
        avoided = {_normalise(t) for t in avoid_tasks}
        probs = self.kind_probabilities(seen)
        scored: list[tuple[float, int, Draft]] = []
        for order, kind in enumerate(KINDS):
            if kind in avoid_kinds or kind not in probs:
                continue
            draft = self._word(kind, probs[kind], ents, titles, activity, avoided)
            if draft is not None:
                scored.append((draft.score, -order, draft))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        drafts = [draft for _, _, draft in scored]
        chosen = drafts[:k]
        # An error on screen now: a fix is always among the offers (the judge and the personal
        # model still choose), whatever the kind model ranks first.
        fixes = [d for d in drafts[k:] if d.kind == "fix_error"]
        if shown and fixes and k > 1:
            chosen = [*chosen[: k - 1], fixes[0]]
        # The last action names the help outright (a heading typed, a question about the code on
        # screen): that draft comes first, whatever the window's kinds rank.
        cue = cue_draft(seen)
        fix = next((d for d in drafts if d.kind == "fix_error"), None)
        if shown and fix is not None and error_on_screen(seen):
            cue = fix.model_copy(update={"cue": "an error on screen"})
        if cue is not None and cue.kind not in avoid_kinds and _normalise(cue.task) not in avoided:
            cue = cue.model_copy(update={"purpose": activity.purpose})
            chosen = [cue, *(d for d in chosen if d.kind != cue.kind)][:k]
        return chosen

    def _word(
        self,
        kind: str,
        probability: float,
        ents: Entities,
        titles: Sequence[str],
        activity: Activity,
        avoided: set[str],
    ) -> Draft | None:
        """The first wording of a kind whose slot can be filled and that is not avoided."""
        domain = work_domain(ents)
        for template in TEMPLATES[kind]:
            if template.domain not in ("any", domain):
                continue
            source_only = template.domain == "code" and kind != "fix_error"
            for value in _slot_values(template.slot, ents, titles, source_only):
                task = _fill(template.task, value)
                if _normalise(task) in avoided:
                    continue
                score = probability * (1.0 if template.specific else GENERIC_PENALTY)
                return Draft(
                    task=task,
                    kind=kind,
                    purpose=activity.purpose,
                    thoughts=_fill(template.thoughts, value),
                    response=_response(task),
                    score=round(score, 6),
                )
        return None
