"""Checkpoint serialization: the agent's records are pickled and read back by an unpickler that
allows only the state types; everything else goes through LangGraph's JSON-plus serializer."""

from __future__ import annotations

import os
import pickle
from datetime import UTC, datetime

import pytest

from graphs.serde import PICKLED, checkpoint_serde
from graphs.state import Event, Execution, Feedback, MemoryHit, ToolCall, Trim


def test_state_records_round_trip_through_pickle() -> None:
    serde = checkpoint_serde()
    values = {
        "events": [Event(time=1.0, text="The user opens a.py."), Trim(drop=2)],
        "executions": [
            Execution(
                task="Search", kind="search", calls=[ToolCall(tool="t", args={"q": [1, "x"]})]
            )
        ],
        "feedback": [Feedback(answer="reject", task="t", kind="k", event_index=3, time=4.0)],
        "memories": [MemoryHit(text="x", kind="event", distance=0.2, metadata={"thread": "a"})],
        "current": 7,
        "draft": None,
    }
    kind, payload = serde.dumps_typed(values)
    assert kind == PICKLED
    assert serde.loads_typed((kind, payload)) == values


def test_a_value_of_another_type_goes_through_json_plus() -> None:
    serde = checkpoint_serde()
    value = {"when": datetime(2026, 1, 1, tzinfo=UTC), "events": [Event(time=1, text="x")]}
    kind, payload = serde.dumps_typed(value)
    assert kind != PICKLED
    assert serde.loads_typed((kind, payload)) == value
    tool_output = ToolCall(tool="t", args={"when": datetime(2026, 1, 1)})  # not a plain value
    assert serde.dumps_typed(tool_output)[0] != PICKLED


class Evil:
    def __reduce__(self):  # noqa: ANN204 - what an attacker would plant in a checkpoint file
        return (os.system, ("echo pwned",))


def test_a_pickle_naming_any_other_class_is_refused() -> None:
    serde = checkpoint_serde()
    for payload in (pickle.dumps(Evil()), pickle.dumps(datetime(2026, 1, 1))):
        with pytest.raises(pickle.UnpicklingError, match="not a state type"):
            serde.loads_typed((PICKLED, payload))
