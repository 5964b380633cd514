#!/usr/bin/env bash
# VNN-COMP: run_instance.sh v1 <category> <onnx> <vnnlib> <results_file> <timeout_s>
# Writes sat (with the witness) / unsat / timeout / unknown / error to <results_file>.
set -uo pipefail
if [ "$#" -ne 6 ] || [ "$1" != "v1" ]; then
    echo "usage: run_instance.sh v1 <category> <onnx> <vnnlib> <results_file> <timeout_s>" >&2; exit 1
fi
ONNX="$3"; VNNLIB="$4"; RESULT="$5"; TIMEOUT="$6"
source "$(dirname "${BASH_SOURCE[0]}")/binary.sh"
rm -f "$RESULT"
# Leave a second for start-up and writing; the tool stops itself at its own deadline.
BUDGET=$(python3 -c "print(max(float('$TIMEOUT') - 1.0, 0.5))")
"$BITBARRIER" verify "$ONNX" "$VNNLIB" --timeout "$BUDGET" --result "$RESULT" > /dev/null
STATUS=$?
if [ ! -s "$RESULT" ]; then echo "error" > "$RESULT"; fi
exit $STATUS
