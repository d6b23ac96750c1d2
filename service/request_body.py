"""Reading a JSON request body within limits, for every server of the project (the worker host's
endpoint and `proactive ui`).

The body is streamed and the read stops at the byte limit (a declared `Content-Length` over it is
refused before anything is read), so a client cannot make a server hold more than the limit. The
JSON is then parsed with bounds a hostile client would otherwise use to get a 500: nesting depth,
digits in a number, `NaN`/`Infinity` (PostgreSQL refuses them in jsonb), NUL and lone surrogates
in strings (PostgreSQL refuses `\\u0000` in jsonb, UTF-8 cannot encode a lone surrogate). Each
refusal is a :class:`BodyError` with the HTTP status and a one-line reason naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted (an event batch needs 3)."""

MAX_NUMBER_CHARS = 64
"""Longest number literal accepted (digits, sign, point and exponent); an event time needs 20."""

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
"""NUL and the surrogate range: neither can be stored (jsonb, UTF-8)."""


class BodyError(Exception):
    """A request body refused: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BodyLimits:
    """What one server accepts in a request body."""

    max_bytes: int
    """Largest body read; the read stops past it with 413."""
    max_depth: int = MAX_DEPTH
    """Deepest nesting of arrays and objects."""
    max_number_chars: int = MAX_NUMBER_CHARS
    """Longest number literal."""


async def read_limited(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The body from its chunks, refused with 413 as soon as it is over `limit` bytes (at once
    when its declared `Content-Length` is)."""
    if declared is not None:
        if not declared.strip().isdigit():
            raise BodyError(400, f"Content-Length must be a number of bytes, got {declared:.40}")
        if int(declared) > limit:
            raise BodyError(413, f"the body is larger than {limit:,} bytes")
    raw = bytearray()
    async for chunk in chunks:
        raw += chunk
        if len(raw) > limit:
            raise BodyError(413, f"the body is larger than {limit:,} bytes")
    return bytes(raw)


def parse_json(raw: bytes, limits: BodyLimits) -> Any:
    """The JSON value of `raw` within `limits`; BodyError 400 naming what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None

    def number(kind: type) -> Any:
        def parse(literal: str) -> Any:
            if len(literal) > limits.max_number_chars:
                raise BodyError(
                    400,
                    f"a number in the body has {len(literal):,} characters, over the limit of "
                    f"{limits.max_number_chars}",
                )
            return kind(literal)

        return parse

    def constant(name: str) -> Any:
        raise BodyError(400, f"the body is not JSON ({name} is not a JSON number)")

    try:
        value = json.loads(
            text, parse_int=number(int), parse_float=number(float), parse_constant=constant
        )
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise BodyError(400, f"the body is not JSON ({reason})") from None
    except RecursionError:
        raise BodyError(
            400, f"the body is nested deeper than the limit of {limits.max_depth}"
        ) from None
    except ValueError as exc:  # an integer past Python's own digit limit
        raise BodyError(400, f"the body has a number that cannot be read ({exc})") from None
    _check_value(value, limits)
    return value


def _check_value(value: Any, limits: BodyLimits) -> None:
    """Refuse nesting past the limit and strings that cannot be stored, naming the field."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item, path or "the body")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= limits.max_depth:
            raise BodyError(400, f"the body is nested deeper than the limit of {limits.max_depth}")
        if isinstance(item, dict):
            for key, child in item.items():
                field = f"{path}.{key}" if path else key
                _check_string(key, f"a key in {path or 'the body'}")
                stack.append((child, field, depth + 1))
        else:
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))


def _check_string(text: str, field: str) -> None:
    found = _BAD_CHARS.search(text)
    if found is None:
        return
    what = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
    raise BodyError(
        400, f"{field!s:.80} has {what} at character {found.start()} (it cannot be stored)"
    )


async def read_json_object(request: Any, limits: BodyLimits) -> dict[str, Any]:
    """A request's body as a JSON object: `Content-Type: application/json`, streamed within
    the byte limit, parsed within the others. BodyError with the status and the reason."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise BodyError(415, "send JSON (Content-Type: application/json)")
    raw = await read_limited(
        request.stream(), request.headers.get("content-length"), limits.max_bytes
    )
    value = parse_json(raw, limits)
    if not isinstance(value, dict):
        raise BodyError(400, "the body must be a JSON object")
    return value
