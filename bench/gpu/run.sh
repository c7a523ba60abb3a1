#!/usr/bin/env bash
# GPU check for --engine llamacpp on CUDA: bench/gpu/run.sh [MODEL.gguf] [--out results.md]
# Installs nothing and needs no network: uses node_modules as installed (npm ci brings node-llama-cpp's
# prebuilt CUDA binaries, @node-llama-cpp/linux-x64-cuda) and builds dist/ if it is missing.
# Exits non-zero with a message when there is no NVIDIA GPU; the whole run is bounded to 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "bench/gpu: $*" >&2; exit 2; }
command -v nvidia-smi >/dev/null 2>&1 || fail "no NVIDIA GPU: nvidia-smi is not on PATH (this check needs a machine with an NVIDIA GPU and its driver)"
gpus=$(timeout 20 nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
[ "${gpus:-0}" -ge 1 ] || fail "no NVIDIA GPU: nvidia-smi lists none"
[ -d node_modules/@node-llama-cpp/linux-x64-cuda ] || fail "node-llama-cpp's CUDA binary (@node-llama-cpp/linux-x64-cuda) is not installed: run npm ci on a linux-x64 machine with network first"
[ -f dist/server/start-server.js ] || timeout 90 npm run build >/dev/null || fail "npm run build failed (or took over 90 s)"
# what is left of 4 min 40 s goes to the measurements; the node side stops itself at its budget, timeout backs it up
budget=$((280 - SECONDS))
BENCH_GPU_BUDGET_S=$budget exec timeout -k 5 $((budget + 10)) node bench/gpu/run.mjs "$@"
