#!/usr/bin/env bash
# The GPU check: on a CUDA machine, in under 10 minutes and unattended, the engine's GPU paths that
# have never run on a GPU: its CUDA kernels against their references (varlen flash attention, Liger),
# the packing tests on CUDA, the training benchmark (bf16, varlen flash attention, Liger when
# installed; packed = padded loss), generation, and the export round trip (merged and GGUF loaded
# back; the GGUF in llama.cpp through node-llama-cpp where Node is there). One table at the end
# (also gpu-check.md and gpu-check.json in the output folder). Every step has its own time limit
# and the whole run a budget, so it always stops by itself.
#
# Usage: bash scripts/gpu-check.sh [--cpu] [--quick] [--out DIR]     (npm run gpu-check -- ...)
#        bash scripts/gpu-check.sh --prepare     (here, with the engine installed and a registry:
#                                                 what a GPU machine without network needs)
#   --cpu      a dry run of the whole flow on the CPU (TAILOR_DEVICE=cpu); CUDA-only steps say skipped
#   --quick    small settings (a tiny model, a few steps): a minute or a few, not the real figures
#   --out DIR  where the table, JSON and logs go (default $OUT when set, else test-output/gpu-check)
#   --prepare  writes test-output/gpu-check/carry: wheels of the engine's Python packages the GPU
#              machine's image lacks (carry-wheels.txt), SmolLM2-135M's config and tokenizer, the
#              benchmark's data. Carry that folder to the GPU machine.
# Exit status: 0 every step ran (or was skipped for a stated reason), 1 a step failed, 2 no CUDA
# device (without --cpu), 64 bad arguments.
# Environment: TAILOR_PYTHON (the Python to use), GPU_CHECK_BUDGET (seconds, default 570),
# GPU_CHECK_CARRY (the carried folder, default test-output/gpu-check/carry), GPU_CHECK_TINY (with --quick:
# the folder of a tiny model `tailor models create-tiny` made, used instead of making one).
set -u
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
HERE=$REPO/scripts/gpu-check
CPU=0 QUICK=0 PREPARE=0 OUTDIR=${OUT:-$REPO/test-output/gpu-check}
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) CPU=1 ;;
    --quick) QUICK=1 ;;
    --prepare) PREPARE=1 ;;
    --out) OUTDIR=${2:?--out needs a folder}; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
CARRY=${GPU_CHECK_CARRY:-$REPO/test-output/gpu-check/carry}
BUDGET=${GPU_CHECK_BUDGET:-570}
START=$SECONDS
say() { echo "[gpu-check] $*" >&2; }

# --prepare: here, where the engine is installed and registries answer
if [ "$PREPARE" = 1 ]; then
  PY=${TAILOR_PYTHON:-$REPO/engine/.venv/bin/python}
  mkdir -p "$CARRY/wheels" || exit 1
  rm -rf "$CARRY/wheels"
  while read -r spec group; do
    case $spec in ''|'#'*) continue ;; esac
    mkdir -p "$CARRY/wheels/$group"
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      -d "$CARRY/wheels/$group" "$spec" || { say "could not download $spec"; exit 1; }
  done <"$HERE/carry-wheels.txt"
  GPU_CHECK_WORK=$CARRY "$PY" "$HERE/model.py" --prepare "$CARRY" || exit 1
  node --import tsx "$HERE/chat-data.ts" "$CARRY/chat.jsonl" 512 || exit 1
  du -sh "$CARRY" >&2
  say "carry $CARRY to the GPU machine (its size counts towards what travels)"
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX") || exit 1
mkdir -p "$WORK/results" "$WORK/logs" "$OUTDIR"
export GPU_CHECK_WORK=$WORK GPU_CHECK_CARRY=$CARRY GPU_CHECK_QUICK=$QUICK GPU_CHECK_CPU=$CPU PYTHONUNBUFFERED=1
export TAILOR_HOME=${TAILOR_HOME:-$WORK/home} HF_HUB_OFFLINE=1
if [ "$CPU" = 1 ]; then export TAILOR_DEVICE=cpu; fi
MODE=$([ "$CPU" = 1 ] && echo "CPU dry run" || echo "CUDA")$([ "$QUICK" = 1 ] && echo ", quick")
STEPS=()

json_escape() { printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g'; }
record() { # name status detail: a row for a step that wrote none itself
  printf '{"step": "%s", "status": "%s", "detail": "%s", "numbers": {}}\n' "$1" "$2" "$(json_escape "$3")" \
    >"$WORK/results/$1.json"
}
has_result() { [ -f "$WORK/results/$1.json" ]; }
status_of() { sed -n 's/.*"status": "\([a-z]*\)".*/\1/p' "$WORK/results/$1.json" 2>/dev/null; }

# run_step NAME LIMIT_SECONDS COMMAND...: the command under `timeout`, within what is left of the
# budget; its log in logs/; a row saying why when the command wrote none (limit, crash).
run_step() {
  local name=$1 limit=$2; shift 2
  STEPS+=("$name")
  local left=$((BUDGET - (SECONDS - START) - 15))
  if [ "$left" -lt 20 ]; then
    record "$name" failed "not run: the ${BUDGET} s budget was spent by the steps before it"; return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  say "$name (limit ${limit} s)"
  local t0=$SECONDS rc
  GPU_CHECK_STEP_LIMIT=$limit timeout --kill-after=10 "$limit" "$@" >"$WORK/logs/$name.log" 2>&1
  rc=$?
  printf '%s\t%s\n' "$name" "$((SECONDS - t0))" >>"$WORK/timing.tsv"
  if ! has_result "$name"; then
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      record "$name" failed "stopped at its ${limit} s limit; log: logs/$name.log"
    else
      record "$name" failed "exit $rc without a result: $(grep -v '^\s*$' "$WORK/logs/$name.log" | tail -n 1 | cut -c1-300)"
    fi
  fi
  [ "$(status_of "$name")" != failed ]
}
skip() { STEPS+=("$1"); record "$1" skipped "$2"; }

finish() {
  local py=${PY:-python3} rc=0
  command -v "$py" >/dev/null 2>&1 || py=python3
  "$py" "$HERE/table.py" "$WORK" "$OUTDIR" "$MODE" "${STEPS[@]}" || {
    echo "gpu-check: could not print the table; rows are in $WORK/results" >&2; rc=1; }
  tar -czf "$OUTDIR/gpu-check-logs.tar.gz" -C "$WORK" logs results 2>/dev/null
  echo "gpu-check: $((SECONDS - START)) s; table and JSON in $OUTDIR (gpu-check.md, gpu-check.json, gpu-check-logs.tar.gz)"
  grep -q '"status": "failed"' "$WORK"/results/*.json 2>/dev/null && rc=1
  [ "${NO_CUDA:-0}" = 1 ] && rc=2
  rm -rf "$WORK"
  exit "$rc"
}

# no NVIDIA device at all: said at once (torch's own answer comes in the environment step otherwise)
if [ "$CPU" = 0 ] && ! ls /dev/nvidia* >/dev/null 2>&1 && ! command -v nvidia-smi >/dev/null 2>&1; then
  STEPS+=(environment)
  record environment failed "no CUDA device: no /dev/nvidia* and no nvidia-smi on this machine"
  echo "gpu-check: no CUDA device here (no /dev/nvidia*, no nvidia-smi); run with --cpu for a dry run of the" \
    "whole flow on the CPU" >&2
  NO_CUDA=1
  finish
fi

# setup: the Python (the engine's virtualenv, or a Python whose torch sees CUDA, e.g. the GPU
# machine's image), the carried wheels, Node's packages when Node is there
STEPS+=(setup)
torch_sees_cuda() { "$1" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; }
has_torch() { "$1" -c 'import torch' 2>/dev/null; }
VENV=$REPO/engine/.venv/bin/python
PY=
notes=()
if [ -n "${TAILOR_PYTHON:-}" ]; then PY=$TAILOR_PYTHON
elif [ -x "$VENV" ] && { [ "$CPU" = 1 ] || torch_sees_cuda "$VENV"; }; then PY=$VENV
elif command -v python3 >/dev/null && [ "$CPU" = 0 ] && torch_sees_cuda python3; then PY=$(command -v python3)
elif [ -x "$VENV" ] && has_torch "$VENV"; then PY=$VENV
elif command -v python3 >/dev/null && has_torch python3; then PY=$(command -v python3)
elif command -v node >/dev/null; then
  say "no Python with torch: building the engine's virtualenv (node scripts/setup-engine.mjs)"
  timeout 300 node scripts/setup-engine.mjs >"$WORK/logs/setup-engine.log" 2>&1 && PY=$VENV
fi
if [ -z "$PY" ]; then
  record setup failed "no Python with torch here, and the engine's virtualenv could not be built (see logs/setup-engine.log)"
  finish
fi
notes+=("Python $PY")
SITE=$WORK/site
install_wheels() { # group: the carried wheels of that group into $SITE (ahead of the Python's own)
  local dir=$CARRY/wheels/$1
  ls "$dir"/*.whl >/dev/null 2>&1 || return 1
  timeout 120 "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$dir"/*.whl \
    >>"$WORK/logs/setup.log" 2>&1
}
engine_imports() { PYTHONPATH=$REPO/engine:$SITE "$PY" -c 'import jsonschema, gguf, tailor_engine.train, tailor_engine.export' \
  >>"$WORK/logs/setup.log" 2>&1; }
# the engine's own virtualenv was checked by npm install (scripts/setup-engine.mjs); another Python is
# checked here, and given the carried wheels when the engine does not import with it
if [ "$PY" != "$VENV" ] && ! engine_imports; then
  if install_wheels missing && install_wheels pinned && engine_imports; then
    notes+=("the engine's packages installed from the carried wheels (engine pins)")
  else
    rm -rf "$SITE"
    if install_wheels missing && engine_imports; then
      notes+=("installed from the carried wheels: the packages this Python lacked (its own transformers and peft kept)")
    else
      notes+=("the engine does not import with this Python (no carried wheels in $CARRY/wheels? see logs/setup.log)")
    fi
  fi
fi
export PYTHONPATH=$REPO/engine:$SITE${PYTHONPATH:+:$PYTHONPATH}
if [ "$CPU" = 1 ]; then
  notes+=("Liger not installed: it is CUDA-only")
elif "$PY" -c 'import liger_kernel' 2>/dev/null; then
  notes+=("liger-kernel already installed")
elif ls "$CARRY"/wheels/missing/liger_kernel-*.whl >/dev/null 2>&1 &&
  timeout 60 "$PY" -m pip install -q --no-index --no-deps --target "$SITE" "$CARRY"/wheels/missing/liger_kernel-*.whl \
    >>"$WORK/logs/setup.log" 2>&1; then
  notes+=("liger-kernel installed from the carried wheel")
elif timeout 60 "$PY" -m pip install -q --no-deps --timeout 10 --retries 0 --target "$SITE" \
  "$(grep -o '^liger-kernel==[^ ]*' "$HERE/carry-wheels.txt")" >>"$WORK/logs/setup.log" 2>&1; then
  notes+=("liger-kernel installed from PyPI")
else
  notes+=("liger-kernel could not be installed (no registry, no carried wheel): training runs without Liger")
fi
NODE=0
if ! command -v node >/dev/null; then
  notes+=("no Node here: the llama.cpp half of the round trip is skipped")
elif [ -d node_modules/node-llama-cpp ] && [ -d node_modules/tsx ]; then
  NODE=1
else
  say "node_modules missing: npm install (no lifecycle scripts; the Python side is set up above)"
  if timeout 240 npm install --no-audit --no-fund --ignore-scripts >"$WORK/logs/npm-install.log" 2>&1; then
    NODE=1; notes+=("npm install ran")
  else
    notes+=("npm install failed (no registry?): the llama.cpp half of the round trip is skipped")
  fi
fi
record setup ok "$(IFS=';'; echo "${notes[*]}" | sed 's/;/; /g')"
printf 'setup\t%s\n' "$((SECONDS - START))" >>"$WORK/timing.tsv"

# the steps
if ! run_step environment 90 "$PY" "$HERE/env.py"; then
  if [ "$CPU" = 0 ] && "$PY" -c 'import torch,sys; sys.exit(1 if torch.cuda.is_available() else 0)' 2>/dev/null; then
    echo "gpu-check: no CUDA device ($("$PY" -c 'import torch; print("torch", torch.__version__, "sees none")'));" \
      "run with --cpu for a dry run of the whole flow on the CPU" >&2
    NO_CUDA=1
  fi
  finish
fi
if ! run_step "base model" 180 "$PY" "$HERE/model.py"; then finish; fi
run_step kernels 120 "$PY" "$HERE/flash.py"

# the packing tests (engine/tests/test_packing.py: those marked with a device run on CUDA too);
# the tiny model they train is made from the carried tokenizer where the built-in is not installed
tests_args=(-q -p no:cacheprovider engine/tests/test_packing.py -k "not compiled")
[ "$QUICK" = 1 ] && tests_args=(-q -p no:cacheprovider engine/tests/test_packing.py -k "evaluation_equals_padded")
run_step "engine tests" 300 env -u TAILOR_DEVICE TAILOR_TEST_TINY_MODEL="$( [ -f "$WORK/tiny/config.json" ] && echo "$WORK/tiny")" \
  bash -c '"$0" -m pytest "$@" | tee /dev/stderr | "$0" "'"$HERE"'/pytest-row.py"' "$PY" "${tests_args[@]}"

DATA=$WORK/train.jsonl
if [ "$NODE" = 1 ] && node --import tsx "$HERE/chat-data.ts" "$DATA" "$([ "$QUICK" = 1 ] && echo 16 || echo 512)" \
  >"$WORK/logs/chat-data.log" 2>&1; then :
elif [ -f "$CARRY/chat.jsonl" ]; then cp "$CARRY/chat.jsonl" "$DATA"
fi
if [ -f "$DATA" ]; then
  run_step "training benchmark" 300 "$PY" "$HERE/bench.py" "$DATA"
else
  STEPS+=("training benchmark")
  record "training benchmark" failed "no data: Node could not write it and $CARRY/chat.jsonl is not there (--prepare)"
fi
STEPS+=("packed = padded loss")
has_result "packed = padded loss" || record "packed = padded loss" failed "the training benchmark did not finish"
run_step generation 150 "$PY" "$HERE/generate.py"
if run_step "export round trip" 300 "$PY" "$HERE/roundtrip.py" || [ -f "$WORK/roundtrip.json" ]; then
  if [ "$NODE" = 1 ]; then
    run_step llama.cpp 150 node --import tsx "$HERE/llama.ts"
  else
    skip llama.cpp "Node or its packages are not here: the GGUF was loaded back by transformers only"
  fi
else
  skip llama.cpp "the export round trip wrote no GGUF"
fi
finish
