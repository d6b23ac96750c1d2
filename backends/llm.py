"""Language-model backends: build a LangChain chat model from a backend setting, call it with
bounded retries, and get a reply parsed into a schema, re-asking with the parse error shown to
the model.

A backend setting is one of:
- ``local``: the embedded CPU models (handled by the role modules, not here);
- ``provider:model``: anything ``init_chat_model`` knows, e.g. ``openai:gpt-4o-mini``;
  ``openai:`` also reaches any OpenAI-compatible server (vLLM, Ollama, llama.cpp) through
  ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``;
- ``custom:name``: a chat model object registered with :func:`register_chat_model`.

Two kinds of fault, each handled in one place:

- a request that fails (timeout, refused connection, HTTP 429 or 5xx, an unreadable response) is
  retried by :class:`RetryPolicy` with exponential backoff and jitter, honouring a server's
  ``Retry-After``, within a bounded number of tries and a time budget; the clients' own retries
  are switched off (``max_retries=0``) so that no request is retried twice over;
- a reply that arrives but is not valid JSON of the schema (or was cut at the token limit) is
  sent back with the error by :func:`structured_reply`, up to ``max_retries`` times.

A structured reply is requested by schema where the model's server supports it (the
``response_format`` of the OpenAI chat API; :data:`SCHEMA_FORMATS`), and parsed from the text
of a reply asked for in the prompt only as the fallback: a server that refuses one format is
asked in the next at once, and that is remembered for its endpoint.

Either one, when it persists, raises :class:`~backends.schema.ModelOutputError`, which the graph
records as a failure (or answers with the ``fallback`` backend) before going on.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, ValidationError

from backends.schema import ModelOutputError
from graphs.context import is_local  # noqa: F401 - one definition, used by every role

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

DEFAULT_TIMEOUT_S = 60.0
"""Seconds one request may take when no ``llm_timeout`` setting is given."""

RETRYABLE_STATUS = frozenset({408, 409, 429})
"""HTTP client errors worth retrying (timeout, conflict, rate limit); every 5xx is too."""


class TransportError(RuntimeError):
    """A model call kept failing after the bounded retries of a :class:`RetryPolicy`
    (network, rate limit, server error), or failed in a way that no retry can mend."""

    def __init__(self, label: str, error: Exception, attempts: int, elapsed_s: float) -> None:
        super().__init__(
            f"{label}: the call failed {attempts} time(s) in {elapsed_s:.1f} s: "
            f"{type(error).__name__}: {error}"
        )
        self.error = error
        """The last failure."""
        self.attempts = attempts
        """Tries made."""


def is_retryable(error: Exception) -> bool:
    """Whether a failed request may succeed when sent again.

    Everything is, except an HTTP client error (4xx) other than 408, 409 and 429: a bad
    request, a refused key or an unknown model stays so. A timeout, a refused connection, a 5xx
    and an unreadable response body (a proxy's error page, a cut-off reply) are retried.
    """
    status = getattr(error, "status_code", None)
    if not isinstance(status, int):
        status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(status, int) and 400 <= status < 500:
        return status in RETRYABLE_STATUS
    return True


def retry_after(error: Exception) -> float | None:
    """The wait a server asked for with ``Retry-After`` (seconds or an HTTP date) or
    ``retry-after-ms``, in seconds; None when it asked for none."""
    headers = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        raw_ms = headers.get("retry-after-ms")
        raw = headers.get("retry-after")
    except Exception:  # noqa: BLE001 - not a mapping of headers
        return None
    try:
        if raw_ms is not None:
            return max(0.0, float(raw_ms) / 1000.0)
        if raw is None:
            return None
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff around a call that raises.

    The wait after failed try ``n`` (0-based) is ``base_delay_s * 2**n``, cut by up to
    ``jitter`` of itself at random, at most ``max_delay_s``; a server's ``Retry-After`` (up to
    ``max_delay_s``) lengthens it. No retry starts when its wait would end past ``budget_s``
    after the first try began. The graph's policy comes from its settings (``llm_retries``,
    ``llm_backoff_seconds``, ``llm_retry_budget_seconds``); the bench passes its own.
    """

    attempts: int = 3
    """Tries in all (the clients' own retries are off)."""
    base_delay_s: float = 1.0
    """Wait before the second try; doubled before each further one."""
    max_delay_s: float = 30.0
    """Cap on one wait."""
    jitter: float = 0.0
    """Fraction of each wait that is random (0: exact waits; 0.25: 75-100 % of the wait)."""
    budget_s: float = math.inf
    """Seconds all tries and waits of one call may take."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait (tests pass a no-op)."""

    def delay(self, attempt: int, server_wait: float | None = None) -> float:
        """Wait after failed try number ``attempt`` (0-based)."""
        wait = min(self.max_delay_s, self.base_delay_s * 2**attempt)
        if self.jitter > 0:
            wait *= 1.0 - min(1.0, self.jitter) * random.random()
        if server_wait is not None:
            wait = max(wait, min(self.max_delay_s, server_wait))
        return wait

    def call(self, fn: Callable[[], R], *, label: str = "model") -> R:
        """``fn()``, retried while it raises a retryable error; :class:`TransportError` once
        the tries or the time budget are spent, or at once for an error no retry mends."""
        start = time.monotonic()
        waited = 0.0
        tries = max(1, self.attempts)
        for attempt in range(tries):
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - classified below, then retried or raised
                # Time spent so far: the clock, or at least the waits (a test's sleep is a no-op).
                elapsed = max(time.monotonic() - start, waited)
                if attempt + 1 >= tries or not is_retryable(exc):
                    raise TransportError(label, exc, attempt + 1, elapsed) from exc
                wait = self.delay(attempt, retry_after(exc))
                if elapsed + wait > self.budget_s:
                    raise TransportError(label, exc, attempt + 1, elapsed) from exc
                self.sleep(wait)
                waited += wait
        raise AssertionError("unreachable")  # pragma: no cover


DEFAULT_RETRY = RetryPolicy()
"""The policy of calls made outside a graph run's settings."""

_registered: dict[str, BaseChatModel] = {}
_built: dict[str, BaseChatModel] = {}
_lock = threading.Lock()


def register_chat_model(name: str, model: BaseChatModel) -> None:
    """Make a chat model object available as the backend ``custom:<name>``."""
    if not name:
        raise ValueError("a registered chat model needs a non-empty name")
    with _lock:
        _registered[name] = model


def local_only_requested() -> bool:
    """Whether this run asks for local models only: the ``local_only`` setting of the graph run
    being executed, else the environment variable ``PROACTIVE_LOCAL_ONLY``."""
    from graphs.context import Context  # noqa: PLC0415 - keeps this module's imports light

    context = None
    try:
        from langgraph.runtime import get_runtime  # noqa: PLC0415

        context = get_runtime().context
    except Exception:  # noqa: BLE001 - outside a graph run there is no runtime
        context = None
    if isinstance(context, dict):
        context = Context(**{k: v for k, v in context.items() if k == "local_only"})
    value = getattr(context, "local_only", None)
    return bool(Context().local_only if value is None else value)


def chat_model(
    spec: str, *, local_only: bool | None = None, timeout: float | None = None
) -> BaseChatModel:
    """The chat model named by a backend setting (built once per process and ``timeout``).

    ``timeout`` (seconds, default :data:`DEFAULT_TIMEOUT_S`) bounds one request of a
    ``provider:model`` backend; the client does not retry (``max_retries=0``): callers wrap
    requests in a :class:`RetryPolicy`. A ``custom:`` model is returned as registered.

    With ``local_only`` (by default: :func:`local_only_requested`) every backend is refused
    with a ValueError: the embedded models are not chat models, so any chat model here could
    send the events to a remote service.
    """
    spec = spec.strip()
    if local_only if local_only is not None else local_only_requested():
        raise ValueError(
            f"local_only is set: backend {spec!r} would send data to a remote model "
            "(use the 'local' backend, or unset local_only / PROACTIVE_LOCAL_ONLY)"
        )
    if spec.startswith("custom:"):
        name = spec.removeprefix("custom:")
        try:
            return _registered[name]
        except KeyError:
            known = ", ".join(sorted(_registered)) or "none"
            raise ValueError(
                f"backend {spec!r}: no chat model registered as {name!r} (registered: {known})"
            ) from None
    if ":" not in spec:
        raise ValueError(
            f"backend {spec!r} is not 'local', 'provider:model' (e.g. openai:gpt-4o-mini) "
            "or 'custom:name'"
        )
    seconds = DEFAULT_TIMEOUT_S if timeout is None else float(timeout)
    # The endpoint is part of the identity: the same model name on another server is another model.
    key = f"{spec}@{os.environ.get('OPENAI_BASE_URL', '')}@{seconds:g}"
    with _lock:
        if key not in _built:
            from langchain.chat_models import init_chat_model  # noqa: PLC0415 - slow import

            # Retries are RetryPolicy's alone: a client retrying inside would multiply them.
            _built[key] = init_chat_model(spec, temperature=0, max_retries=0, timeout=seconds)
        return _built[key]


def invoke_with_retry(
    model: Any, messages: list[BaseMessage], *, role: str, retry: RetryPolicy | None = None
) -> AIMessage:
    """``model.invoke(messages)`` under ``retry`` (default :data:`DEFAULT_RETRY`); a call that
    still fails raises :class:`ModelOutputError` naming the last error and the tries made."""
    policy = retry or DEFAULT_RETRY
    try:
        return policy.call(lambda: model.invoke(messages), label=role)
    except TransportError as exc:
        raise ModelOutputError(
            role, f"{type(exc.error).__name__}: {exc.error}", exc.attempts
        ) from exc


SchemaFormat = Literal["json_schema", "json_object", "text"]
"""How a structured reply is requested from a model."""

SCHEMA_FORMATS: tuple[SchemaFormat, ...] = ("json_schema", "json_object", "text")
"""The ways to ask, most specific first: OpenAI's JSON-schema response format (OpenAI, vLLM,
recent llama.cpp and Ollama); ``json_object`` with the schema beside it (llama-cpp-python's
server, which turns the schema into a grammar); the schema in the prompt alone, parsed from
the reply's text (any chat model)."""

_format_of: dict[str, SchemaFormat] = {}
"""The first format each endpoint accepted (an endpoint's refusal is learnt once per process)."""


def _endpoint(model: Any) -> str:
    """Who serves ``model``: its client class, model name and base URL."""
    name = getattr(model, "model_name", None) or getattr(model, "model", "")
    # The client's own base URL: the setting, else what it read from OPENAI_BASE_URL.
    url = getattr(model, "openai_api_base", None) or getattr(
        getattr(model, "root_client", None), "base_url", ""
    )
    return f"{type(model).__name__}:{name}@{url}"


def schema_format(model: Any) -> SchemaFormat:
    """The format a reply of ``model`` is requested in: by schema for a client that speaks the
    OpenAI chat API (``langchain_openai``), unless its server refused that before; in the
    prompt alone for any other chat model."""
    if not type(model).__module__.startswith("langchain_openai"):
        return "text"
    with _lock:
        return _format_of.get(_endpoint(model), SCHEMA_FORMATS[0])


def response_format(schema: type[BaseModel], kind: SchemaFormat) -> dict[str, Any] | None:
    """The ``response_format`` request field that asks for a reply of ``schema``."""
    body = schema.model_json_schema(by_alias=True)
    if kind == "json_schema":
        # Not strict: OpenAI's strict mode wants every field required and no defaults.
        spec = {"name": schema.__name__, "schema": body, "strict": False}
        return {"type": "json_schema", "json_schema": spec}
    if kind == "json_object":
        return {"type": "json_object", "schema": body}
    return None


def refuses_response_format(error: Exception) -> bool:
    """Whether a failed request is the server refusing the ``response_format`` field (OpenAI
    answers 400; llama-cpp-python's server 500 with its validation error), which asking in
    another format mends."""
    status = getattr(error, "status_code", None)
    if not isinstance(status, int):
        status = getattr(getattr(error, "response", None), "status_code", None)
    return isinstance(status, int) and status >= 400 and "response_format" in str(error)


def _cut_reply(error: Exception) -> AIMessage | None:
    """The partial reply of a request the client refused to parse because the server stopped
    at its token limit (OpenAI's ``LengthFinishReasonError``): a malformed reply to re-ask."""
    completion = getattr(error, "completion", None)
    if type(error).__name__ != "LengthFinishReasonError" or completion is None:
        return None
    content = completion.choices[0].message.content if completion.choices else None
    return AIMessage(content=content or "", response_metadata={"finish_reason": "length"})


def _ask(model: Any, messages: list[BaseMessage], fmt: dict[str, Any] | None) -> AIMessage | None:
    """One request for a structured reply; None when the server refused ``fmt``."""
    try:
        return (model.bind(response_format=fmt) if fmt else model).invoke(messages)
    except Exception as exc:  # noqa: BLE001 - a refused format or a cut reply; others re-raised
        if fmt is not None and refuses_response_format(exc):
            return None
        cut = _cut_reply(exc)
        if cut is None:
            raise
        return cut


def request_structured(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[BaseModel],
    *,
    role: str,
    retry: RetryPolicy | None = None,
) -> AIMessage:
    """One reply of ``model`` requested by ``schema`` (:func:`schema_format`): a server that
    refuses a format is asked at once in the next of :data:`SCHEMA_FORMATS`, and remembered.
    Each request goes through ``retry``; one that still fails raises
    :class:`ModelOutputError`."""
    policy = retry or DEFAULT_RETRY
    kind = schema_format(model)
    while True:
        fmt = response_format(schema, kind)
        try:
            reply = policy.call(lambda f=fmt: _ask(model, messages, f), label=role)
        except TransportError as exc:
            raise ModelOutputError(
                role, f"{type(exc.error).__name__}: {exc.error}", exc.attempts
            ) from exc
        if reply is not None:
            return reply
        kind = SCHEMA_FORMATS[SCHEMA_FORMATS.index(kind) + 1]
        with _lock:
            _format_of[_endpoint(model)] = kind


def structured_reply(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    role: str,
    max_retries: int,
    retry: RetryPolicy | None = None,
) -> T:
    """Ask ``model`` for a JSON object of ``schema`` and parse its reply.

    The reply is requested by schema where the model's server supports it
    (:func:`request_structured`), else by the prompt alone; either way its text is parsed and
    validated here. Each request goes through ``retry``; a request that still fails raises
    :class:`ModelOutputError`. A reply that is not valid JSON of the schema (or was cut at the
    token limit) is sent back with the error, up to ``max_retries`` times; then
    :class:`ModelOutputError` is raised.
    """
    conversation = list(messages)
    error = "no reply"
    for _ in range(max_retries + 1):
        reply = request_structured(model, conversation, schema, role=role, retry=retry)
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        try:
            if reply.response_metadata.get("finish_reason") == "length":
                # The lenient parser would close a cut-off object: what it lost is unknown.
                raise ValueError("the reply was cut off at the token limit")
            data = parse_json_markdown(text)
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, got {type(data).__name__}")
            return schema.model_validate(data)
        except (ValueError, ValidationError, json.JSONDecodeError) as exc:
            error = _short_error(exc)
            conversation += [
                AIMessage(content=text),
                HumanMessage(
                    content=f"That reply could not be used: {error}. Answer again with only the "
                    "JSON object in the required format."
                ),
            ]
    raise ModelOutputError(role, f"malformed reply: {error}", max_retries + 1)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [
            f"field {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors()
        ]
        return "; ".join(parts)
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


@dataclass
class ChatRole:
    """A role (agent, judge) played by a chat model that replies in one JSON schema."""

    spec: str
    """The backend: `provider:model`, `custom:NAME`, ..."""
    max_retries: int
    """Times a malformed reply is sent back for correction."""
    retry: RetryPolicy | None = None
    """Retries of failed requests (default: `RetryPolicy()`)."""
    timeout: float | None = None
    """Seconds one request may take."""

    def ask(self, messages: list[BaseMessage], schema: type[T], *, role: str) -> T:
        """The model's reply to `messages`, parsed as `schema` (see `structured_reply`)."""
        return structured_reply(
            chat_model(self.spec, timeout=self.timeout),
            messages,
            schema,
            role=role,
            max_retries=self.max_retries,
            retry=self.retry,
        )
