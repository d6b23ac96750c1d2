"""Would a fine-tuned cross-encoder judge better? Grouped 5-fold CV of all-MiniLM-L6-v2 fine-tuned
on (recent events, proposal) pairs against the human majority (`valid`).

Needs PyTorch and the encoder's weights (not project dependencies):

    pip install -e '.[dev,encoder-export]'
    python -m benchmarks.cross_encoder_probe [--context 3] [--epochs 2] [--lr 3e-5]

About 20 minutes on two cores. Folds are `bench.retrain.grouped_folds(rows, 5)`, the folds of
`proactive bench judge --cv 5`: no trace is in both a model's training rows and the rows it
scores. Each fold fine-tunes the whole encoder plus a linear head on mean-pooled tokens (binary
cross-entropy with balanced class weights, AdamW, linear decay, batch 16, 128 tokens); the pair
is "the last `context` events joined by ' | '" and the task, or a fixed sentence for silence.
Prints F1 and accuracy at 0.5, the ROC AUC, and how well it orders the proposals made after one
and the same prefix (pairs of an accepted and a rejected task: 0.5 is chance), the question the
human majority mostly answers in these rows.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backends.local.data import RewardRow, default_data_dir, load_reward_rows
from backends.local.train import _binary_metrics
from bench.retrain import grouped_folds

SILENCE = "no proposal: stay silent"
"""The second text of a pair whose proposal is silence."""


def within_prefix_order(rows: Sequence[RewardRow], scores: np.ndarray) -> tuple[float, int]:
    """Share of (accepted, rejected) task pairs after the same prefix scored in that order."""
    by_prefix: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row.pred_task:
            by_prefix[tuple(e.text for e in row.obs)].append(i)
    right = pairs = 0.0
    for members in by_prefix.values():
        for a in members:
            for b in members:
                if rows[a].valid and not rows[b].valid:
                    pairs += 1
                    right += float(scores[a] > scores[b]) + 0.5 * float(scores[a] == scores[b])
    return (right / pairs if pairs else float("nan")), int(pairs)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def run(context: int, epochs: float, lr: float, data_dir: Path) -> dict[str, float]:
    """Fine-tune per fold and score the held-out rows."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from backends.local.export_encoder import _model_dir

    torch.set_num_threads(2)
    rows = load_reward_rows(data_dir)
    folds = grouped_folds(rows, 5)
    source = _model_dir()
    tokenizer = AutoTokenizer.from_pretrained(source)

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(source)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, batch: dict) -> torch.Tensor:  # type: ignore[type-arg]
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    def encode(batch: Sequence[RewardRow]) -> dict:  # type: ignore[type-arg]
        first = [" | ".join(e.text for e in r.obs[-context:]) for r in batch]
        second = [r.pred_task or SILENCE for r in batch]
        return tokenizer(
            first,
            second,
            truncation="only_first",
            max_length=128,
            padding=True,
            return_tensors="pt",
        )

    scores = np.zeros(len(rows))
    start = time.perf_counter()
    for k, held in enumerate(folds):
        torch.manual_seed(k)
        held_set = set(held)
        train = [r for i, r in enumerate(rows) if i not in held_set]
        model = CrossEncoder()
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        positives = sum(r.valid for r in train)
        w_pos, w_neg = len(train) / (2 * positives), len(train) / (2 * (len(train) - positives))
        steps = int(epochs * len(train) / 16)
        rng = random.Random(k)
        order: list[int] = []
        model.train()
        for step in range(steps):
            if len(order) < 16:
                order += rng.sample(range(len(train)), len(train))
            batch = [train[order.pop()] for _ in range(16)]
            labels = torch.tensor([float(r.valid) for r in batch])
            weights = torch.where(labels > 0, w_pos, w_neg)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(encode(batch)), labels, reduction="none"
            )
            optimiser.zero_grad()
            (loss * weights).mean().backward()
            optimiser.step()
            for group in optimiser.param_groups:
                group["lr"] = lr * (1 - step / steps)
        model.eval()
        with torch.no_grad():
            for s in range(0, len(held), 64):
                ids = held[s : s + 64]
                scores[ids] = torch.sigmoid(model(encode([rows[i] for i in ids]))).numpy()
        print(f"fold {k + 1}/5 done ({time.perf_counter() - start:.0f}s)", flush=True)
    labels = np.asarray([int(r.valid) for r in rows])
    metrics = _binary_metrics(labels, scores)
    order_share, pairs = within_prefix_order(rows, scores)
    return {
        "f1": metrics["f1"],
        "accuracy": metrics["accuracy"],
        "auc": round(_auc(labels, scores), 3),
        "within_prefix_order": round(order_share, 3),
        "pairs": pairs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", type=int, default=3, help="events before the proposal")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench directory")
    args = parser.parse_args(argv)
    result = run(args.context, args.epochs, args.lr, args.data or default_data_dir())
    print(
        f"cross-encoder: F1 {result['f1']:.3f}  accuracy {result['accuracy']:.3f}  "
        f"AUC {result['auc']:.3f}  within-prefix order {result['within_prefix_order']:.3f} "
        f"({result['pairs']} pairs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
