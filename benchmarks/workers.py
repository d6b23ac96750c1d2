"""Workers on one PostgreSQL and one Chroma server: events per second with 1, 2 and 3 worker
processes, and what each event costs the two servers.

    python -m benchmarks.workers [--users 8] [--events 56] [--workers 1 2 3] [--json FILE]

For each worker count: a fresh database and a fresh Chroma server (started here, on loopback,
as the tests start them), `--users` streams of `--events` events ingested into the inbox, then
that many `python -m cli.main worker --until-idle` processes until the inbox is drained. It
polls the database for committed events and prints the overall rate (start to last commit,
with the workers' start-up) and the steady rate (first to last commit), the ratio to one
worker, and the CPU seconds per event of PostgreSQL (the postmaster and its backends, reaped
ones included), of the Chroma server and of the workers. The machine's core count bounds what
more workers can add: on 2 cores, 3 workers and both servers share them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User+system CPU seconds of a process (with `children`: its reaped children's too) and,
    for the postmaster, of its live children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                ticks += int(stat[11]) + int(stat[12])
    return ticks / TICKS


def postmaster_pid(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]
    return int(Path(data, "postmaster.pid").read_text().split()[0])


def chroma_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"run" in cmd and port.encode() in cmd and any(b"chroma" in c for c in cmd):
                return int(entry.name)
    raise RuntimeError(f"no Chroma server process on port {port}")


COMMITTED = (
    "SELECT coalesce(sum(taken), 0) FROM (SELECT thread_id, "
    "max((metadata->>'proactive_inputs')::int) AS taken FROM checkpoints GROUP BY thread_id) t"
)


def committed(conn: Any) -> int:
    """Events committed by the workers (one polling session: a new one per look would cost
    PostgreSQL a backend each time)."""
    if not conn.execute("SELECT to_regclass('checkpoints') IS NOT NULL").fetchone()[0]:
        return 0
    return int(conn.execute(COMMITTED).fetchone()[0])


def one(base: str, workers: int, users: int, events: int) -> dict[str, Any]:
    """Drain `users` x `events` events with `workers` processes; returns the measurements."""
    import psycopg

    from service.worker import ingest
    from tests.servers import chroma_server
    from tests.test_workers import stream

    name = f"bench_{workers}w_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = base.rsplit("/", 1)[0] + "/" + name
    total = users * events
    for u in range(users):
        ingest(db, f"user{u}", f"t-user{u}", stream(f"user{u}", events))
    with chroma_server() as memory, tempfile.TemporaryDirectory() as data:
        pg, chroma = postmaster_pid(base), chroma_pid(memory)
        pg0, chroma0 = cpu_seconds(pg, children=True), cpu_seconds(chroma)
        own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "worker",
                    "--db",
                    db,
                    "--memory",
                    memory,
                    "--data-dir",
                    str(Path(data) / f"w{i}"),
                    "--until-idle",
                    "--poll",
                    "0.1",
                    "--name",
                    f"w{i}",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for i in range(workers)
        ]
        first = last = None
        seen = 0
        poll = psycopg.connect(db, autocommit=True)
        while any(p.poll() is None for p in procs):
            now = committed(poll)
            if now and first is None:
                first = time.monotonic()
            if now != seen:
                seen, last = now, time.monotonic()
                if sys.stderr.isatty() or seen % 50 == 0:
                    print(f"\r  {workers} worker(s): {seen}/{total}", end="", file=sys.stderr)
            time.sleep(0.1)
        now = committed(poll)
        poll.close()
        if now != seen:
            seen, last = now, time.monotonic()
        print(file=sys.stderr)
        errors = [p.stderr.read() for p in procs if p.returncode != 0]
        if errors or seen != total:
            raise RuntimeError(f"{seen}/{total} events, worker errors: {errors}")
        own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        pg1, chroma1 = cpu_seconds(pg, children=True), cpu_seconds(chroma)
    assert first is not None and last is not None
    worker_cpu = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
    return {
        "workers": workers,
        "events": total,
        "seconds": round(last - start, 2),
        "events_per_s": round(total / (last - start), 2),
        "steady_events_per_s": round((total - 1) / (last - first), 2),
        "postgres_cpu_ms_per_event": round(1000 * (pg1 - pg0) / total, 2),
        "chroma_cpu_ms_per_event": round(1000 * (chroma1 - chroma0) / total, 2),
        "worker_cpu_ms_per_event": round(1000 * worker_cpu / total, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--events", type=int, default=56, help="events per user")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    from tests.servers import postgres

    rows = []
    with postgres() as base:
        for k in args.workers:
            rows.append(one(base, k, args.users, args.events))
    single = next((r for r in rows if r["workers"] == 1), rows[0])
    print(f"{args.users} users x {args.events} events, {os.cpu_count()} cores")
    print("workers  events/s  steady/s  vs 1 (steady)  PG ms CPU/ev  Chroma ms/ev  worker ms/ev")
    for r in rows:
        ratio = r["steady_events_per_s"] / single["steady_events_per_s"]
        r["ratio_to_one"] = round(ratio, 2)
        print(
            f"{r['workers']:>7}  {r['events_per_s']:>8.1f}  {r['steady_events_per_s']:>8.1f}  "
            f"{ratio:>13.2f}  {r['postgres_cpu_ms_per_event']:>12.1f}  "
            f"{r['chroma_cpu_ms_per_event']:>12.1f}  {r['worker_cpu_ms_per_event']:>12.1f}"
        )
    print(json.dumps({"cores": os.cpu_count(), "rows": rows}))
    if args.json:
        args.json.write_text(json.dumps({"cores": os.cpu_count(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
