"""Each user's personal model, kept with their memory: the answers it learned from, on disk.

A profile is one JSON-lines file per user under `<memory dir>/profiles/` (in process memory
when the memory is): a header line, then the user's answers to proposals with the judge's
probabilities at the time, one per line, from which `backends.local.personal` computes the
user's bias. An answer is one appended line (a profile costs the same to update at 5 answers
as at 200); when the file holds twice `MAX_ANSWERS`, it is rewritten with the latest ones
atomically (temporary file, then rename).

A profile that cannot be read is not reset: it is moved aside (`<name>.corrupt-<time>`), the
person's remembered answers (feedback records in the vector memory) rebuild it, and the caller
gets a notice saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.local.personal import ANSWER_WEIGHTS, MAX_ANSWERS, Evidence, Lesson, Prior, fit_bias
from graphs.state import Feedback
from memory.safe_json import read_json_lines
from memory.store import MemoryStore

PROFILE_DIR = "profiles"
"""Folder of the profiles inside a memory directory."""

FORMAT = "proactive-profile"
"""The `kind` of a profile file."""

_SLUG = re.compile(r"[^a-zA-Z0-9_-]+")


class ProfileError(ValueError):
    """A request about profiles that cannot be met (e.g. an unknown user); the message says why."""


@dataclass(frozen=True)
class Answered:
    """One remembered answer, as the profile stores it."""

    answer: str
    """accept, reject, edit or ignore."""
    kind: str
    """The kind of help proposed."""
    task: str
    """The proposed task."""
    time: float
    """Event time of the answer."""
    p_accept: float
    """The judge's probability for the task when it was proposed."""
    p_silence: float
    """The judge's probability that silence was accepted then."""

    def lesson(self) -> Lesson:
        accepted, weight = ANSWER_WEIGHTS[self.answer]
        return Lesson(accepted, weight, self.p_accept, self.p_silence)

    @classmethod
    def from_feedback(cls, feedback: Feedback) -> Answered | None:
        """The answer as a profile keeps it; None when the judge's probabilities are missing
        (answers given before the personal model existed)."""
        if feedback.p_accept is None or feedback.p_silence is None:
            return None
        return cls(
            feedback.answer,
            feedback.kind,
            feedback.task,
            float(feedback.time),
            float(feedback.p_accept),
            float(feedback.p_silence),
        )


@dataclass
class Profile:
    """One user's personal model state."""

    user: str
    """Whose it is."""
    answers: list[Answered] = field(default_factory=list)
    """Their latest answers, oldest first (at most `MAX_ANSWERS`)."""
    bias: float = 0.0
    """The bias the answers give under the prior (0 for a new user)."""
    lines: int = 0
    """Answer lines in the profile's file (more than `answers` once older ones are dropped)."""

    def evidence(self) -> Evidence:
        """The answers as arrays for `fit_bias`."""
        return Evidence.of(lessons(self.answers))

    def counts(self) -> dict[str, int]:
        """How many answers of each type."""
        out = dict.fromkeys(ANSWER_WEIGHTS, 0)
        for item in self.answers:
            out[item.answer] += 1
        return out

    def header(self) -> str:
        """The file's first line."""
        return json.dumps({"kind": FORMAT, "version": 2, "user": self.user}, ensure_ascii=False)


def _line(answered: Answered) -> str:
    return json.dumps(answered.__dict__, ensure_ascii=False, sort_keys=True)


MAX_LINES = 4 * MAX_ANSWERS + 1
"""Most lines a profile file may hold (it is rewritten at twice `MAX_ANSWERS`): more is damage."""


def _parse(path: Path, user: str) -> list[Answered]:
    """The answers of a profile file; ValueError says what is wrong (and on which line), for
    any content: too long, too deep, not UTF-8, not JSON, or not an answer."""
    lines = read_json_lines(path)
    first = next(lines, None)
    if first is None:
        raise ValueError("the file is empty")
    header = first[1]
    if not isinstance(header, dict) or header.get("kind") != FORMAT:
        raise ValueError("not a profile file")
    if header.get("user") != user:
        raise ValueError(f"the file belongs to user {header.get('user')!r:.80}")
    out = []
    for i, item in lines:
        if i > MAX_LINES:
            raise ValueError(f"more than {MAX_LINES} lines")
        try:
            if not isinstance(item, dict):
                raise ValueError(f"expected an object, got {type(item).__name__}")
            answered = Answered(**item)
            if answered.answer not in ANSWER_WEIGHTS:
                raise ValueError(f"unknown answer {answered.answer!r:.40}")
            for name in ("time", "p_accept", "p_silence"):
                value = getattr(answered, name)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{name} is not a number")
            if not (0.0 <= answered.p_accept <= 1.0 and 0.0 <= answered.p_silence <= 1.0):
                raise ValueError("a probability outside 0..1")
        except (TypeError, ValueError) as err:
            raise ValueError(f"line {i}: {err}") from None
        out.append(answered)
    return out


def file_name(user: str) -> str:
    """A profile's file name: a readable slug of the user id and a hash of it (no two users
    share a file, and no user id can name a path outside the folder)."""
    slug = _SLUG.sub("-", user).strip("-")[:40] or "user"
    digest = hashlib.blake2b(user.encode("utf-8"), digest_size=6).hexdigest()
    return f"{slug}-{digest}.jsonl"


Rebuild = Callable[[str], Iterable[Feedback]]
"""A user's remembered answers, newest first or in any order (sorted by time here)."""


def remembered(store: MemoryStore) -> Rebuild:
    """The answers a memory store remembers for a user: what rebuilds their profile."""

    def answers(user: str) -> list[Feedback]:
        return [r.feedback for r in store.recent_feedback(user=user, limit=MAX_ANSWERS)]

    return answers


class ProfileStore:
    """The profiles of one memory directory (or of this process when it has none).

    `shared`: the memory is a server that several processes write (workers): no profile file
    then; a profile is rebuilt from the answers the server remembers the first time it is read,
    and an answer is not added to it here but read back from the server (`drop` after a lease
    changed hands), so no process keeps an answer the others cannot see."""

    def __init__(self, directory: str | Path | None, *, shared: bool = False) -> None:
        self.directory = Path(directory) / PROFILE_DIR if directory is not None else None
        self.shared = shared and directory is None
        self._cache: dict[str, tuple[tuple[int, int] | None, Profile]] = {}
        self._lock = threading.Lock()

    def drop(self, user: str) -> None:
        """Forget this process's copy of a user's profile."""
        with self._lock:
            self._cache.pop(user, None)

    def path(self, user: str) -> Path | None:
        """Where a user's profile lives (None in process memory)."""
        return self.directory / file_name(user) if self.directory is not None else None

    def _stamp(self, path: Path | None) -> tuple[int, int] | None:
        if path is None:
            return None
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def load(self, user: str, prior: Prior, rebuild: Rebuild) -> tuple[Profile, str | None]:
        """The user's profile (empty for a new user) and a notice when it had to be rebuilt.

        A profile another process changed is read again. One that cannot be read is moved
        aside and rebuilt from `rebuild(user)`, the remembered answers, and saved."""
        _check_user(user)
        path = self.path(user)
        with self._lock:
            stamp = self._stamp(path)
            cached = self._cache.get(user)
            if cached is not None and cached[0] == stamp:
                return cached[1], None
            if self.shared:
                remembered = sorted(rebuild(user), key=lambda f: f.time)
                answers = [
                    a for a in (Answered.from_feedback(f) for f in remembered) if a is not None
                ]
                profile = Profile(user, answers[-MAX_ANSWERS:])
                profile.bias = fit_bias(prior, profile.evidence())
                self._cache[user] = (None, profile)
                return profile, None
            if path is None or stamp is None:
                profile = Profile(user)
                self._cache[user] = (stamp, profile)
                return profile, None
            try:
                answers = _parse(path, user)
            except (OSError, ValueError) as err:  # read_json_lines: every decode failure
                return self._rebuild(user, prior, rebuild, path, err)
            profile = Profile(user, answers[-MAX_ANSWERS:], lines=len(answers))
            profile.bias = fit_bias(prior, profile.evidence())
            self._cache[user] = (stamp, profile)
            return profile, None

    def _rebuild(
        self, user: str, prior: Prior, rebuild: Rebuild, path: Path, err: Exception
    ) -> tuple[Profile, str]:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        os.replace(path, aside)
        remembered = sorted(rebuild(user), key=lambda f: f.time)
        answers = [a for a in (Answered.from_feedback(f) for f in remembered) if a is not None]
        profile = Profile(user, answers[-MAX_ANSWERS:])
        profile.bias = fit_bias(prior, profile.evidence())
        self._rewrite(profile)
        text = str(err).replace(f"{path}:", "line ", 1)  # the notice names the file already
        reason = text.splitlines()[0][:120] if text else type(err).__name__
        notice = (
            f"the profile of user {user!r} could not be read ({reason}); it was moved to "
            f"{aside.name} and rebuilt from {len(profile.answers)} remembered answers"
        )
        return profile, notice

    def learn(
        self, user: str, feedback: Feedback, prior: Prior, rebuild: Rebuild
    ) -> tuple[Profile, str | None]:
        """Add one answer and save; returns the profile and any rebuild notice. An answer
        without the judge's probabilities teaches nothing."""
        if self.shared:  # the server has the answer already: read it back from there
            self.drop(user)
            return self.load(user, prior, rebuild)
        profile, notice = self.load(user, prior, rebuild)
        answered = Answered.from_feedback(feedback)
        if answered is None:
            return profile, notice
        with self._lock:
            profile.answers = [*profile.answers, answered][-MAX_ANSWERS:]
            profile.bias = fit_bias(prior, profile.evidence(), start=profile.bias)
            path = self.path(user)
            if path is None:
                self._cache[user] = (None, profile)
            elif profile.lines == 0 or profile.lines >= 2 * MAX_ANSWERS:
                self._rewrite(profile)
            else:
                with path.open("a", encoding="utf-8") as out:
                    out.write(_line(answered) + "\n")
                profile.lines += 1
                self._cache[user] = (self._stamp(path), profile)
        return profile, notice

    def _rewrite(self, profile: Profile) -> None:
        """Write the whole file atomically (temporary file + rename) and remember its stamp."""
        path = self.path(profile.user)
        if path is None:
            self._cache[profile.user] = (None, profile)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{line}\n" for line in (profile.header(), *map(_line, profile.answers)))
        handle, scratch = tempfile.mkstemp(prefix=".profile-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(scratch, path)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
        profile.lines = len(profile.answers)
        self._cache[profile.user] = (self._stamp(path), profile)

    def forget(self, user: str) -> bool:
        """Delete a user's profile (and any copies set aside as corrupt); True when there was
        one."""
        _check_user(user)
        path = self.path(user)
        with self._lock:
            cached = self._cache.pop(user, None)
            if path is None:
                return cached is not None and bool(cached[1].answers)
            found = False
            for item in path.parent.glob(path.name + "*"):
                item.unlink()
                found = True
            return found

    def users(self) -> list[str]:
        """The users with a profile file here (ids read from the files)."""
        if self.directory is None:
            return sorted(self._cache)
        found = []
        for path in sorted(self.directory.glob("*.jsonl")):
            try:
                header = next(read_json_lines(path), (0, None))[1]
            except (OSError, ValueError):
                continue
            user = header.get("user") if isinstance(header, dict) else None
            if isinstance(user, str):
                found.append(user)
        return sorted(found)


def _check_user(user: Any) -> None:
    if not isinstance(user, str) or not user.strip():
        raise ProfileError(f"the user id must be a non-empty string, got {user!r}")


_stores: dict[str | None, ProfileStore] = {}
_stores_lock = threading.Lock()


def open_profiles(directory: str | Path | None, *, shared: str = "") -> ProfileStore:
    """The process's profile store of a memory directory (None: this process's own; with
    `shared`, the URL of a shared memory server: profiles rebuilt from it)."""
    key = None if directory is None else str(Path(directory).expanduser().resolve())
    with _stores_lock:
        store = _stores.get(shared or key)
        if store is None:
            store = _stores[shared or key] = ProfileStore(key, shared=bool(shared))
        return store


def lessons(answers: Sequence[Answered]) -> list[Lesson]:
    """What the model learns from a profile's answers."""
    return [a.lesson() for a in answers]
