"""`proactive bench agent`: replay the ProactiveBench test traces with the paper's protocol.

Each test trace is one conversation (bench.protocol): every event joins as a user turn, the agent
replies with its JSON object (a task or null), and a judge, never the agent itself, accepts or
rejects that output given the observations up to the event. The outcomes are counted per split
of ``test_data/splits.json`` with bench.metrics.AgentCounts.

- Agent ``local``: the embedded drafter's first candidate when the embedded need detector's score
  of the events so far reaches ``threshold``, else null. Any other setting is a chat model
  (``provider:model`` or ``custom:name``) that receives the protocol's messages.
- Judge ``local``: the embedded judge. Any other setting is a chat model answering as the user,
  with the request of backends.judge.ChatJudge.
- Leakage: with ``train_rows``, every embedded model used on a trace (agent and judge) comes
  from bench.retrain.models_for_trace, retrained without that trace; without it the shipped
  models are used and the result's ``leakage`` field says that leakage was not excluded.
- Failures: a reply still malformed after ``max_retries`` corrections is recorded and counts as
  "no task". A judge reply still malformed is recorded and its event is left out of the counts
  (``judge_failures`` per split). A call that keeps raising (network, rate limit) after bounded
  retries with backoff stops the run with :class:`bench.protocol.TransportError`; with a
  ``cache_dir``, rerunning resumes without repeating the calls already made.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backends.llm import chat_model, is_local
from backends.local import LocalModels, load_models
from backends.local.activity import describe
from backends.local.data import TestTrace, load_test_traces
from backends.local.data import read_splits as read_split_file
from backends.schema import AgentReply, Judgement
from bench.cache import CallCache
from bench.metrics import AgentCounts, is_null_task
from bench.output import progress, write_jsonl, write_metrics
from bench.protocol import (
    FAILED_REPLY,
    PROTOCOL,
    Conversation,
    RetryPolicy,
    Usage,
    agent_reply_json,
    judge_messages,
    reply_json,
    structured_call,
)
from graphs.state import Event

SPLITS_FILE = Path("test_data") / "splits.json"
"""The official split definition, relative to the data directory."""

RECORDS_FILE = "agent_events.jsonl"
"""Per-event records, in the output directory."""

PLOT_FILE = "agent_metrics.png"
"""Per-split metrics chart, in the output directory."""

LEAKAGE_EXCLUDED = (
    "excluded: every embedded model used on a trace was retrained by bench.retrain."
    "models_for_trace from {rows} without that trace (nor any reward trace sharing an event "
    "with it)"
)
LEAKAGE_NOT_EXCLUDED = (
    "NOT excluded: the shipped embedded models were used; they were trained on reward rows built "
    "from the same traces and the need detector on the local test traces' task_status, so these "
    "numbers are optimistic; pass train_rows (--train-rows) to retrain per trace without it"
)
LEAKAGE_CHAT_ONLY = (
    "not applicable to the embedded models (agent and judge are chat models); whether the chat "
    "models saw ProactiveBench is unknown"
)


def evaluate_agent(
    data_dir: Path,
    *,
    agent: str = "local",
    judge: str = "local",
    threshold: float = 0.5,
    train_rows: Path | None = None,
    concurrency: int = 4,
    cache_dir: Path | None = None,
    out_dir: Path | None = None,
    max_retries: int = 2,
    retry: RetryPolicy | None = None,
    gate: bool = False,
) -> dict[str, Any]:
    """Replay every test trace found under ``data_dir`` and return per-split metrics.

    Returns a JSON-able dict: ``splits`` (name → metrics of bench.metrics.AgentCounts plus
    ``partial``, ``files_found``, ``files_expected``, ``events``, ``traces``,
    ``agent_failures``, ``judge_failures``), ``leakage``, ``agent``, ``judge``, ``threshold``
    (local agent only), ``latency_ms``, ``calls``, ``tokens`` (None when no backend reported
    any), ``protocol`` and ``records`` (the per-event records file, with ``out_dir``).

    ``gate``: with a chat-model agent, call it only at events where the embedded need detector's
    score reaches ``threshold`` (elsewhere the reply is null without a call); the result's
    ``gate`` field gives the fraction of agent calls saved.
    """
    if gate and is_local(agent):
        raise ValueError("gate applies to a chat-model agent; the local agent is gated already")
    data_dir = Path(data_dir)
    splits = read_splits(data_dir)
    wanted = {name for files in splits.values() for name in files}
    traces = [t for t in load_test_traces(data_dir) if f"{t.name}.json" in wanted]
    if not traces:
        raise FileNotFoundError(
            f"no test trace of {data_dir / SPLITS_FILE} found in {data_dir / 'test_data'}"
        )
    local_agent, local_judge = is_local(agent), is_local(judge)
    if not local_agent and not local_judge and train_rows is not None and not gate:
        raise ValueError("train_rows retrains the embedded models, but neither role is local")

    cache = CallCache(cache_dir)
    retry = retry or RetryPolicy()
    runs: list[TraceRun] = []
    model_info: dict[str, Any] = {}
    rows = None
    if train_rows is not None:
        from bench.retrain import training_rows  # noqa: PLC0415 - only with train_rows

        rows = training_rows(data_dir, train_rows)
    for trace in traces:  # models first, in this thread: retraining is not run concurrently
        models = None
        if local_agent or local_judge or gate:
            models = _models_for(data_dir, trace, train_rows)
            model_info[trace.name] = _describe_models(models, data_dir, trace, rows)
        chat_agent: Any = None
        if not local_agent:
            chat_agent = ChatProtocolAgent(agent, cache, retry, max_retries)
            if gate:
                chat_agent = GatedProtocolAgent(chat_agent, models, threshold)
        runs.append(
            TraceRun(
                trace=trace,
                agent=LocalProtocolAgent(models, threshold) if local_agent else chat_agent,
                judge=LocalProtocolJudge(models)
                if local_judge
                else ChatProtocolJudge(judge, cache, retry, max_retries),
            )
        )

    started = time.perf_counter()
    try:
        if local_agent and local_judge:
            for run in progress(runs, len(runs), "bench agent"):
                run.replay()
        else:
            _replay_concurrently(runs, max(1, concurrency))
    finally:
        cache.close()
    wall_s = time.perf_counter() - started

    records = [r for run in runs for r in run.records]
    result: dict[str, Any] = {
        "splits": split_metrics(splits, runs),
        "leakage": leakage_note(local_agent, local_judge, train_rows),
        "agent": agent,
        "judge": judge,
        "protocol": PROTOCOL,
        "latency_ms": latency_summary(records),
        "calls": None,
        "tokens": None,
        "wall_s": round(wall_s, 3),
        "events": len(records),
    }
    if local_agent or gate:
        result["threshold"] = threshold
    if gate:
        gated = sum(1 for r in records if r.get("gated"))
        result["gate"] = {
            "threshold": threshold,
            "events": len(records),
            "llm_calls_skipped": gated,
            "llm_calls_saved": round(gated / len(records), 4) if records else 0.0,
        }
    if model_info:
        result["models"] = model_info
    if agent.strip() == judge.strip() and not local_agent:
        result["note"] = (
            "the same chat model plays agent and judge (in separate conversations); "
            "prefer an independent judge"
        )
    agent_usage, judge_usage = Usage(), Usage()
    for run in runs:
        agent_usage.merge(run.agent_usage)
        judge_usage.merge(run.judge_usage)
    if not (local_agent and local_judge):
        result["calls"] = {
            "agent": None if local_agent else agent_usage.as_dict(),
            "judge": None if local_judge else judge_usage.as_dict(),
        }
    if agent_usage.reported or judge_usage.reported:
        total = Usage()
        total.merge(agent_usage)
        total.merge(judge_usage)
        tokens = total.as_dict()
        tokens.pop("calls", None)
        tokens.pop("cached_calls", None)
        result["tokens"] = {
            **tokens,
            "agent": agent_usage.as_dict(),
            "judge": judge_usage.as_dict(),
        }
    if out_dir is not None:
        result["records"] = str(Path(out_dir) / RECORDS_FILE)
        write_outputs(Path(out_dir), result, records)
    return result


# --- splits and metrics -------------------------------------------------------------------


def read_splits(data_dir: Path) -> dict[str, list[str]]:
    """Split name → its trace file names (``splits.json``); without the file, one split "all"
    of every trace file present."""
    splits = read_split_file(data_dir)
    if splits is None:
        folder = data_dir / "test_data"
        files = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
        return {"all": [f for f in files if f != "splits.json"]}
    return splits


def split_metrics(splits: dict[str, list[str]], runs: Sequence[TraceRun]) -> dict[str, Any]:
    """Per split: the protocol's metrics over the traces found, flagged partial when some of
    the split's files are missing."""
    by_file = {f"{run.trace.name}.json": run for run in runs}
    out: dict[str, Any] = {}
    for name, files in splits.items():
        found = [by_file[f] for f in files if f in by_file]
        records = [r for run in found for r in run.records]
        counts = AgentCounts.from_outcomes(
            (r["proposed"], r["judgement"]["accepted"])
            for r in records
            if r["judgement"] is not None
        )
        out[name] = {
            **counts.metrics(),
            "partial": len(found) < len(files),
            "files_found": len(found),
            "files_expected": len(files),
            "events": len(records),
            "traces": [run.trace.name for run in found],
            "agent_failures": sum(r["agent_failure"] is not None for r in records),
            "judge_failures": sum(r["judge_failure"] is not None for r in records),
        }
    return out


def leakage_note(local_agent: bool, local_judge: bool, train_rows: Path | None) -> str:
    """What the result says about leakage of the test traces into the models used."""
    if not (local_agent or local_judge):
        return LEAKAGE_CHAT_ONLY
    roles = " and ".join(r for r, used in (("agent", local_agent), ("judge", local_judge)) if used)
    if train_rows is not None:
        return f"{LEAKAGE_EXCLUDED.format(rows=train_rows)} (embedded {roles})"
    return f"{LEAKAGE_NOT_EXCLUDED} (embedded {roles})"


def latency_summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Median and 95th percentile of the per-event agent (and judge) latency, in ms."""

    def stats(values: list[float]) -> dict[str, float | None]:
        if not values:
            return {"median": None, "p95": None}
        arr = np.asarray(values, dtype=float)
        return {
            "median": round(float(np.median(arr)), 3),
            "p95": round(float(np.percentile(arr, 95)), 3),
        }

    agent = stats([r["latency_ms"]["agent"] for r in records])
    return {
        **agent,
        "judge": stats([r["latency_ms"]["judge"] for r in records]),
        "events": len(records),
        "cached_events": sum(bool(r.get("cached")) for r in records),
    }


def write_outputs(out_dir: Path, result: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """Per-event records (JSONL), metrics (JSON and CSV) and a per-split chart."""
    from bench.plots import plot_split_metrics  # noqa: PLC0415 - matplotlib is slow to import

    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / RECORDS_FILE, records)
    write_metrics(out_dir, "agent", result)
    plot_split_metrics(result["splits"], out_dir / PLOT_FILE)


# --- models -------------------------------------------------------------------------------


def _models_for(data_dir: Path, trace: TestTrace, train_rows: Path | None) -> LocalModels:
    if train_rows is None:
        return load_models()
    from bench.retrain import models_for_trace  # noqa: PLC0415 - only with train_rows

    return models_for_trace(data_dir, trace.name, rows_file=train_rows)


def _describe_models(
    models: LocalModels, data_dir: Path, trace: TestTrace, rows: Sequence[Any] | None
) -> dict[str, Any]:
    """Where a trace's embedded models came from and which traces their training left out.

    With training rows (the leakage guard), also checks with bench.retrain.never_saw that the
    models' manifest shows neither the trace nor any reward trace sharing one of its events, and
    raises if it does.
    """
    info: dict[str, Any] = {"artifact_dir": str(models.artifact_dir)}
    manifest = models.artifact_dir / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8")).get("data", {})
        info["test_traces_excluded"] = data.get("test_traces_excluded", [])
        info["reward_traces_excluded"] = data.get("reward_traces_excluded", [])
    if rows is not None:
        from bench.retrain import never_saw  # noqa: PLC0415 - only with train_rows

        info["never_saw_trace"] = never_saw(models, data_dir, trace.name, rows)
        if not info["never_saw_trace"]:
            raise RuntimeError(
                f"the models retrained for {trace.name} ({models.artifact_dir}) saw that trace"
            )
    return info


# --- agents and judges under the protocol -------------------------------------------------


@dataclass
class AgentStep:
    """The agent's output at one event."""

    reply: dict[str, Any]
    """The reply object that joined the conversation (Purpose, Thoughts, Proactive Task,
    Response)."""
    turn: str
    """Its JSON text (the assistant turn)."""
    failure: str | None = None
    """Why no usable reply came (it then counts as no task)."""
    raw: str | None = None
    """The model's last text, kept when it failed."""
    attempts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)


class LocalProtocolAgent:
    """The embedded models under the protocol: the drafter's first candidate when the need
    score of the events so far reaches the threshold, else null."""

    def __init__(self, models: LocalModels | None, threshold: float) -> None:
        assert models is not None
        self.models = models
        self.threshold = threshold

    def step(self, messages: Sequence[Any], events: Sequence[Event]) -> AgentStep:
        score = self.models.need.score(events)
        draft = None
        if score >= self.threshold:
            drafts = self.models.drafter.candidates(events, k=1)
            draft = drafts[0] if drafts else None
        if draft is None:
            why = (
                f"need score {score:.3f} is below the threshold {self.threshold:g}"
                if score < self.threshold
                else "help may be needed, but no draft could be worded"
            )
            text = reply_json(describe(events).purpose, f"Staying silent: {why}.", None, "")
        else:
            text = reply_json(draft.purpose, draft.thoughts, draft.task, draft.response)
        return AgentStep(
            reply=json.loads(text), turn=text, extra={"need_score": round(float(score), 6)}
        )


class GatedProtocolAgent:
    """The LLM gate: a chat agent called only where the embedded need detector fires."""

    def __init__(self, inner: ChatProtocolAgent, models: LocalModels | None, threshold: float):
        assert models is not None
        self.inner = inner
        self.models = models
        self.threshold = threshold

    def step(self, messages: Sequence[Any], events: Sequence[Event]) -> AgentStep:
        score = float(self.models.need.score(events))
        if score < self.threshold:
            why = f"need score {score:.3f} is below the gate {self.threshold:g}; no model call"
            text = reply_json(describe(events).purpose, f"Staying silent: {why}.", None, "")
            return AgentStep(
                reply=json.loads(text),
                turn=text,
                extra={"need_score": round(score, 6), "gated": True},
            )
        result = self.inner.step(messages, events)
        result.extra.update(need_score=round(score, 6), gated=False)
        return result


class ChatRole:
    """A chat model called through the bench's call cache and retry policy."""

    def __init__(self, spec: str, cache: CallCache, retry: RetryPolicy, max_retries: int) -> None:
        self.spec = spec
        self.model = chat_model(spec)
        self.cache = cache
        self.retry = retry
        self.max_retries = max_retries


class ChatProtocolAgent(ChatRole):
    """A chat model that receives the protocol's conversation."""

    def step(self, messages: Sequence[Any], events: Sequence[Event]) -> AgentStep:
        result = structured_call(
            self.model,
            self.spec,
            messages,
            AgentReply,
            max_retries=self.max_retries,
            cache=self.cache,
            retry=self.retry,
        )
        if result.value is None:
            text = json.dumps(FAILED_REPLY, ensure_ascii=False)
            return AgentStep(
                reply=dict(FAILED_REPLY),
                turn=text,
                failure=result.error,
                raw=result.raw,
                attempts=result.attempts,
                usage=result.usage,
            )
        assert isinstance(result.value, AgentReply)
        text = agent_reply_json(result.value)
        return AgentStep(
            reply=json.loads(text), turn=text, attempts=result.attempts, usage=result.usage
        )


@dataclass
class JudgeStep:
    """The judge's verdict at one event (None when its reply could not be used)."""

    accepted: bool | None
    reason: str = ""
    failure: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)


class LocalProtocolJudge:
    """The embedded judge (the shipped one, or the one retrained without the trace)."""

    def __init__(self, models: LocalModels | None) -> None:
        assert models is not None
        self.models = models

    def step(self, events: Sequence[Event], task: str | None) -> JudgeStep:
        verdict = self.models.judge.judge(events, task)
        return JudgeStep(
            accepted=bool(verdict.accepted),
            reason=verdict.reason,
            extra={"accept_probability": round(float(verdict.accept_probability), 6)},
        )


class ChatProtocolJudge(ChatRole):
    """A chat model answering as the user (backends.judge.ChatJudge's request)."""

    def step(self, events: Sequence[Event], task: str | None) -> JudgeStep:
        result = structured_call(
            self.model,
            self.spec,
            judge_messages(events, task),
            Judgement,
            max_retries=self.max_retries,
            cache=self.cache,
            retry=self.retry,
        )
        if result.value is None:
            return JudgeStep(accepted=None, failure=result.error, usage=result.usage)
        assert isinstance(result.value, Judgement)
        return JudgeStep(
            accepted=result.value.accepted, reason=result.value.reason, usage=result.usage
        )


@dataclass
class TraceRun:
    """One trace replayed as one conversation."""

    trace: TestTrace
    agent: LocalProtocolAgent | ChatProtocolAgent
    judge: LocalProtocolJudge | ChatProtocolJudge
    records: list[dict[str, Any]] = field(default_factory=list)
    agent_usage: Usage = field(default_factory=Usage)
    judge_usage: Usage = field(default_factory=Usage)
    conversation: Conversation = field(default_factory=Conversation)

    def replay(self, stop: threading.Event | None = None, *, overlap_judge: bool = False) -> None:
        """Every event in order: user turn, agent reply (joins the conversation), judgement.

        Returns early (records incomplete) once ``stop`` is set: another trace failed.

        ``overlap_judge``: judge each event in a second thread while the agent already answers
        the next one. The agent's next call needs only its own previous reply, never the
        verdict, so the outcomes are the same; the judge calls of a trace still run one at a
        time and in event order, and all have finished when this returns (or raises).
        """
        if not overlap_judge:
            for i, event in enumerate(self.trace.events):
                if stop is not None and stop.is_set():
                    return
                step, task, proposed, agent_s = self._agent_step(i, event)
                verdict, judge_s = self._judge_step(i, task, proposed)
                self._record(i, event, step, proposed, verdict, agent_s, judge_s)
            return
        pending: list[tuple[int, Event, AgentStep, bool, float, Future[Any]]] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-judge") as judges:
            for i, event in enumerate(self.trace.events):
                if stop is not None and stop.is_set():
                    break
                if any(f.done() and f.exception() is not None for *_, f in pending):
                    break  # a judge call failed: raised below, once the others are done
                step, task, proposed, agent_s = self._agent_step(i, event)
                future = judges.submit(self._judge_step, i, task, proposed)
                pending.append((i, event, step, proposed, agent_s, future))
        for i, event, step, proposed, agent_s, future in pending:
            verdict, judge_s = future.result()  # raises the first judge failure, in order
            self._record(i, event, step, proposed, verdict, agent_s, judge_s)

    def _agent_step(self, i: int, event: Event) -> tuple[AgentStep, str | None, bool, float]:
        messages = self.conversation.add_event(event)
        t0 = time.perf_counter()
        step = self.agent.step(messages, self.trace.events[: i + 1])
        agent_s = time.perf_counter() - t0
        self.conversation.add_reply(step.turn)
        task = step.reply.get("Proactive Task")
        proposed = not is_null_task(task)
        return step, (task.strip() if proposed else None), proposed, agent_s

    def _judge_step(self, i: int, task: str | None, proposed: bool) -> tuple[JudgeStep, float]:
        t0 = time.perf_counter()
        verdict = self.judge.step(self.trace.events[: i + 1], task if proposed else None)
        return verdict, time.perf_counter() - t0

    def _record(
        self,
        i: int,
        event: Event,
        step: AgentStep,
        proposed: bool,
        verdict: JudgeStep,
        agent_s: float,
        judge_s: float,
    ) -> None:
        trace = self.trace
        self.agent_usage.merge(step.usage)
        self.judge_usage.merge(verdict.usage)
        outcome = None
        if verdict.accepted is not None:
            outcome = (
                ("TP" if verdict.accepted else "FP")
                if proposed
                else ("TN" if verdict.accepted else "FN")
            )
        tokens = {
            role: usage.as_dict()
            for role, usage in (("agent", step.usage), ("judge", verdict.usage))
            if usage.reported
        }
        calls = step.usage.calls + verdict.usage.calls
        cached = step.usage.cached_calls + verdict.usage.cached_calls
        self.records.append(
            {
                "trace": trace.name,
                "index": i,
                "time": event.time,
                "event": event.text,
                "task_status": trace.task_status[i],
                "agent": step.reply,
                "proposed": proposed,
                "agent_failure": step.failure,
                "agent_attempts": step.attempts,
                **({"agent_raw": step.raw} if step.failure else {}),
                **step.extra,
                "judgement": None
                if verdict.accepted is None
                else {"accepted": verdict.accepted, "reason": verdict.reason},
                "judge_failure": verdict.failure,
                **verdict.extra,
                "outcome": outcome,
                "latency_ms": {
                    "agent": round(agent_s * 1000, 3),
                    "judge": round(judge_s * 1000, 3),
                },
                "tokens": tokens or None,
                "cached": bool(cached) and not calls,
            }
        )


def _replay_concurrently(runs: Sequence[TraceRun], concurrency: int) -> None:
    """Traces in parallel threads; the first failure stops the others at their next event.

    ``concurrency`` bounds the model calls in flight. Traces run ``min(concurrency, traces)``
    at once; when that leaves room for a second call per trace (``concurrency >= 2 * traces``),
    each trace also judges an event while its agent answers the next (see TraceRun.replay).
    An agent's calls within a trace cannot overlap (each one's conversation holds the previous
    reply), so the longest trace's agent calls bound the wall time from below.
    """
    workers = min(concurrency, len(runs))
    overlap = concurrency >= 2 * len(runs)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench-agent") as pool:
        futures = [pool.submit(run.replay, stop, overlap_judge=overlap) for run in runs]
        try:
            for future in progress(as_completed(futures), len(futures), "bench agent"):
                future.result()
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise
