"""Policies for the human-judged replay: at each moment, propose one candidate or stay silent.

A policy sees a :class:`Moment` (what the models say about the candidates, never the person's
answers) and, after acting, the answers it is allowed to learn from: in the `proposed` regime
only the answer to its own proposal (as in live use: a person answers what is shown), in the
`all` regime the person's answers to every candidate of the moment (as when a person reviews
the alternatives, like the annotators did). Only the oracle reads the answers before acting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from backends.local.kinds import kind_of
from backends.local.personal import Lesson, Prior, choose, posterior_bias

Regime = Literal["proposed", "all"]
"""Which answers a learning policy is shown after each moment."""


@dataclass(frozen=True)
class Moment:
    """One situation of one person's trace as the models see it."""

    index: int
    """Position in the trace's time order."""
    time: float
    """Event time of its last observation (seconds)."""
    tasks: tuple[str, ...]
    """The annotated candidate tasks."""
    p_tasks: tuple[float, ...]
    """The held-out judge's accept probability of each candidate."""
    p_silence: float
    """The held-out judge's accept probability of silence here."""
    need: float
    """The held-out need detector's score here."""
    kind_probs: dict[str, float]
    """The held-out drafter's probability of each kind of help here."""

    @property
    def top(self) -> int:
        """The candidate the judge ranks first (file order breaks ties)."""
        return max(range(len(self.p_tasks)), key=lambda i: (self.p_tasks[i], -i))


@dataclass(frozen=True)
class Answers:
    """What the person answered at one moment."""

    tasks: tuple[bool, ...]
    """Per candidate: accepted?"""
    silence: bool | None
    """Accepted silence? None when the moment has no "no task" row."""


@dataclass(frozen=True)
class Decision:
    """A policy's act at one moment."""

    index: int | None
    """The candidate proposed, None for silence."""
    score: float | None = None
    """The policy's confidence (its predicted accept probability), when it has one."""


@dataclass
class Memory:
    """What a policy remembers about one person: the answers it was shown."""

    lessons: list[Lesson] = field(default_factory=list)
    """Answers for the personal model."""
    history: list[tuple[float, str, bool]] = field(default_factory=list)
    """(time, kind, accepted) of every answered proposal, oldest first."""
    rng: random.Random | None = None
    """The random policy's generator."""
    bias: float = 0.0
    """The personal model's current bias for this person."""


class Policy:
    """Base: never learns, never proposes."""

    name = "never"
    learns = False

    def start(self, person_seed: int) -> Memory:
        return Memory()

    def act(self, memory: Memory, moment: Moment) -> Decision:
        return Decision(None)

    def learn(self, memory: Memory, moment: Moment, decision: Decision, answers: Answers) -> None:
        """Take in the answers this policy may see (the caller applies the regime)."""


class Never(Policy):
    """Stays silent everywhere: the lower bound of recall."""


class RandomCandidate(Policy):
    """A random candidate at every moment."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def start(self, person_seed: int) -> Memory:
        return Memory(rng=random.Random(self.seed * 1_000_003 + person_seed))

    def act(self, memory: Memory, moment: Moment) -> Decision:
        assert memory.rng is not None
        return Decision(memory.rng.randrange(len(moment.tasks)))


class Oracle(Policy):
    """Knows the person's answers: a candidate they accept, else silence (the upper bound)."""

    name = "oracle"

    def act_knowing(self, moment: Moment, answers: Answers) -> Decision:
        for i, accepted in enumerate(answers.tasks):
            if accepted:
                return Decision(i, 1.0)
        return Decision(None, 0.0)


class Global(Policy):
    """The judge ranks the candidates; the top one is proposed when its p reaches the threshold."""

    name = "global"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def act(self, memory: Memory, moment: Moment) -> Decision:
        top = moment.top
        p = moment.p_tasks[top]
        return Decision(top if p >= self.threshold else None, p)


REFUSAL_PENALTY = 0.05
"""The live graph's former refusal rule: lower the score per refusal among recalled answers."""
RECALLED = 4
"""Answers the former rule recalled from memory (the graph's `memory_k`)."""
HOLD_SECONDS = 900.0
"""The former rule's hold on a rejected kind of help (`reject_hold_seconds`)."""
PREFERENCE_MARGIN = 0.8
"""The former rule's margin for an accepted kind to win (`backends.agent.PREFERENCE_MARGIN`)."""


class FeedbackRules(Global):
    """The global policy with the hand-tuned feedback rules the live graph used before the
    personal model: a rejected kind of help is held back for 15 minutes, an accepted kind wins
    against a close runner-up, and each refusal among the latest answers lowers the score."""

    name = "feedback_rules"
    learns = True

    def act(self, memory: Memory, moment: Moment) -> Decision:
        held = {
            kind
            for when, kind, accepted in memory.history
            if not accepted and 0 <= moment.time - when <= HOLD_SECONDS
        }
        liked = {kind for _, kind, accepted in memory.history[-20:] if accepted}
        open_ = [i for i, t in enumerate(moment.tasks) if kind_of(t) not in held]
        if not open_:
            return Decision(None, 0.0)
        best = max(open_, key=lambda i: (moment.p_tasks[i], -i))
        for i in sorted(open_, key=lambda i: (-moment.p_tasks[i], i)):
            if (
                kind_of(moment.tasks[best]) not in liked
                and kind_of(moment.tasks[i]) in liked
                and moment.p_tasks[i] >= PREFERENCE_MARGIN * moment.p_tasks[best]
            ):
                best = i
                break
        refusals = sum(not accepted for _, _, accepted in memory.history[-RECALLED:])
        p = max(0.0, moment.p_tasks[best] - REFUSAL_PENALTY * refusals)
        return Decision(best if p >= self.threshold else None, p)

    def learn(self, memory: Memory, moment: Moment, decision: Decision, answers: Answers) -> None:
        if decision.index is not None:
            accepted = answers.tasks[decision.index]
            memory.history.append((moment.time, kind_of(moment.tasks[decision.index]), accepted))


class DrafterKind(Policy):
    """The embedded agent: the need detector decides whether to speak, and the drafter's most
    likely kind of help picks the candidate of that kind (threshold 0: always speak, which
    measures the drafter's choice alone)."""

    def __init__(self, need_threshold: float, name: str = "agent") -> None:
        self.need_threshold = need_threshold
        self.name = name

    def act(self, memory: Memory, moment: Moment) -> Decision:
        if moment.need < self.need_threshold:
            return Decision(None, moment.need)
        probs = moment.kind_probs
        best = max(
            range(len(moment.tasks)), key=lambda i: (probs.get(kind_of(moment.tasks[i]), 0.0), -i)
        )
        return Decision(best, moment.need)


class Personal(Policy):
    """The personal user model: the global prior plus this person's bias, learned online in
    `regime` (None: frozen at the prior, i.e. a new user: the global behaviour)."""

    def __init__(self, prior: Prior, target_f1: float, regime: Regime | None) -> None:
        self.prior = prior
        self.target_f1 = target_f1
        self.regime = regime
        self.learns = regime is not None
        self.name = {None: "prior", "proposed": "personal", "all": "personal_all"}[regime]

    def act(self, memory: Memory, moment: Moment) -> Decision:
        choice = choose(self.prior, memory.bias, moment.p_tasks, moment.p_silence, self.target_f1)
        return Decision(choice.index, choice.accept)

    def learn(self, memory: Memory, moment: Moment, decision: Decision, answers: Answers) -> None:
        if self.regime is None:
            return
        if self.regime == "all":
            shown = list(range(len(moment.tasks)))
        else:
            shown = [decision.index] if decision.index is not None else []
        for i in shown:
            memory.lessons.append(
                Lesson(answers.tasks[i], 1.0, moment.p_tasks[i], moment.p_silence)
            )
        if shown:
            memory.bias = posterior_bias(self.prior, memory.lessons)


def answers_seen(policy: Policy, decision: Decision, answers: Answers) -> int:
    """How many answers the person gave this policy at one moment (for learning curves)."""
    if isinstance(policy, Personal) and policy.regime == "all":
        return len(answers.tasks)
    return 1 if decision.index is not None else 0


POLICY_TEXT: dict[str, str] = {
    "random": "a random candidate at every moment",
    "never": "always silent",
    "oracle": "knows the person's answers: a candidate they accept, else silence",
    "global": "the held-out judge ranks the candidates; the top one is proposed when its "
    "accept probability reaches the trained global threshold",
    "feedback_rules": "global, plus the live graph's former hand-tuned feedback rules "
    "(hold a rejected kind 15 min, prefer accepted kinds, -0.05 per recent refusal)",
    "drafter_kind": "the held-out drafter's most likely kind of help picks the candidate, at "
    "every moment",
    "agent": "the embedded agent: the held-out need detector decides, the held-out drafter's "
    "most likely kind picks the candidate",
    "prior": "the personal model with no answers (a new user: the global behaviour)",
    "personal": "the personal model, learning from the answers to its own proposals",
    "personal_all": "the personal model, learning from the person's answers to every "
    "candidate of each moment (as when the alternatives are reviewed)",
}
"""Each policy in one line, for reports."""
