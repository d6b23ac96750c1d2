"""What one write costs a Chroma server, by records per request.

    python -m benchmarks.chroma_writes [--requests 200]

Starts a Chroma server (as the tests do), then upserts `--requests` requests of 1 record and of
4 records (1024-dimension vectors, as `HashingEmbedding` makes, with a short document and two
metadata fields each) and prints the server's CPU (user+system, from /proc) and the wall time
per request. Tells whether sending an event's memory writes together would pay.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    import chromadb

    from benchmarks.workers import chroma_pid, cpu_seconds
    from tests.servers import chroma_server

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    with chroma_server() as url:
        host, port = url.split("//")[1].split(":")
        client = chromadb.HttpClient(host=host, port=int(port))
        collection = client.get_or_create_collection(
            "writes", embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        pid = chroma_pid(url)

        def run(requests: int, per: int) -> tuple[float, float]:
            cpu, wall = cpu_seconds(pid), time.perf_counter()
            for i in range(requests):
                collection.upsert(
                    ids=[f"{per}-{i}-{j}" for j in range(per)],
                    embeddings=rng.normal(size=(per, 1024)).astype("float32"),
                    documents=[f"the user opens file_{i}_{j}.py and types" for j in range(per)],
                    metadatas=[{"thread": "t", "time": float(i)} for _ in range(per)],
                )
            return (
                1000 * (cpu_seconds(pid) - cpu) / requests,
                1000 * (time.perf_counter() - wall) / requests,
            )

        run(20, 1)  # warm up
        print("records/request  server CPU ms/request  ms/record  wall ms/request")
        for per in (1, 4):
            cpu, wall = run(args.requests, per)
            print(f"{per:>15}  {cpu:>21.1f}  {cpu / per:>9.1f}  {wall:>15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
