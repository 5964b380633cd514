#!/usr/bin/env bash
# The CI flow of bitbarrier.yml, locally: certify, report, gate. Exits with the gate's code.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/bitbarrier}
out=${OUT:-Reports/ci-demo}
mkdir -p "$out"
"$BIN" certify Examples/digits-mlp/model.onnx --data Examples/digits-mlp/test.csv --limit 20 \
    --method crown --eps 0.01,0.02,0.05 --attack \
    --json "$out/results.json" --report "$out" --junit "$out/junit.xml" \
    --min-certified-accuracy 0.9 --at-eps 0.01
code=$?
echo "gate exit code: $code (0 pass, 1 fail, 2 bad input)"
exit $code
