"""Long tool outputs in parts: the runner keeps 2,000 characters of each call, so a tool whose
answer can be longer (a digest of long notes, a year's itinerary) returns it a part at a time,
whole lines only, each part saying which it is and how to ask for the next."""

from __future__ import annotations

import re

PART_CHARS = 1800
"""Most characters of one part (the runner keeps 2,000; the part line needs the rest)."""
_PART_LINE = re.compile(r"^\(part (\d+) of (\d+); ask for part=\d+ for the rest\)$")


def paged(text: str, part: int = 1, limit: int = PART_CHARS) -> str:
    """Part `part` (1-based) of `text`, cut at line ends; the text whole when it fits."""
    if len(text) <= limit:
        return text
    parts: list[list[str]] = [[]]
    size = 0
    for line in text.splitlines():
        line = line if len(line) <= limit else line[: limit - 3] + "..."
        if parts[-1] and size + len(line) + 1 > limit:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line) + 1
    index = min(max(part, 1), len(parts))
    body = "\n".join(parts[index - 1])
    if index < len(parts):
        body += f"\n(part {index} of {len(parts)}; ask for part={index + 1} for the rest)"
    return body


def next_part(output: str) -> int | None:
    """The part to ask for after this output, or None when it was the last."""
    last = output.rsplit("\n", 1)[-1]
    match = _PART_LINE.match(last)
    return int(match.group(1)) + 1 if match else None


def without_part_line(output: str) -> str:
    """The output without its closing '(part i of n ...)' line."""
    head, _, last = output.rpartition("\n")
    return head if _PART_LINE.match(last) else output
