#!/usr/bin/env bash
# One command for the benchmarks (`bench/run.sh all`: every figure of docs/benchmarks.md in one run, bench.py then
# replicas.py then delivery.py on the same build; `bench/run.sh waiting`: B3b alone, see bench/waiting.py;
# `bench/run.sh replicas`: B1 and B2 on PostgreSQL with 1 and 3 replicas behind nginx,
# next to the SQLite process, see bench/replicas.py; `bench/run.sh delivery`: B4 for each output delivery mode against
# bare nginx and the S3 store's own GET, see bench/delivery.py): installs what they need (wrk, nginx, hyperfine from Debian; LiteLLM's proxy from
# PyPI into bench/.venv), builds ImageGate in release mode, then runs bench/bench.py, which starts the fal emulator,
# ImageGate and LiteLLM against it, measures B1–B5, checks the books, prints the table and writes
# docs/benchmarks.md (raw output in bench/out/, which git ignores).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps --for-tests
missing=()
for package in wrk nginx-light hyperfine; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/pip install --quiet --disable-pip-version-check 'litellm[proxy]' requests

# The Swift runtime is linked in: the binary runs without a Swift toolchain on the host, and starts faster
# (fewer shared objects to load and relocate; see docs/benchmarks.md, B5).
swift build -c release --product imagegate --static-swift-stdlib
ulimit -n 65536 2>/dev/null || true
if [ "${1:-}" = "all" ]; then
    shift
    .venv/bin/pip install --quiet --disable-pip-version-check -r e2e/requirements.txt 2>/dev/null || true
    export BENCH_STAMP="$(date +%Y%m%d-%H%M%S)" # one folder of raw output for the three
    status=0
    bench/.venv/bin/python bench/bench.py "$@" || status=1
    bench/.venv/bin/python bench/replicas.py "$@" || status=1
    bench/.venv/bin/python bench/delivery.py "$@" || status=1
    exit $status
fi
if [ "${1:-}" = "waiting" ]; then
    shift
    exec bench/.venv/bin/python bench/waiting.py "$@"
fi
if [ "${1:-}" = "replicas" ]; then
    shift
    exec bench/.venv/bin/python bench/replicas.py "$@"
fi
if [ "${1:-}" = "delivery" ]; then
    shift
    .venv/bin/pip install --quiet --disable-pip-version-check -r e2e/requirements.txt 2>/dev/null || true
    exec bench/.venv/bin/python bench/delivery.py "$@"
fi
exec bench/.venv/bin/python bench/bench.py "$@"
