"""Runtime settings of the proactive agent (LangGraph's context schema).

Every field can be passed at invocation (`graph.invoke(..., context={...})`, or `context` in a
`langgraph dev` run); a field left at its default takes the environment variable
`PROACTIVE_<FIELD NAME IN CAPITALS>` when that is set.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, TypeVar

FeedbackMode = Literal["simulated", "human", "auto"]


def is_local(spec: str) -> bool:
    """True when a backend setting names the embedded models."""
    return spec.strip().lower() in ("", "local")


@dataclass(kw_only=True)
class Context:
    """Settings for one run of the agent graph."""

    fixed_per_thread: ClassVar[bool] = False
    """True for a served graph's settings: a thread's run settings then never change after its
    first event (see `thread_settings`)."""

    agent_backend: str = field(
        default="local",
        metadata={
            "description": "Model that detects need and drafts tasks: 'local' (embedded), "
            "'provider:model' for init_chat_model, or 'openai-compatible:MODEL' "
            "(uses OPENAI_BASE_URL / OPENAI_API_KEY)."
        },
    )
    judge_backend: str = field(
        default="local",
        metadata={"description": "Model that judges proposals in simulated feedback mode."},
    )
    executor_backend: str = field(
        default="local",
        metadata={"description": "Model that carries out accepted tasks with tools."},
    )
    need_threshold: float = field(
        default=0.0,
        metadata={
            "description": "Need score at or above which the agent drafts (and, with "
            "llm_gate, calls its language model). 0: no gate; the personal model decides "
            "whether to interrupt (gating on the need detector cost the personal policy "
            "recall in the human-judged replay, docs/personal.md). `bench need` uses the "
            "detector's own threshold, chosen by leave-one-trace-out (need.json)."
        },
    )
    max_refinements: int = field(
        default=2,
        metadata={"description": "Refinement rounds after a rejection before giving up quietly."},
    )
    feedback_mode: FeedbackMode = field(
        default="simulated",
        metadata={
            "description": "'simulated': the judge answers; 'human': interrupt and ask; "
            "'auto': ask only when the judge is unsure."
        },
    )
    llm_gate: bool = field(
        default=False,
        metadata={
            "description": "With an LLM agent, call it only when the embedded need detector fires."
        },
    )
    ignore_cooldown: int = field(
        default=3,
        metadata={"description": "User events without proposals after an ignored proposal."},
    )
    auto_band_low: float = field(
        default=0.35,
        metadata={
            "description": "feedback_mode 'auto': ask the person when the judge's accept "
            "probability is at least this..."
        },
    )
    auto_band_high: float = field(
        default=0.65,
        metadata={"description": "...and at most this; outside the band the judge answers."},
    )
    max_proposals: int = field(
        default=0,
        metadata={
            "description": "Interruption budget: at most this many proposals per "
            "budget_window_seconds of event time (0: no limit)."
        },
    )
    budget_window_seconds: float = field(
        default=3600.0,
        metadata={"description": "The window of the interruption budget."},
    )
    min_gap_seconds: float = field(
        default=0.0,
        metadata={"description": "Event time that must pass between two proposals."},
    )
    quiet_hours: str = field(
        default="",
        metadata={
            "description": "Hours without proposals, 'START-END' in UTC hours of event "
            "time (e.g. '22-7'); empty: none."
        },
    )
    learn_from_feedback: bool = field(
        default=True,
        metadata={
            "description": "Let past answers change behaviour: each answer teaches this "
            "user's personal model (how readily they accept help), and ignores back off. "
            "Off: every user is treated as a new user of the global model (for comparison)."
        },
    )
    personal_target_f1: float = field(
        default=0.7,
        metadata={
            "description": "The personal model offers a draft only when that raises the "
            "expected F1 at this level (higher: fewer, surer interruptions; 0: always offer "
            "the best draft)."
        },
    )
    user_id: str = field(
        default="default",
        metadata={"description": "Memory namespace: whose memories to read and write."},
    )
    memory_dir: str = field(
        default="",
        metadata={
            "description": "Directory of the on-disk vector memory; empty keeps memory "
            "in this process only."
        },
    )
    memory_server: str = field(
        default="",
        metadata={
            "description": "A Chroma server (http://host:port) holding the vector memory "
            "instead of memory_dir's embedded one: shared by every worker, written through "
            "at once; profiles are then rebuilt from the answers it remembers."
        },
    )
    workspace: str = field(
        default="",
        metadata={
            "description": "Base of the workspaces: each user's executor tools are confined "
            "to their own folder in it (nodes.common.workspace); empty uses "
            "<memory_dir>/workspace, or a temporary directory."
        },
    )
    project_root: str = field(
        default="",
        metadata={
            "description": "Folder of the person's project that the executor may read "
            "(read-only: files, error locations, lint, outlines, summaries); empty uses the "
            "workspace. What the executor writes still goes to the workspace."
        },
    )
    allow_shell: bool = field(
        default=False,
        metadata={"description": "Give the executor a shell tool (off by default)."},
    )
    local_only: bool = field(
        default=False,
        metadata={
            "description": "Refuse every backend other than 'local': no event text leaves "
            "this machine for a remote model."
        },
    )
    max_retries: int = field(
        default=2,
        metadata={"description": "Retries of a malformed LLM reply, showing the model its error."},
    )
    memory_k: int = field(
        default=4,
        metadata={"description": "Memories retrieved per event."},
    )
    llm_timeout: float = field(
        default=60.0,
        metadata={
            "description": "Seconds one language-model request may take before it counts as "
            "failed (and is retried)."
        },
    )
    llm_retries: int = field(
        default=2,
        metadata={
            "description": "Retries of a failed language-model request (timeout, refused "
            "connection, HTTP 429 or 5xx, unreadable response) before the call is recorded "
            "as a failure."
        },
    )
    llm_backoff_seconds: float = field(
        default=1.0,
        metadata={
            "description": "Wait before the first retry of a failed request; doubled for "
            "each further one, with up to 25% jitter, at most 30 s (longer when the server "
            "sends Retry-After)."
        },
    )
    llm_retry_budget_seconds: float = field(
        default=120.0,
        metadata={
            "description": "Seconds one language-model call may spend in all its tries and "
            "waits; no retry starts past it."
        },
    )
    fallback: str = field(
        default="",
        metadata={
            "description": "Backend that answers a role's call when its language model still "
            "fails after the retries (e.g. 'local' for the embedded models); the fallback is "
            "recorded as an agent event. Empty: the failure is recorded and the role stays "
            "silent."
        },
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) != f.default:
                continue
            raw = os.environ.get(f"PROACTIVE_{f.name.upper()}")
            if raw is not None and raw != "":
                setattr(self, f.name, _coerce(f.name, raw, f.default))
        if not isinstance(self.user_id, str) or not self.user_id.strip():
            raise ValueError(
                f"user_id must be a non-empty string (whose memory to use), got {self.user_id!r}"
            )
        if self.project_root and not os.path.isdir(os.path.expanduser(self.project_root)):
            raise ValueError(
                f"project_root must be an existing folder to read, got {self.project_root!r}"
            )
        if self.local_only:
            for name in ("agent_backend", "judge_backend", "executor_backend", "fallback"):
                spec = getattr(self, name)
                if name == "fallback" and not spec.strip():
                    continue
                if not is_local(spec):
                    raise ValueError(
                        f"local_only is set, but {name} is {spec!r}, a model that would see "
                        "the events outside this machine; use 'local' or unset local_only"
                    )
        if self.feedback_mode not in ("simulated", "human", "auto"):
            raise ValueError(
                f"feedback_mode must be 'simulated', 'human' or 'auto', got {self.feedback_mode!r}"
            )
        if not 0.0 <= self.auto_band_low <= self.auto_band_high <= 1.0:
            raise ValueError(
                f"auto band must satisfy 0 <= low <= high <= 1, got "
                f"{self.auto_band_low!r}..{self.auto_band_high!r}"
            )
        parse_quiet_hours(self.quiet_hours)
        if not 0.0 <= float(self.personal_target_f1) < 1.0:
            raise ValueError(
                f"personal_target_f1 must be within 0..1 (below 1), got {self.personal_target_f1!r}"
            )
        if not 0.0 <= float(self.need_threshold) <= 1.0:
            raise ValueError(f"need_threshold must be within 0..1, got {self.need_threshold!r}")
        if int(self.max_refinements) < 0:
            raise ValueError(f"max_refinements must be >= 0, got {self.max_refinements!r}")
        if not float(self.llm_timeout) > 0:
            raise ValueError(f"llm_timeout must be > 0, got {self.llm_timeout!r}")
        if int(self.llm_retries) < 0:
            raise ValueError(f"llm_retries must be >= 0, got {self.llm_retries!r}")
        if float(self.llm_backoff_seconds) < 0:
            raise ValueError(f"llm_backoff_seconds must be >= 0, got {self.llm_backoff_seconds!r}")
        if not float(self.llm_retry_budget_seconds) > 0:
            raise ValueError(
                f"llm_retry_budget_seconds must be > 0, got {self.llm_retry_budget_seconds!r}"
            )


SERVER_SETTINGS: frozenset[str] = frozenset(
    {
        "memory_dir",
        "memory_server",
        "workspace",
        "project_root",
        "allow_shell",
        "local_only",
        "user_id",
    }
)
"""Settings that only the server's own configuration may give (its environment, which
`langgraph.json`'s "env" fills): where files go, what the executor may run, whose memory it is,
and whether anything may leave the machine. A served graph's client may set the others."""

BACKEND_SETTINGS = ("agent_backend", "judge_backend", "executor_backend", "fallback", "gym_model")
"""Settings that name a model backend: a client may choose only one the server allows."""

ALLOWED_BACKENDS_ENV = "PROACTIVE_ALLOWED_BACKENDS"
"""Comma-separated backends a served graph's clients may choose, beyond 'local' and the
server's own configured ones (PROACTIVE_AGENT_BACKEND, ...)."""


def allowed_backends() -> frozenset[str]:
    """The backends a client of a served graph may choose."""
    configured = {
        os.environ.get(f"PROACTIVE_{name.upper()}", "").strip() for name in BACKEND_SETTINGS
    }
    listed = {b.strip() for b in os.environ.get(ALLOWED_BACKENDS_ENV, "").split(",")}
    return frozenset({"local", *configured, *listed} - {""})


RUN_SETTINGS: tuple[str, ...] = tuple(
    f.name for f in fields(Context) if f.name not in SERVER_SETTINGS
)
"""Settings a client may give a run (every one but the server's). A thread keeps the values its
first event ran with (`State.settings`, see :func:`thread_settings`)."""

LOCAL_PINNED: tuple[str, ...] = ("feedback_mode",)
"""Recorded run settings that hold for a local caller's later runs too (unless the run sets
another value): who answers the thread's proposals. A local script may change the others
between runs (it passes them every time; a default cannot be told from a choice)."""

C = TypeVar("C", bound="Context")


def check_backends(ctx: Context) -> None:
    """Refuse a backend that is not 'local', the server's own, or listed in
    PROACTIVE_ALLOWED_BACKENDS (a served graph's check of its clients' choices)."""
    allowed = allowed_backends()
    for name in BACKEND_SETTINGS:
        spec = str(getattr(ctx, name, "") or "").strip()
        if spec and not is_local(spec) and spec not in allowed:
            raise ValueError(
                f"{name} {spec!r} is not a backend this server allows (allowed: "
                f"{', '.join(sorted(allowed))}; the server lists more in "
                f"{ALLOWED_BACKENDS_ENV})"
            )


def recorded_settings(ctx: Context) -> dict[str, Any]:
    """The run settings a thread records at its first event (never a server setting)."""
    return {name: getattr(ctx, name) for name in RUN_SETTINGS}


def thread_settings(ctx: C, recorded: dict[str, Any] | None) -> C:
    """The settings of a run on a thread that recorded `recorded` at its first event.

    A served graph's thread keeps every recorded run setting, whatever a later run's context
    says (a resume from Agent Inbox carries none; a client that passes another feedback_mode is
    ignored, so a human-reviewed thread never becomes a simulated one). A local caller (the CLI,
    workers, scripts) owns its settings, except who answers: the recorded `LOCAL_PINNED` ones
    hold where the run leaves them at their default (a later `proactive run` without
    --feedback does not let the judge answer for a person). Server settings always come from
    the run. The result is checked as the run's own context is.
    """
    if not recorded:
        return ctx
    if getattr(type(ctx), "fixed_per_thread", False):
        taken = {k: v for k, v in recorded.items() if k in RUN_SETTINGS}
    else:
        defaults = Context()
        taken = {
            k: recorded[k]
            for k in LOCAL_PINNED
            if k in recorded and getattr(ctx, k) == getattr(defaults, k)
        }
    changed = {k: v for k, v in taken.items() if getattr(ctx, k) != v}
    if not changed:
        return ctx
    pinned = copy.copy(ctx)
    for name, value in changed.items():
        object.__setattr__(pinned, name, value)
    # The same checks a context given at the run passes (ranges, local_only, allowed backends).
    Context(**{f.name: getattr(pinned, f.name) for f in fields(Context)})
    if getattr(type(ctx), "fixed_per_thread", False):
        check_backends(pinned)
    return pinned


def served(cls: type[C]) -> type[C]:
    """The settings class of a graph served to clients (`langgraph dev`): `cls`, where a run's
    context may set the run settings only. A server setting (`SERVER_SETTINGS`) in it is
    refused with an error naming it, and comes from the server's environment instead; a backend
    must be 'local', the server's own, or listed in PROACTIVE_ALLOWED_BACKENDS."""
    run_settings = sorted(f.name for f in fields(cls) if f.name not in SERVER_SETTINGS)

    def __init__(self: Any, **given: Any) -> None:  # noqa: N807 - the dataclass's __init__
        refused = sorted(SERVER_SETTINGS & set(given))
        if refused:
            names = ", ".join(refused)
            plural = len(refused) > 1
            raise ValueError(
                f"{names}: server setting{'s' if plural else ''}, which a run may not set; the "
                f"server takes {'them' if plural else 'it'} from its own environment "
                f"({', '.join('PROACTIVE_' + n.upper() for n in refused)}). A run may set: "
                + ", ".join(run_settings)
            )
        unknown = sorted(set(given) - set(run_settings))
        if unknown:
            raise ValueError(
                f"unknown setting {', '.join(unknown)}; a run may set: {', '.join(run_settings)}"
            )
        cls.__init__(self, **given)
        check_backends(self)

    # A served thread's run settings are fixed at its first event (`thread_settings`).
    namespace = {"__init__": __init__, "__doc__": cls.__doc__, "fixed_per_thread": True}
    return type(f"Served{cls.__name__}", (cls,), namespace)


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """'22-7' → (22, 7); empty → None. Hours are 0..23; the span may wrap past midnight."""
    if not text.strip():
        return None
    try:
        start, end = (int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"quiet_hours must look like '22-7', got {text!r}") from None
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ValueError(f"quiet_hours hours must be within 0..23, got {text!r}")
    return start, end


def _coerce(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as err:
        raise ValueError(
            f"environment variable PROACTIVE_{name.upper()}={raw!r} is not a valid "
            f"{type(default).__name__}"
        ) from err
    return raw


def settings(context: Context | dict[str, Any] | None) -> Context:
    """The settings of a run: the context given, or the defaults with environment fallbacks."""
    if context is None:
        return Context()
    if isinstance(context, dict):
        return Context(**context)
    return context
