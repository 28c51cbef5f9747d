#!/bin/bash
# bench_gpu on a GPU machine that has python3 with torch, torchvision, numpy, pandas, pyarrow, pillow,
# tokenizers, safetensors and rich, but no package registry (the device tool's H100/H200 machines).
#
# 1. Here, once, in the project root: download the wheels the machine lacks into .whl/ (git-ignored):
#      bash benchmarks/bench_gpu_device.sh fetch
# 2. Through the device tool (about 6-8 minutes of GPU time, the CUDA tests included):
#      run(command="bash benchmarks/bench_gpu_device.sh", carry=[".whl"], timeout_s=560)
# 3. Back here, with the files it returned:
#      python -m benchmarks.bench_gpu --render FILES_AT/bench_gpu.json     # writes BENCHMARKS.md's section
set -u
WHEELS=(
    webdataset==0.2.111 braceexpand==0.1.7 simplejpeg==1.9.0 ftfy==6.3.1 wcwidth==0.9.4 tomli_w==1.2.0
    dask==2026.8.0 distributed==2026.8.0 tblib==3.2.2 tornado==6.6.1 zict==3.0.0 locket==1.0.0 partd==1.4.2
    lazy-importer==0.1.0 open_clip_torch==3.3.0
)
if [ "${1:-}" = fetch ]; then
    exclude="$(git rev-parse --git-path info/exclude)"
    grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
    exec python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d .whl "${WHEELS[@]}"
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
OUT="${OUT:-/tmp/bench_gpu_out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv >"$OUT/nvidia-smi.txt" 2>&1
# The CUDA paths' tests first (about a minute): bf16, fused AdamW, uint8 normalise, inductor, no syncs.
python3 -m pytest -q -p no:cacheprovider tests/wit_pipeline/train/test_cuda.py 2>&1 | tee "$OUT/test_cuda.txt"
python3 -m benchmarks.bench_gpu --json "$OUT/bench_gpu.json" --md "$OUT/BENCHMARKS.md" 2>&1 | tee "$OUT/log.txt"
