"""The embedded drafter: concrete task proposals from templates, filled with the events' names.

Which kind of help fits is learned (a multinomial logistic regression from the window's features
to the kind of help users accepted); the wording is this project's own templates, one list per
kind, filled with the files, queries, errors and page titles the events mention.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from backends.local.activity import Activity, describe
from backends.local.entities import Entities, extract_entities
from backends.local.features import user_events, window_features
from backends.local.kinds import KINDS
from backends.local.linear import ArtifactError, LinearModel, load_linear, softmax
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
    'page', 'topic', or '' for none."""
    task: str
    """The task, with {name} where the slot's value goes."""
    thoughts: str
    """Why this helps now, with the same placeholder."""
    domain: str = "any"
    """'code' or 'text' when the wording only suits that kind of work, else 'any'."""

    @property
    def specific(self) -> bool:
        """Whether it names something the user actually touched."""
        return self.slot in ("question", "query", "file", "error", "page")


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
            "Explain the key ideas behind '{name}' in a few sentences.",
            "The user is researching '{name}'; a short explanation gives them a footing.",
        ),
        _t(
            "file",
            "Walk through what the code in '{name}' does and where its logic could go wrong.",
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
            "topic",
            "Give a short plain-language explanation of {name}.",
            "Recent steps keep returning to {name}.",
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
            "Find the official documentation that answers '{name}' and point to the exact section.",
            "Going straight to the reference saves sifting through search results for '{name}'.",
            "code",
        ),
        _t(
            "query",
            "Find three trustworthy sources on '{name}', each with a link and a one-line note.",
            "Vetted sources save sifting through results for '{name}'.",
            "text",
        ),
        _t(
            "file",
            "Open the reference documentation for the language and libraries that '{name}' uses.",
            "Having the reference next to '{name}' saves switching to search while coding.",
            "code",
        ),
        _t(
            "page",
            "Gather three trustworthy sources that go deeper than '{name}', with a link "
            "and one line each.",
            "The user is researching around '{name}'; vetted sources save time.",
        ),
        _t(
            "topic",
            "Collect three reliable references on {name}, each with a link and what it covers.",
            "The recent activity centres on {name}.",
        ),
        _t(
            "",
            "Look up reference material for the task at hand and list the best three links.",
            "Reference material tends to help at this stage.",
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
            "Find the usual causes of the problem behind '{name}' and how each is fixed.",
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
            "query",
            "Summarise what the top results for '{name}' agree on, in a few bullets.",
            "Several results for '{name}' are open; a digest spares reading them all.",
        ),
        _t(
            "file",
            "Summarise the notes in '{name}' so far in a short paragraph.",
            "'{name}' has grown; a summary shows what is covered.",
            "text",
        ),
        _t(
            "topic",
            "Summarise what has been gathered so far on {name} in a few bullet points.",
            "The user has collected material on {name}.",
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
            "query",
            "Write a short answer to '{name}' that can go straight into the notes.",
            "The user is collecting answers to '{name}'.",
        ),
        _t(
            "topic", "Draft a paragraph on {name} to build on.", "The user is writing about {name}."
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
            "topic",
            "Arrange the findings on {name} into a table, one row per source.",
            "Findings on {name} are spread over several places.",
        ),
        _t(
            "",
            "Group the open windows and tabs by task.",
            "Switching back and forth suggests the workspace could be tidier.",
        ),
    ),
    "find_examples": (
        _t(
            "query",
            "Find a short, working code example for '{name}'.",
            "An example answers '{name}' faster than prose.",
            "code",
        ),
        _t(
            "query",
            "Find two real examples that illustrate '{name}', with a line on each.",
            "Concrete cases make '{name}' easier to judge.",
            "text",
        ),
        _t(
            "file",
            "Find example code close to what '{name}' is trying to do.",
            "Seeing working code helps finish '{name}'.",
            "code",
        ),
        _t("topic", "Find two worked examples about {name}.", "Examples make {name} concrete."),
        _t(
            "",
            "Find a worked example of what the user is building.",
            "Examples help at this stage.",
        ),
    ),
    "review": (
        _t(
            "file",
            "Review '{name}' for unclear names, missing edge cases and needless complexity.",
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
            "Check the claims in '{name}' against other sources.",
            "The user is relying on '{name}'; a cross-check guards against errors.",
        ),
        _t(
            "topic",
            "Review the notes on {name} for gaps and contradictions.",
            "The material on {name} is growing.",
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


def _display(name: str, slot: str) -> str:
    """A name as a task shows it: one line, page titles without their site suffix."""
    name = " ".join(name.split())
    if slot == "page":
        for sep in (" - ", " | ", " · "):
            head = name.split(sep)[0].strip()
            if len(head) >= 3:
                name = head
    return name if len(name) <= _NAME_LIMIT else name[: _NAME_LIMIT - 1].rstrip() + "…"


def _is_question(query: str) -> bool:
    first = query.split()[0].lower() if query.split() else ""
    return query.rstrip().endswith("?") or first in ("how", "what", "why", "which", "when", "where")


def _slot_values(slot: str, ents: Entities) -> tuple[str, ...]:
    """Candidate fillers for a slot, most recent first."""
    if slot == "topic":
        return (" and ".join(ents.topics[:2]),) if ents.topics else ()
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
        }[slot]
    return tuple(_display(v, slot) for v in values[:2])


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
        activity = describe(seen, ents)
        avoided = {_normalise(t) for t in avoid_tasks}
        probs = self.kind_probabilities(seen)
        scored: list[tuple[float, int, Draft]] = []
        for order, kind in enumerate(KINDS):
            if kind in avoid_kinds or kind not in probs:
                continue
            draft = self._word(kind, probs[kind], ents, activity, avoided)
            if draft is not None:
                scored.append((draft.score, -order, draft))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [draft for _, _, draft in scored[:k]]

    def _word(
        self,
        kind: str,
        probability: float,
        ents: Entities,
        activity: Activity,
        avoided: set[str],
    ) -> Draft | None:
        """The first wording of a kind whose slot can be filled and that is not avoided."""
        domain = work_domain(ents)
        for template in TEMPLATES[kind]:
            if template.domain not in ("any", domain):
                continue
            for value in _slot_values(template.slot, ents):
                task = template.task.format(name=value)
                if _normalise(task) in avoided:
                    continue
                score = probability * (1.0 if template.specific else GENERIC_PENALTY)
                return Draft(
                    task=task,
                    kind=kind,
                    purpose=activity.purpose,
                    thoughts=template.thoughts.format(name=value),
                    response=_response(task),
                    score=round(score, 6),
                )
        return None
