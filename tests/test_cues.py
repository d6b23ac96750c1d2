"""A last action that names the help outright (a heading typed, a question about the code on
screen) is offered as that help; whether to speak stays the judge's and the person's model's."""

from __future__ import annotations

from pathlib import Path

from backends.local import load_models
from backends.local.cues import cue_draft, heading_typed
from graphs.context import Context
from graphs.state import Event, State
from nodes.personal import pick


def _events(*texts: str) -> list[Event]:
    return [Event(text=t, time=1_785_000_000 + 30 * n) for n, t in enumerate(texts)]


def test_a_section_heading_typed_asks_for_that_section_from_the_notes_opened_before() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'trip/ideas.md' in Obsidian.",
            "The user opens 'trip/plan.md' and types the heading '## Budget' and pauses.",
        )
    )

    assert draft is not None and draft.kind == "draft_text"
    assert draft.task == "Draft the 'Budget' section of 'trip/plan.md' from 'trip/ideas.md'."
    assert draft.cue == "a heading typed"


def test_a_section_under_a_title_just_typed_asks_for_the_whole_document() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'notes/raw.md' in Visual Studio Code.",
            "The user creates 'notes/plan.md' and types the heading '# Spring Fair Plan'.",
            "The user types '## Stalls' under the heading and pauses.",
        )
    )

    assert draft is not None
    assert draft.task.startswith("Draft 'Spring Fair Plan' in 'notes/plan.md' from 'notes/raw.md'")


def test_a_heading_that_groups_a_data_file_asks_for_it_organised_by_that_column() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'sales/q1.csv' in Excel.",
            "The user switches to 'sales/report.md'.",
            "The user types the heading '## Revenue by region' and pauses.",
        )
    )

    assert draft is not None and draft.kind == "organise"
    assert "'sales/q1.csv' by region" in draft.task


def test_a_search_about_a_pattern_on_screen_asks_for_the_module_name_explained() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'app/check.py' and hovers over 'ZIP_RE'.",
            "The user opens 'tests/test_check.py' and reads 'test_zip_plus_four'.",
            "The user searches Google for 'what does \\d{5}(-\\d{4})? match'.",
        )
    )

    assert draft is not None and draft.kind == "explain"
    assert draft.task == "Explain what 'ZIP_RE' in 'app/check.py' does, piece by piece."


def test_ordinary_actions_give_no_cue() -> None:
    assert cue_draft(_events("The user opens 'a.py' in Vim.", "The user scrolls down.")) is None
    assert cue_draft(_events("The user searches for 'best pizza near me'.")) is None
    assert heading_typed("The user types 'hello' in the chat.") is None
    assert heading_typed("The user types '## Results' in 'paper.md'.") == ("Results", 2)


def test_the_cue_is_offered_first_and_chosen_only_when_the_judge_would_speak(
    tmp_path: Path,
) -> None:
    events = _events(
        "The user opens 'offsite/ideas.md' in Visual Studio Code.",
        "The user creates 'offsite/proposal.md' and types the heading '# Team Offsite Proposal'.",
        "The user types '## Venue' under the heading and pauses.",
    )
    drafts = load_models().drafter.candidates(events, k=3)
    assert drafts[0].cue and drafts[0].kind == "draft_text"
    assert all(not d.cue for d in drafts[1:])

    state = State(events=events, current=len(events) - 1)
    ctx = Context(memory_dir=str(tmp_path / "memory"), user_id="cue-test")
    chosen, choice, _ = pick(state, ctx, drafts)
    # The judge would speak here (its own pick is another draft, which it scores higher).
    assert choice.index is not None and choice.index != 0
    assert chosen is not None and chosen.cue == "a heading typed"
    assert chosen.personal == round(choice.accept, 4)


def test_a_heading_for_what_a_search_was_after_asks_to_find_it() -> None:
    draft = cue_draft(
        _events(
            "The user searches the project for 'FIXME' and the panel shows two folders excluded.",
            "The user creates 'fixme-list.md' and types the heading '# FIXME list'.",
        )
    )

    assert draft is not None and draft.kind == "find_examples"
    assert draft.task.startswith("Find every 'FIXME' in the project")


def test_a_heading_typed_into_the_notes_being_read_asks_to_sort_them() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'inbox/ideas.md' in Obsidian and scrolls through the bullets.",
            "The user types '## Garden' under the title, then stops.",
        )
    )

    assert draft is not None and draft.kind == "organise"
    assert draft.task == "Organise 'inbox/ideas.md' under headings, starting with 'Garden'."


def test_a_summary_document_started_after_reading_asks_for_that_summary() -> None:
    draft = cue_draft(
        _events(
            "The user reads 'minutes/board-2026-05.md' in the editor.",
            "The user creates a new note 'board-may-recap.md' and pauses.",
        )
    )

    assert draft is not None and draft.kind == "summarise"
    assert draft.task == "Summarise 'minutes/board-2026-05.md' into 'board-may-recap.md'."


def test_a_section_of_a_readme_is_drafted_from_the_script_opened_before() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'tools/resize.py' in Visual Studio Code.",
            "The user opens 'README.md', types the heading '## Options' and pauses.",
        )
    )

    assert draft is not None
    assert draft.task == "Draft the 'Options' section of 'README.md' from 'tools/resize.py'."


def test_a_review_started_on_a_file_asks_for_its_review() -> None:
    draft = cue_draft(
        _events(
            "The user opens pull request 88 'Nightly job' in GitLab.",
            "The user clicks 'Review changes' on 'jobs/nightly.toml' and the comment box opens.",
        )
    )

    assert draft is not None and draft.kind == "review"
    assert draft.task.startswith("Review 'jobs/nightly.toml'")


def test_a_formula_on_screen_asks_for_it_explained_with_its_value() -> None:
    draft = cue_draft(
        _events(
            "The user opens 'costs/march.csv' exported from the 'March' sheet.",
            "The user clicks cell C4; the formula bar shows "
            "'=AVERAGEIF(March!B:B, \"Fuel\", March!C:C)'.",
        )
    )

    assert draft is not None and draft.kind == "explain"
    assert "in cell C4" in draft.task and "'costs/march.csv'" in draft.task


def test_an_error_on_screen_is_offered_as_its_fix_first() -> None:
    events = _events(
        "The user opens 'db.py' in PyCharm and clicks Run.",
        "The Run window shows a traceback: line 7 in db.py, KeyError: 'host'",
        "The user opens 'settings.toml' next to 'db.py'.",
    )

    drafts = load_models().drafter.candidates(events, k=3)

    assert drafts[0].kind == "fix_error" and drafts[0].cue == "an error on screen"


def test_a_search_after_the_error_comes_first() -> None:
    events = _events(
        "The terminal shows \"FileExistsError: [Errno 17] File exists: 'out'\" in 'sync.py'.",
        "The user searches Google for 'shutil copytree folder already exists'.",
    )

    draft = cue_draft(events)

    assert draft is not None and draft.kind == "lookup_docs"
    assert "'shutil'" in draft.task
    assert load_models().drafter.candidates(events, k=3)[0].cue != "an error on screen"


def test_items_dragged_by_hand_ask_for_the_document_organised() -> None:
    draft = cue_draft(
        _events(
            "The student opens 'notes/chem-week2.md' after the lecture.",
            "The student selects the bullet points and drags them around without dropping them.",
        )
    )

    assert draft is not None and draft.kind == "organise"
    assert draft.task == "Organise 'notes/chem-week2.md' under headings."


def test_a_search_of_the_project_asks_for_every_place_it_matches() -> None:
    draft = cue_draft(
        _events(
            "The user opens the Search panel and types 'session.commit' with 'src/' as filter.",
            "The user hovers over 'def save(self):' in 'src/store.py'.",
        )
    )

    assert draft is not None and draft.kind == "find_examples"
    assert "'session.commit'" in draft.task


def test_a_review_started_on_a_merge_request_names_it_by_its_title() -> None:
    draft = cue_draft(
        _events(
            "The user opens the merge request 'Add nightly backup job' in GitLab.",
            "The user clicks 'Start a review'.",
        )
    )

    assert draft is not None and draft.kind == "review"
    assert "'Add nightly backup job'" in draft.task
