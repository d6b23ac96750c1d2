"""Reading JSON the project wrote, as if anyone could have written it.

Profiles, annotation files, reward rows and the memory journal are files the project writes, but
a person, another program or a full disk can leave anything in them. Python's decoder recurses
once per nesting level (a line of 100 000 brackets raises RecursionError, which readers that
catch ValueError let through) and holds a whole line in memory however long it is. So every
reader of such a file decodes here: a line is read with a size limit, its nesting is measured
before decoding, and any failure is a `JsonLineError` (a ValueError) whose message is one line
naming the file, the line and what is wrong; callers turn it into an error or a rebuild.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted; the project writes at most 4 levels."""

MAX_LINE_BYTES = 1 << 20
"""Longest line accepted (1 MiB); the longest ProactiveBench reward row is about 3.5 kB."""

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
"""A JSON string (skipped whole: brackets inside it do not nest) or a bracket."""


class JsonLineError(ValueError):
    """A JSON value or line that cannot be decoded within the limits; the message says why."""


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in `text` nest deeper than `limit` (strings do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # not enough brackets to be deeper: no scan needed
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def loads(text: str, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_LINE_BYTES) -> Any:
    """One JSON value, decoded within the limits; JsonLineError says what is wrong."""
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise JsonLineError(f"longer than {max_bytes} bytes")
    if too_deep(text, max_depth):
        raise JsonLineError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JsonLineError(f"not valid JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:  # unreachable after the depth check; kept as the last line of defence
        raise JsonLineError("nested too deeply") from None


def read_lines(path: Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a text file with their numbers (from 1), without the newline.

    A line is never held in memory beyond `max_line_bytes`; JsonLineError names the file and
    line of one that is longer or not UTF-8. OSError (missing, unreadable) passes through."""
    with Path(path).open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(max_line_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                raise JsonLineError(f"{path}:{number}: a line longer than {max_line_bytes} bytes")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise JsonLineError(
                    f"{path}:{number}: not valid UTF-8 ({err.reason} at byte {err.start})"
                ) from None
            if line.strip():
                yield number, line.rstrip("\r\n")


def read_json_lines(
    path: Path, *, max_depth: int = MAX_DEPTH, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, Any]]:
    """Each non-blank line of a JSON-lines file decoded, with its line number; JsonLineError
    names the file and line of the first one that is too long, too deep, or not JSON."""
    for number, line in read_lines(path, max_line_bytes=max_line_bytes):
        try:
            value = loads(line, max_depth=max_depth, max_bytes=max_line_bytes)
        except JsonLineError as err:
            raise JsonLineError(f"{path}:{number}: {err}") from None
        yield number, value
