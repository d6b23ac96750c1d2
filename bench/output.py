"""Where bench results go: per-item JSONL records, metrics as JSON and CSV, progress and tables.

Everything a bench prints for people goes to stderr, so that a `--json` run's stdout holds the one
JSON object and nothing else.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


def _jsonable(value: Any) -> Any:
    """Plain JSON values: paths as strings, tuples as lists, NaN and infinities as null."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return _jsonable(value.item())
    return value


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """One JSON object per line; creates the parent folder. Returns `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(_jsonable(record), ensure_ascii=False, sort_keys=True) + "\n")
    return path


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as one level of dotted keys: {'a': {'b': [1]}} -> {'a.b.0': 1}."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list | tuple):
            out.update(flatten({str(i): v for i, v in enumerate(value)}, name + "."))
        else:
            out[name] = _jsonable(value)
    return out


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Path:
    """A CSV table with a header row; missing cells are empty."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _jsonable(row.get(c, "")) for c in columns})
    return path


def write_metrics(out_dir: Path, name: str, metrics: Mapping[str, Any]) -> tuple[Path, Path]:
    """`<name>.json` (the metrics as they are) and `<name>.csv` (flat: one `metric,value` row per
    dotted key). Returns both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{name}.json"
    json_path.write_text(
        json.dumps(_jsonable(metrics), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    flat = flatten(metrics)
    csv_path = write_csv(
        out_dir / f"{name}.csv",
        [{"metric": k, "value": v} for k, v in flat.items()],
        ("metric", "value"),
    )
    return json_path, csv_path


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    label: str = "",
    stream: TextIO | None = None,
) -> Iterator[T]:
    """Yield from `iterable`, reporting progress on stderr.

    On a terminal a bar redraws in place (at most ten times a second); elsewhere (logs, CI) only a
    start line and an end line are written.
    """
    out = stream if stream is not None else sys.stderr
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    live = bool(getattr(out, "isatty", lambda: False)())
    name = f"{label}: " if label else ""
    start = last = time.perf_counter()
    count = 0

    def bar() -> str:
        if total:
            filled = int(24 * count / total)
            return f"\r{name}[{'#' * filled}{'.' * (24 - filled)}] {count}/{total}"
        return f"\r{name}{count}"

    if live:
        out.write(bar())
    else:
        out.write(f"{name}{total if total is not None else '?'} items\n")
    out.flush()
    for item in iterable:
        yield item
        count += 1
        now = time.perf_counter()
        if live and (now - last >= 0.1 or count == total):
            out.write(bar())
            out.flush()
            last = now
    elapsed = time.perf_counter() - start
    if live:
        out.write(bar() + f" ({elapsed:.1f}s)\n")
    else:
        out.write(f"{name}done, {count} items in {elapsed:.1f}s\n")
    out.flush()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if value is None:
        return "-"
    return str(value)


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    stream: TextIO | None = None,
) -> None:
    """An aligned text table (floats to three decimals), by default on stderr."""
    out = stream if stream is not None else sys.stderr
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        # The first column holds names: left-aligned; the rest are numbers: right-aligned.
        parts = [
            v.ljust(w) if i == 0 else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out.write(line(list(columns)) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")
    out.flush()
