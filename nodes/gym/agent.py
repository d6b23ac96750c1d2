"""The agent's seat in the gym: feed one pending event to the proactive agent graph (a
subgraph with its own checkpoint namespace) and read back what it proposed, what the user
answered, and what it carried out.

The agent graph handles one event per invocation, so this node observes one event and the
gym graph loops back to it while events are pending. A human-review interrupt raised inside
the agent graph pauses the whole gym run; resuming it resumes the agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from backends.agent import ProposalRequest, agent_messages
from backends.prompts import render_time
from graphs.state import Draft, Event, Feedback
from gym.schema import GymContext, GymState, TraceRecord
from nodes.gym.common import gym_settings, record

ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def chat_rows(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as chat-format dicts (role, content)."""
    return [{"role": ROLES.get(m.type, m.type), "content": str(m.content)} for m in messages]


def agent_reply(draft: Draft | None, task: str | None) -> dict[str, str | None]:
    """The agent's reply in the paper's format; ``task`` None means silence."""
    return {
        "Purpose": draft.purpose if draft else "",
        "Thoughts": draft.thoughts if draft else "",
        "Proactive Task": task,
        "Response": (draft.response if draft and task else ""),
    }


def reward_obs(events: list[Event]) -> list[dict[str, str]]:
    """Observations in the reward-row format: {time, event}, user and environment only."""
    return [{"time": day_clock(e.time), "event": e.text} for e in events if e.source != "agent"]


def day_clock(seconds: float) -> str:
    """'Day N, HH:MM AM' as in ProactiveBench reward rows."""
    day, rest = divmod(int(seconds), 86400)
    hour, minute = rest // 3600, rest % 3600 // 60
    return f"Day {day + 1}, {(hour % 12) or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def accepted_task(answers: list[Feedback]) -> str | None:
    """The task the user took at this event (edited or as proposed), if any."""
    for answer in answers:
        if answer.answer == "accept":
            return answer.task
        if answer.answer == "edit":
            return answer.edited_task
    return None


def make_agent_observer(
    agent: CompiledStateGraph,
) -> Callable[[GymState, Runtime[GymContext]], dict[str, Any]]:
    """The node that lets ``agent`` (the compiled agent graph) observe the next pending event."""

    def agent_observe(state: GymState, runtime: Runtime[GymContext]) -> dict[str, Any]:
        """Feed the oldest pending event to the agent and record its proposals and answers."""
        if not state.pending:
            return {}
        ctx = gym_settings(runtime)
        event, rest = state.pending[0], state.pending[1:]
        result = agent.invoke(
            {"event": {"time": event.time, "text": event.text, "source": event.source}},
            context=ctx,
        )
        index = result["current"]  # position in the window; `number` is the event's number
        number = result.get("event_base", 0) + index
        seen: list[Event] = result["events"][: index + 1]
        answers = [f for f in result["feedback"] if f.event_index == number]
        proposals = [p for p in result["proposals"] if p.event_index == number]
        log: list[TraceRecord] = [
            record(
                "agent",
                state,
                event.time,
                event=event.text,
                source=event.source,
                status=result["status"],
                need=result.get("need", 0.0),
                assistant_events=[e.text for e in result["events"][index + 1 :]],
            )
        ]
        for proposal, answer in zip(proposals, answers, strict=False):
            log.append(record("proposal", state, event.time, **proposal.model_dump()))
            log.append(
                record(
                    "judgement",
                    state,
                    event.time,
                    task=answer.task,
                    answer=answer.answer,
                    accepted=answer.answer in ("accept", "edit"),
                    reason=answer.reason,
                    by=answer.by,
                    edited_task=answer.edited_task,
                    obs=reward_obs(seen),
                )
            )
        failed = [e for e in result.get("errors", []) if result["status"] == "failed"]
        if result["status"] == "failed" and failed:
            log.append(record("failure", state, event.time, role="agent", error=failed[-1]))
        task = accepted_task(answers)
        draft: Draft | None = result.get("draft")
        if event.source != "agent":
            # What the agent saw and the reply the user would have wanted: a training example.
            request = ProposalRequest(events=seen, memories=result.get("memories", []))
            log.append(
                record(
                    "example",
                    state,
                    event.time,
                    messages=chat_rows(agent_messages(request)),
                    reply=agent_reply(draft if task else None, task),
                    accepted=task is not None,
                    proposed=bool(proposals),
                    time_text=render_time(event.time),
                )
            )
        accepted = None
        if task is not None:
            base = draft if draft is not None else Draft(task=task)
            accepted = base.model_copy(update={"task": task})
        return {
            "pending": rest,
            "accepted": accepted,
            "log": log,
            "failures": [r.data["error"] for r in log if r.kind == "failure"],
        }

    return agent_observe
