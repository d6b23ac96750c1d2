"""How much the int8 sentence encoder, and what is trained on it, depends on the processor.

    .venv/bin/python -m benchmarks.encoder_kernels [--data DIR] [--paths native,avx512,avx2,unfused]

onnxruntime's integer matrix products (MLAS) take the kernel the processor's CPUID allows: with
VNNI (AVX-512 or AVX) or AMX the u8 x s8 products are summed exactly in 32 bits; AVX2 and AVX-512
without VNNI use vpmaddubsw, which saturates each pair of products at 16 bits. Lacking machines of
each kind, this runs a path's process with CPUID trapped (Linux `arch_prctl(ARCH_SET_CPUID, 0)`,
the processor's CPUID faulting) and answered with that path's feature bits cleared, so every
library in it (onnxruntime, OpenBLAS, numpy) sees the older processor. `unfused` is this
processor with onnxruntime's graph optimisations off (`Encoder(optimize=False)`).

For each path a subprocess embeds every distinct text the judge's head reads in the training rows
and, except `unfused`, retrains the artifacts (no cross-validation). The report compares its
vectors with this processor's (max and mean absolute difference, cosine), the shipped judge's
decisions on them, and each retrained set with the shipped artifacts and with the native retrain
(`backends.local.reproduce.compare_artifacts`). About 40 s a path on two cores. docs/models.md
("Across processors") quotes the output.

Any command can run on a path, e.g. the tests as a processor without VNNI runs them:

    .venv/bin/python -m benchmarks.encoder_kernels --run avx2 -- \
        .venv/bin/python -m pytest -p no:faulthandler tests/test_train.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

_AVX512_EBX = (1 << 16) | (1 << 17) | (1 << 21) | (1 << 28) | (1 << 30) | (1 << 31)
"""CPUID leaf 7 EBX: AVX-512 F, DQ, IFMA, CD, BW, VL."""
_AVX512_ECX = (1 << 1) | (1 << 6) | (1 << 11) | (1 << 12) | (1 << 14)
"""CPUID leaf 7 ECX: AVX-512 VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ."""
_VNNI_ECX = 1 << 11
"""CPUID leaf 7 ECX: AVX512_VNNI."""
_AMX_FP16_EDX = (1 << 22) | (1 << 23) | (1 << 24) | (1 << 25)
"""CPUID leaf 7 EDX: AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8."""
_AVX_VNNI_BF16_EAX = (1 << 4) | (1 << 5)
"""CPUID leaf 7 subleaf 1 EAX: AVX-VNNI, AVX512_BF16."""


@dataclass(frozen=True)
class KernelPath:
    """One way of computing the encoder's vectors on this machine."""

    name: str
    """Short name used on the command line."""
    description: str
    """What a processor on this path is."""
    cpuid_clear: tuple[int, int, int, int] | None = None
    """Bits cleared from CPUID leaf 7 (EBX, ECX, EDX) and leaf 7.1 (EAX); None: not masked."""
    optimize: bool = True
    """onnxruntime's graph optimisations (fusions) on."""


PATHS: dict[str, KernelPath] = {
    p.name: p
    for p in (
        KernelPath("native", "this processor as it is"),
        KernelPath(
            "vnni",
            "AVX-512 VNNI without AMX (exact int8 products, like AMX)",
            (0, 0, _AMX_FP16_EDX, 0),
        ),
        KernelPath(
            "avx512",
            "AVX-512 without VNNI (e.g. Skylake-SP: saturating int8 products)",
            (0, _VNNI_ECX, _AMX_FP16_EDX, _AVX_VNNI_BF16_EAX),
        ),
        KernelPath(
            "avx2",
            "AVX2 only (e.g. Haswell..Zen 3: saturating int8 products)",
            (_AVX512_EBX, _AVX512_ECX, _AMX_FP16_EDX, _AVX_VNNI_BF16_EAX),
        ),
        KernelPath("unfused", "this processor, onnxruntime graph optimisations off", None, False),
    )
}
"""The kernel paths this machine can run."""

_MASK_SOURCE = r"""
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static unsigned clear7b, clear7c, clear7d, clear71a;

static long cpuid_allowed(int on) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, on); }

/* CPUID faults while disallowed: run the real one, clear the path's bits, step over it. */
static void on_fault(int sig, siginfo_t *info, void *context) {
    greg_t *regs = ((ucontext_t *)context)->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)regs[REG_RIP];
    if (ip[0] != 0x0f || ip[1] != 0xa2) { signal(SIGSEGV, SIG_DFL); return; }
    unsigned leaf = (unsigned)regs[REG_RAX], sub = (unsigned)regs[REG_RCX], a, b, c, d;
    cpuid_allowed(1);
    __cpuid_count(leaf, sub, a, b, c, d);
    cpuid_allowed(0);
    if (leaf == 7 && sub == 0) { b &= ~clear7b; c &= ~clear7c; d &= ~clear7d; }
    if (leaf == 7 && sub == 1) { a &= ~clear71a; }
    regs[REG_RAX] = a; regs[REG_RBX] = b; regs[REG_RCX] = c; regs[REG_RDX] = d;
    regs[REG_RIP] += 2;
}

__attribute__((constructor)) static void arm(void) {
    const char *spec = getenv("ENCODER_KERNELS_CPUID_CLEAR");
    if (!spec || sscanf(spec, "%x,%x,%x,%x", &clear7b, &clear7c, &clear7d, &clear71a) != 4)
        return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    if (sigaction(SIGSEGV, &action, NULL) || cpuid_allowed(0)) {
        fprintf(stderr, "error: CPUID faulting is not available here\n");
        _exit(97);
    }
}
"""
"""A preloaded library that answers CPUID with some feature bits cleared (x86-64 Linux)."""

MASK_VARIABLE = "ENCODER_KERNELS_CPUID_CLEAR"
"""The variable that tells the preloaded mask which bits to clear (hex EBX,ECX,EDX,EAX)."""

MASK_UNAVAILABLE = 97
"""Exit status of a masked process where CPUID faulting is not available."""


def mask_library() -> Path | None:
    """The compiled CPUID mask (cached in the temporary directory); None without a C compiler."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return None
    digest = hashlib.sha256(_MASK_SOURCE.encode()).hexdigest()[:12]
    lib = Path(tempfile.gettempdir()) / f"encoder-kernels-cpuid-{digest}-{os.getuid()}.so"
    if not lib.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            source, built = Path(tmp) / "mask.c", Path(tmp) / "mask.so"
            source.write_text(_MASK_SOURCE, encoding="utf-8")
            done = subprocess.run(
                [compiler, "-O2", "-shared", "-fPIC", "-o", str(built), str(source)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                return None
            built.replace(lib)
    return lib


def cpu_flags() -> set[str]:
    """This processor's feature flags as Linux names them (empty where /proc/cpuinfo is absent)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def exact_int8() -> bool:
    """Whether onnxruntime's int8 products are exact in this process: the processor has VNNI or
    AMX-INT8 and no CPUID mask (`path_env`) hides them."""
    flags = cpu_flags()
    spec = os.environ.get(MASK_VARIABLE, "")
    if spec and "encoder-kernels-cpuid" in os.environ.get("LD_PRELOAD", ""):
        _, ecx, edx, eax = (int(part, 16) for part in spec.split(","))
        hidden = {
            "avx512_vnni": bool(ecx & _VNNI_ECX),
            "avx_vnni": bool(eax & (1 << 4)),
            "amx_int8": bool(edx & (1 << 25)),
        }
        flags -= {name for name, gone in hidden.items() if gone}
    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})


def path_env(path: KernelPath, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a process that runs on `path` (RuntimeError when it cannot be forced)."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = str(ROOT)
    if path.cpuid_clear is not None:
        lib = mask_library()
        if lib is None or sys.platform != "linux":
            raise RuntimeError(f"the {path.name} kernel path needs x86-64 Linux and a C compiler")
        env["LD_PRELOAD"] = str(lib)
        env[MASK_VARIABLE] = ",".join(f"{m:x}" for m in path.cpuid_clear)
    return env


def run_on_path(
    path: KernelPath, args: list[str], timeout: float = 900
) -> subprocess.CompletedProcess:
    """`python -m benchmarks.encoder_kernels --worker ...` (or other args) on `path`."""
    return subprocess.run(
        [sys.executable, *args],
        env=path_env(path),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def head_texts(rows) -> list[str]:
    """Every distinct text that the judge's encoder head embeds for `rows`, in first-seen order."""
    from backends.local.features import user_events

    seen: dict[str, None] = {}
    for row in rows:
        for event in user_events(row.obs):
            seen.setdefault(event.text, None)
        if row.pred_task and row.pred_task.strip():
            seen.setdefault(row.pred_task, None)
    return list(seen)


class _Table:
    """An encoder stand-in that answers from vectors computed elsewhere (another kernel path)."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.dims = int(vectors.shape[1])
        self._rows = {t: vectors[i] for i, t in enumerate(texts)}

    def embed(self, text: str) -> np.ndarray:
        return self._rows[text]


def _worker(path: KernelPath, data: Path, out: Path, retrain: bool) -> None:
    """Inside a path's process: embed the head's texts, then retrain into `out`."""
    from backends.local.data import load_reward_rows
    from backends.local.encoder import Encoder, default_encoder

    rows = load_reward_rows(data)
    texts = head_texts(rows)
    # The trainer reads the shared encoder: embedding through it fills the cache it reuses.
    encoder = default_encoder() if path.optimize else Encoder(optimize=False)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", np.stack([encoder.embed(t) for t in texts]))
    (out / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    if retrain:
        from backends.local.train import train

        train(data, out / "artifacts", seed=0, cv=False)


def _vector_stats(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    cos = (a.astype(np.float64) * b.astype(np.float64)).sum(axis=1)
    return {
        "max_abs": float(diff.max()),
        "mean_abs": float(diff.mean()),
        "min_cosine": float(cos.min()),
        "mean_cosine": float(cos.mean()),
        "identical_share": float((diff.max(axis=1) == 0).mean()),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen paths and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench directory")
    parser.add_argument("--paths", default="native,vnni,avx512,avx2,unfused")
    parser.add_argument("--out", type=Path, default=None, help="keep each path's output here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-train", action="store_true", help="vectors only")
    parser.add_argument(
        "--run",
        metavar="PATH",
        default=None,
        help="run the command after -- on that path instead (pytest needs -p no:faulthandler)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if args.run not in PATHS or not command:
            print("error: --run needs a path name and a command after --", file=sys.stderr)
            return 2
        os.execvpe(command[0], command, path_env(PATHS[args.run]))

    from backends.local.data import default_data_dir, load_reward_rows

    data = args.data or default_data_dir()
    if args.worker:
        _worker(PATHS[args.worker], data, args.out, not args.no_train)
        return 0
    names = [n for n in args.paths.split(",") if n]
    unknown = [n for n in names if n not in PATHS]
    if unknown or "native" not in names:
        print(f"error: --paths needs 'native' and names from {', '.join(PATHS)}", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="encoder-kernels-"))
    print(f"processor: int8 products {'exact' if exact_int8() else 'saturating'} natively")
    for name in names:
        path = PATHS[name]
        retrain = path.optimize and not args.no_train
        cmd = ["-m", "benchmarks.encoder_kernels", "--worker", name, "--data", str(data)]
        cmd += ["--out", str(out / name)] + ([] if retrain else ["--no-train"])
        done = run_on_path(path, cmd)
        if done.returncode != 0:
            print(f"error: the {name} path failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1
    _report(names, out, data, load_reward_rows(data))
    return 0


def _report(names: list[str], out: Path, data: Path, rows) -> None:
    from backends.local.encoder import Encoder
    from backends.local.judge import Judge
    from backends.local.reproduce import compare_artifacts, judge_probabilities
    from backends.local.train import DEFAULT_ARTIFACT_DIR

    texts = json.loads((out / "native" / "texts.json").read_text(encoding="utf-8"))
    native = np.load(out / "native" / "vectors.npy")
    shipped = Judge.load(DEFAULT_ARTIFACT_DIR / "judge.json")
    (p_native,) = judge_probabilities([shipped], rows, cast(Encoder, _Table(texts, native)))
    print(f"{len(texts)} distinct texts, {len(rows)} training rows\n")
    print("vectors vs native, and the shipped judge's decisions on them:")
    print(
        "| path | max abs diff | mean abs diff | min cosine | mean cosine | identical vectors "
        "| judge: max prob diff | decisions flipped |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        vectors = np.load(out / name / "vectors.npy")
        stats = _vector_stats(vectors, native)
        (p,) = judge_probabilities([shipped], rows, cast(Encoder, _Table(texts, vectors)))
        flips = int(((p >= shipped.threshold) != (p_native >= shipped.threshold)).sum())
        print(
            f"| {name} | {stats['max_abs']:.2e} | {stats['mean_abs']:.2e} | "
            f"{stats['min_cosine']:.6f} | {stats['mean_cosine']:.6f} | "
            f"{stats['identical_share']:.1%} | {np.abs(p - p_native).max():.4f} | "
            f"{flips}/{len(rows)} |"
        )
    trained = [n for n in names if (out / n / "artifacts" / "judge.json").is_file()]
    for reference, label in (
        (DEFAULT_ARTIFACT_DIR, "shipped"),
        (out / "native" / "artifacts", "native"),
    ):
        if label == "native" and "native" not in trained:
            continue
        print(f"\nretrained on each path vs the {label} artifacts (decisions with native vectors):")
        for name in trained:
            comparison = compare_artifacts(reference, out / name / "artifacts", rows)
            verdict = "within tolerance" if comparison.ok else "MISMATCH"
            print(f"- {name}: {verdict}; {comparison.summary()}")
    print(f"\noutput kept in {out}")


if __name__ == "__main__":
    raise SystemExit(main())
