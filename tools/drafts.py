"""`write_outline`: a markdown outline with exactly the sections a task names, in the workspace.

An outline is the part of a draft that can be written without facts: the title, the sections the
person asked for in their order, and under each a prompt or two built only from the section's
name and the title. Nothing else is put in (no invented figures, no filler sections), and the file
goes under the workspace's `drafts/` folder, never outside the workspace.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field, field_validator

DRAFTS_DIR = "drafts"
"""Folder of the workspace that outlines go to."""
MAX_SECTIONS = 20
MAX_SECTION_CHARS = 80
MAX_TITLE_CHARS = 200
_PROMPTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("need", "problem", "challenge", "motivation", "rationale"): (
        "What problem does {title} address, and who has it?",
        "What shows that the need is real?",
    ),
    ("background", "context", "history"): ("What does a reader need to know before {title}?",),
    ("introduction", "overview", "summary", "executive summary", "abstract"): (
        "What is {title}, in two or three sentences?",
    ),
    ("goals", "goal", "objectives", "aims", "purpose", "scope"): (
        "What will {title} achieve?",
        "How will success be recognised?",
    ),
    ("impact", "outcomes", "benefits", "results"): (
        "What changes because of {title}, and for whom?",
        "How will the change be measured?",
    ),
    ("budget", "costs", "cost", "funding", "finances", "resources"): (
        "What will {title} cost, item by item?",
        "Where does the money come from?",
    ),
    ("timeline", "schedule", "milestones", "plan of work", "roadmap"): (
        "Which milestones does {title} have, and by when?",
        "What depends on what?",
    ),
    ("risks", "risk", "challenges", "mitigation"): (
        "What could go wrong with {title}?",
        "What is the plan if it does?",
    ),
    ("team", "staffing", "people", "partners", "roles"): (
        "Who works on {title}, and in which role?",
    ),
    ("methods", "method", "approach", "methodology", "implementation", "plan", "activities"): (
        "How will {title} be carried out, step by step?",
    ),
    ("evaluation", "metrics", "measurement", "assessment"): (
        "How will the results of {title} be judged?",
    ),
    ("conclusion", "next steps", "closing", "call to action"): (
        "What should the reader take away from {title}, and do next?",
    ),
    ("agenda",): ("Which items, in which order, and how long for each?",),
}
"""Prompts for common section names ({title} is the outline's title); others get a generic one."""


def prompts_for(section: str, title: str) -> list[str]:
    """1-3 bullet prompts for a section, from its name and the outline's title only."""
    key = " ".join(section.lower().split())
    for names, prompts in _PROMPTS.items():
        if key in names:
            return [p.format(title=title) for p in prompts]
    return [f"What should {title} say about {section}?", f"Key points on {section}."]


def slug(text: str) -> str:
    """A file-name-safe form of a title ('Community Garden Grant' -> 'community-garden-grant')."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:60].strip("-") or "outline"


def outline_text(
    title: str, sections: list[str], bodies: dict[str, str] | None = None, intro: str = ""
) -> str:
    """The markdown outline: '# title' (and `intro`), then '## Section' with its body when
    `bodies` gives one (by the section's name, in any case), else with its prompts."""
    given = {" ".join(k.split()).casefold(): v for k, v in (bodies or {}).items() if v.strip()}
    parts = [f"# {title}", ""]
    if intro.strip():
        parts += [intro.strip(), ""]
    for section in sections:
        parts.append(f"## {section[:1].upper()}{section[1:]}")
        body = given.get(section.casefold())
        if body:
            parts.append(body.rstrip())
        else:
            parts.extend(f"- {prompt}" for prompt in prompts_for(section, title))
        parts.append("")
    return "\n".join(parts)


def _split_sections(value: Any) -> Any:
    """A string of section names ('need, impact and budget') as a list."""
    if isinstance(value, str):
        value = re.split(r",|;|\band\b|\n", value)
    if isinstance(value, list):
        cleaned = [" ".join(str(v).split()).strip(" .:-*#") for v in value]
        return list(dict.fromkeys(v for v in cleaned if v))  # the same section once
    return value


class WriteOutlineInput(BaseModel):
    """Arguments of write_outline."""

    title: str = Field(
        min_length=1, max_length=MAX_TITLE_CHARS, description="The document's title."
    )
    sections: list[str] = Field(
        min_length=1,
        max_length=MAX_SECTIONS,
        description="The section names, in order, exactly as the task names them.",
    )
    path: str = Field(
        default="",
        description=f"Where to write, relative to the workspace (empty: {DRAFTS_DIR}/<title>.md).",
    )
    bodies: dict[str, str] = Field(
        default_factory=dict, description="Markdown per section name (others: prompts)."
    )
    intro: str = Field(default="", description="Text under the title.")

    @field_validator("sections", mode="before")
    @classmethod
    def _sections(cls, value: Any) -> Any:
        return _split_sections(value)

    @field_validator("sections")
    @classmethod
    def _section_length(cls, value: list[str]) -> list[str]:
        for section in value:
            if len(section) > MAX_SECTION_CHARS:
                raise ValueError(f"section name longer than {MAX_SECTION_CHARS} characters")
        return value


def _unused(path: Path) -> Path | None:
    """`path`, or `name-2.md`, `name-3.md`, ... when it exists: an outline never overwrites."""
    for number in range(1, 100):
        candidate = path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    return None


def write_outline(
    workspace: Path,
    title: str,
    sections: list[str],
    path: str | None = None,
    bodies: dict[str, str] | None = None,
    intro: str = "",
) -> str:
    """Write the outline (sections with `bodies` filled in) into the workspace; returns where it
    went and its text."""
    title = " ".join(title.split())
    sections = _split_sections(list(sections))
    if not title or not sections:
        return "Error: an outline needs a title and at least one section name"
    target_name = path.strip() if path and path.strip() else f"{DRAFTS_DIR}/{slug(title)}.md"
    if "\0" in target_name:
        return f"Error: {target_name!r} is not a valid path"
    target = Path(target_name)
    if target.is_absolute():
        return f"Error: {target_name} must be relative to the workspace"
    real = (workspace / target).resolve()
    if not real.is_relative_to(workspace) or real == workspace:
        return f"Error: Access denied: {target_name} is outside the workspace"
    real = _unused(real)
    if real is None:
        return f"Error: {target_name} and its numbered variants exist already"
    text = outline_text(title, sections, bodies, intro)
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text, encoding="utf-8")
    shown = real.relative_to(workspace).as_posix()
    return f"Outline written to {shown}:\n\n{text}"


def draft_tools(workspace: Path) -> list[BaseTool]:
    """write_outline into `workspace`."""
    root = Path(workspace).resolve()

    def write_outline_tool(
        title: str,
        sections: list[str],
        path: str = "",
        bodies: dict[str, str] | None = None,
        intro: str = "",
    ) -> str:
        return write_outline(root, title, sections, path or None, bodies, intro)

    return [
        StructuredTool.from_function(
            func=write_outline_tool,
            name="write_outline",
            description=(
                "Write a markdown outline to the workspace: '# title', then one '## Section' per "
                "name given, in that order, each with its text from bodies or else prompts to "
                "fill in (no invented facts). "
                f"Returns the file's path ({DRAFTS_DIR}/<title>.md by default) and its text."
            ),
            args_schema=WriteOutlineInput,
        )
    ]
