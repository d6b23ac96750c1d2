"""The people behind the reward rows: situations, annotators and their own answers.

In `reward_data`, the rows that share one observation prefix are one *situation* (a moment of a
trace): several candidate tasks and, usually, one "no task" row. `annotation` lists each
annotator's own answer, and a position in that list is the same person across one trace's rows
(their accept rates differ strongly and stably). So a trace with a panel of three annotators holds
three people, each of whom answered every candidate of every situation: accepted it or not, and
accepted the silence or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backends.local.data import RewardRow, trace_digest


@dataclass(frozen=True)
class Situation:
    """One moment of a trace and the proposals annotated there."""

    trace: str
    """The trace (`trace_id`)."""
    index: int
    """Position of the moment in its trace's time order (0 = first)."""
    tasks: tuple[int, ...]
    """Indices (into the rows given) of the candidate-task rows, in file order."""
    silence: int | None
    """Index of the "no task" row, None when the situation has none."""

    @property
    def rows(self) -> tuple[int, ...]:
        """Every row of the situation: the tasks, then the silence row."""
        return (*self.tasks, *(() if self.silence is None else (self.silence,)))


@dataclass(frozen=True)
class Person:
    """One annotator of one trace: the user whose answers judge a policy."""

    trace: str
    """The trace (`trace_id`)."""
    position: int
    """Their place in the rows' `annotation` lists."""

    @property
    def key(self) -> str:
        """A short stable name: the trace's digest and the position."""
        return f"{trace_digest(self.trace)}#{self.position}"


@dataclass(frozen=True)
class Skipped:
    """A row left out of the panels, and why."""

    row: int
    """Index into the rows given."""
    reason: str
    """Why, in words."""


@dataclass(frozen=True)
class Panels:
    """The people of a rows file and the situations they answered."""

    panel: int
    """Annotators per row: rows with another number of answers are skipped."""
    people: tuple[Person, ...]
    """Every (trace, position), traces in order of first appearance."""
    situations: dict[str, tuple[Situation, ...]]
    """Per trace, its situations in time order (situations with no candidate task are left
    out: nothing can be proposed there)."""
    skipped: tuple[Skipped, ...]
    """Rows not used, with the reason."""

    def answer(self, rows: Sequence[RewardRow], person: Person, row: int) -> bool:
        """That person's own answer on one row."""
        return rows[row].annotation[person.position]


class PanelError(ValueError):
    """Rows that cannot be read as people's answers; the message names the row."""


def build_panels(
    rows: Sequence[RewardRow], panel: int | None = None, *, line_of: Sequence[int] | None = None
) -> Panels:
    """Group annotated rows into situations and people.

    `panel` is the number of answers a row must carry (default: the largest `annotation` any row
    has). A row without `annotation` raises :class:`PanelError` naming it (by `line_of[i]` when
    given, else its index); rows with a different number of answers are skipped and reported,
    because which annotator is missing from a shorter list cannot be known.
    """
    if not rows:
        raise PanelError("no rows")

    def name(i: int) -> str:
        return f"line {line_of[i]}" if line_of is not None else f"row {i}"

    for i, row in enumerate(rows):
        if not row.annotation:
            raise PanelError(
                f"{name(i)} has no 'annotation' (each annotator's own answer): the human-judged "
                "replay needs the answers of the people"
            )
    size = panel if panel is not None else max(len(r.annotation) for r in rows)
    if size < 1:
        raise PanelError(f"the panel must have at least one annotator, got {size}")
    skipped: list[Skipped] = []
    by_moment: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for i, row in enumerate(rows):
        if len(row.annotation) != size:
            skipped.append(
                Skipped(
                    i,
                    f"{len(row.annotation)} answers where the panel has {size} (which annotator "
                    "is missing cannot be known)",
                )
            )
            continue
        by_moment.setdefault((row.trace, tuple(e.text for e in row.obs)), []).append(i)
    traces: dict[str, list[tuple[int, int, list[int]]]] = {}
    for (trace, obs), members in by_moment.items():
        traces.setdefault(trace, []).append((len(obs), members[0], members))
    situations: dict[str, tuple[Situation, ...]] = {}
    for trace, moments in traces.items():
        ordered: list[Situation] = []
        for _, _, members in sorted(moments, key=lambda m: (m[0], m[1])):
            tasks = tuple(i for i in members if rows[i].pred_task is not None)
            silent = [i for i in members if rows[i].pred_task is None]
            for extra in silent[1:]:
                skipped.append(Skipped(extra, "a second 'no task' row in the same situation"))
            if not tasks:
                for i in silent[:1]:
                    skipped.append(Skipped(i, "a situation without any candidate task"))
                continue
            ordered.append(Situation(trace, len(ordered), tasks, silent[0] if silent else None))
        if ordered:
            situations[trace] = tuple(ordered)
    people = tuple(Person(trace, p) for trace in situations for p in range(size))
    return Panels(size, people, situations, tuple(sorted(skipped, key=lambda s: s.row)))
