"""The embedded need detector: does the user need help at the latest event?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backends.local.linear import ArtifactError, LinearModel, load_linear, sigmoid
from backends.local.need_features import NEED_FEATURES_VERSION, target_features
from graphs.state import Event

ARTIFACT = "need.json"
"""File name of the need detector's artifact."""


@dataclass(frozen=True)
class NeedDetector:
    """Logistic regression over `need_features` of the window ending at the latest event,
    read in the `task_status` domain (`need_features.in_domain`).

    The features are ~60 named situation features (action, application, consuming vs producing,
    the switch and dwell time before the event, searching in circles), not the words of the
    events: see docs/need.md for why and for the held-out numbers.

    Trained with balanced class weights, so its score is a ranking score centred on 0.5 rather
    than a calibrated frequency: 0.5 is a sensible default threshold.
    """

    model: LinearModel
    """Binary linear model over domain-augmented `need_features`."""
    threshold: float = 0.5
    """Score at or above which `needs_help` says yes."""

    @classmethod
    def load(cls, path: Path) -> NeedDetector:
        """Load from a `need.json` artifact."""
        model, payload = load_linear(path, "need")
        if payload.get("need_features") != NEED_FEATURES_VERSION:
            raise ArtifactError(
                f"{path} was written for need features {payload.get('need_features')} "
                f"(this code reads {NEED_FEATURES_VERSION}); run `proactive train`"
            )
        threshold = payload.get("threshold", 0.5)
        if not isinstance(threshold, int | float):
            raise ArtifactError(f"{path} has a non-numeric threshold; run `proactive train`")
        return cls(model=model, threshold=float(threshold))

    def score(self, events: Sequence[Event]) -> float:
        """Probability-like score (0..1) that the user needs help now, at the last event.

        Agent events are ignored; with no user event at all the score is 0.
        """
        if not any(e.source != "agent" for e in events):
            return 0.0
        return sigmoid(float(self.model.logits(target_features(events))[0]))

    def needs_help(self, events: Sequence[Event]) -> bool:
        """Whether the score reaches the threshold."""
        return self.score(events) >= self.threshold
