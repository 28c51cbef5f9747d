"""Run every benchmark (`make bench`); each updates its section of BENCHMARKS.md."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import torch

    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    for name in names:
        if name == "bench_gpu" and not torch.cuda.is_available():
            print("== bench_gpu skipped: no CUDA device (its CPU smoke mode runs in make test)", flush=True)
            continue
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").main([])


if __name__ == "__main__":
    main()
