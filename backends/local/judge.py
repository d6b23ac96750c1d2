"""The embedded judge: would the user accept this proposal (or this silence) now?

It stands in for the user in simulated feedback, like the paper's reward model: given the events
so far and a proposed task (None for "no proposal"), it gives the probability that the user
accepts, a decision, and a reason built from what drove the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backends.local.activity import describe
from backends.local.encoder import Encoder, default_encoder
from backends.local.entities import Entities, extract_entities
from backends.local.features import (
    Features,
    mentions,
    overlap,
    prefixed,
    task_words,
    user_events,
    window_features,
)
from backends.local.judge_features import fit_features
from backends.local.judge_head import EncoderHead, head_vector
from backends.local.kinds import KIND_PHRASES, kind_of
from backends.local.linear import ArtifactError, LinearModel, load_linear, sigmoid
from backends.local.text import read_event
from graphs.state import Event

ARTIFACT = "judge.json"
"""File name of the judge's artifact."""

_OVERLAP_BINS = ((0.0001, "none"), (0.25, "low"), (0.5, "mid"))


def _overlap_bin(value: float) -> str:
    for bound, name in _OVERLAP_BINS:
        if value < bound:
            return name
    return "high"


def judge_features(
    events: Sequence[Event], task: str | None, entities: Entities | None = None
) -> Features:
    """Features of (situation, proposal).

    The situation's features go into one of two blocks, "silent|" for no proposal and "task|"
    for a proposal, because the same situation argues in opposite directions: a user who needs
    help rejects silence and accepts a fitting task.
    """
    situation = window_features(events)
    seen = user_events(events)
    if task is None or not task.strip():
        return {
            **prefixed(situation, "silent|"),
            **prefixed(fit_features(seen, None), "fit_null|"),
            "proposal:none": 1.0,
        }
    ents = entities if entities is not None else extract_entities(seen)
    kind = kind_of(task)
    out: Features = {**prefixed(situation, "task|"), "proposal:task": 1.0, "tk:" + kind: 1.0}
    words = task_words(task)
    for word in dict.fromkeys(words):
        out["tw:" + word] = 1.0 / max(1.0, len(set(words)) ** 0.5)
    lead = task.split()[0].lower().strip(".,:;'\"") if task.split() else ""
    out["tv:" + lead] = 1.0
    out[
        "tlen:" + ("<8" if len(task.split()) < 8 else "<16" if len(task.split()) < 16 else "16+")
    ] = 1.0
    last = read_event(seen[-1].text) if seen else None
    recent_words = [w for e in seen[-5:] for w in read_event(e.text).words]
    for name, value in (
        ("last", overlap(task, last.words if last else ())),
        ("window", overlap(task, recent_words)),
        ("names", overlap(task, ents.words())),
    ):
        out[f"ov:{name}"] = value
        out[f"ov:{name}={_overlap_bin(value)}"] = 1.0
    for role, hit in mentions(task, ents).items():
        if hit:
            out["m:" + role] = 1.0
    if last is not None:
        for action in sorted(last.actions) or ["none"]:
            out[f"tk*a:{kind}|{action}"] = 1.0
        out[f"tk*app:{kind}|{last.app_category}"] = 1.0
        for role, names in (("file", last.files), ("query", last.queries), ("error", last.errors)):
            if names:
                out[f"tk*has:{kind}|{role}"] = 1.0
    # How the task relates to the last, the last three and all events (judge_features.py).
    out.update(prefixed(fit_features(seen, task), "fit_task|"))
    return out


@dataclass(frozen=True)
class Verdict:
    """The judge's answer to one proposal."""

    accept_probability: float
    """Probability (0..1) that the user accepts."""
    accepted: bool
    """Whether the probability reaches the judge's threshold."""
    reason: str
    """A short reason in words, from what drove the decision."""


@dataclass(frozen=True)
class Judge:
    """Logistic regression over `judge_features`, trained on the reward rows' `valid` labels,
    averaged with an `EncoderHead` over sentence vectors when the artifact has one."""

    model: LinearModel
    """Binary linear model: the logit of "accepted"."""
    threshold: float = 0.5
    """Probability at or above which the proposal is accepted."""
    head: EncoderHead | None = None
    """The sentence-vector head (`judge_head.py`); None: the sparse model alone."""

    @classmethod
    def load(cls, path: Path) -> Judge:
        """Load from a `judge.json` artifact."""
        model, payload = load_linear(path, "judge")
        threshold = payload.get("threshold", 0.5)
        if not isinstance(threshold, int | float):
            raise ArtifactError(f"{path} has a non-numeric threshold; run `proactive train`")
        head = None
        if payload.get("encoder_head") is not None:
            try:
                head = EncoderHead.from_json(payload["encoder_head"])
            except (KeyError, TypeError, ValueError) as err:
                raise ArtifactError(
                    f"{path} has a corrupt encoder head ({err!r}); run `proactive train`"
                ) from err
        return cls(model=model, threshold=float(threshold), head=head)

    def _encoder(self) -> Encoder:
        encoder = default_encoder()
        if self.head is not None and self.head.encoder_sha256 != encoder.sha256:
            raise ArtifactError(
                "the judge was trained on another sentence encoder than the one installed; "
                "run `proactive train`"
            )
        return encoder

    def judge(self, events: Sequence[Event], task: str | None) -> Verdict:
        """Judge a proposed task (None: the agent proposes nothing) at the last event."""
        seen = user_events(events)
        ents = extract_entities(seen)
        features = judge_features(seen, task, ents)
        p = sigmoid(float(self.model.logits(features)[0]))
        if self.head is not None:
            p = 0.5 * (p + self.head.probability(head_vector(self._encoder(), seen, task)))
        accepted = p >= self.threshold
        return Verdict(
            accept_probability=p,
            accepted=accepted,
            reason=self._reason(seen, task, ents, features, accepted),
        )

    def _reason(
        self,
        events: Sequence[Event],
        task: str | None,
        ents: Entities,
        features: Features,
        accepted: bool,
    ) -> str:
        """Say in words which side of the decision weighed most: the situation or the task."""
        doing = describe(events, ents).doing
        if task is None or not task.strip():
            if accepted:
                return f"no help seems needed now: the user is {doing}"
            return f"the user seems to need help while {doing}, so staying silent misses it"
        kind = kind_of(task)
        what = KIND_PHRASES.get(kind, "help")
        hits = [role for role, hit in mentions(task, ents).items() if hit and role != "app"]
        about = ""
        if hits:
            names = {
                "file": ents.files,
                "query": ents.queries,
                "error": ents.errors,
                "page": ents.pages,
            }[hits[0]]
            name = next((n for n in names if n.casefold() in task.casefold()), names[0])
            about = f" for '{name}'"
        contrib = self.model.contributions(features)
        situation = sum(v for k, v in contrib.items() if k.startswith("task|"))
        proposal = sum(v for k, v in contrib.items() if not k.startswith("task|"))
        if accepted:
            return f"the user seems to be {doing} and this offers {what}{about}"
        if situation <= proposal:
            return f"no help seems needed while the user is {doing}"
        if features.get("ov:window", 0.0) == 0.0:
            return (
                f"this offers {what} about nothing in the recent events while the user is {doing}"
            )
        return f"an offer of {what}{about} does not fit what the user is doing ({doing})"
