"""The LLM gate on the ProactiveBench traces: how many agent calls the embedded need detector
saves, and what it does to F1.

With `--model provider:model` (and OPENAI_BASE_URL / OPENAI_API_KEY for an OpenAI-compatible
server) it measures a real endpoint. Without one it starts the local OpenAI-compatible test
server with an agent that proposes a task about the latest event at every event (the published
agents propose at 93-99% of events), so the real client path runs and the numbers show the
gate's effect on such an agent. The judge is the embedded one, retrained without each trace.

    python -m benchmarks.llm_gate [--data DIR] [--model openai:gpt-4o-mini] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from backends.local.data import default_data_dir
from bench.agent_eval import evaluate_agent


def always_propose(body: dict[str, Any]) -> dict[str, Any]:
    """A test agent that offers help with whatever the latest event quotes."""
    last = body["messages"][-1]["content"]
    quoted = re.findall(r"'([^']{2,80})'", last)
    subject = quoted[-1] if quoted else "what you are doing now"
    return {
        "content": json.dumps(
            {
                "Purpose": "Working on the current task.",
                "Thoughts": "Offering help with the latest step.",
                "Proactive Task": f"Find documentation and examples about '{subject}'.",
                "Response": "Want me to look this up?",
            }
        )
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--model", default=None, help="a real chat model (provider:model)")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    data = args.data or default_data_dir()
    rows = data / "reward_data" / "train_data.jsonl"

    def measure(spec: str) -> dict[str, dict[str, Any]]:
        out = {}
        for gate in (False, True):
            result = evaluate_agent(
                data,
                agent=spec,
                judge="local",
                train_rows=rows,
                gate=gate,
                threshold=args.threshold,
                concurrency=2,
            )
            split = result["splits"]["real_average"]
            out["gated" if gate else "ungated"] = {
                "f1": round(split["f1"], 4),
                "false_alarm": round(split["false_alarm"], 4),
                "proposal_rate": round(split["proposal_rate"], 4),
                "events": split["n"],
                "llm_calls_saved": result.get("gate", {}).get("llm_calls_saved", 0.0),
            }
        return out

    if args.model:
        report = {
            "endpoint": os.environ.get("OPENAI_BASE_URL", "provider default"),
            **measure(args.model),
        }
    else:
        from tests.fakes import OpenAICompatibleServer  # noqa: PLC0415

        with OpenAICompatibleServer(always_propose) as server:
            os.environ["OPENAI_BASE_URL"] = server.base_url
            os.environ.setdefault("OPENAI_API_KEY", "local-test-server")
            report = {
                "endpoint": "local OpenAI-compatible test server (always-propose agent)",
                **measure("openai:always-propose"),
                "requests": len(server.requests),
            }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
