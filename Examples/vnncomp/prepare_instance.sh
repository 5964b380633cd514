#!/usr/bin/env bash
# VNN-COMP: prepare_instance.sh v1 <category> <onnx> <vnnlib>
# Nothing to prepare (models are read at run time); checks the arguments and the binary.
set -euo pipefail
if [ "$#" -ne 4 ] || [ "$1" != "v1" ]; then
    echo "usage: prepare_instance.sh v1 <category> <onnx> <vnnlib>" >&2; exit 1
fi
ONNX="$3"; VNNLIB="$4"
[ -f "$ONNX" ] || { echo "no such model: $ONNX" >&2; exit 1; }
[ -f "$VNNLIB" ] || { echo "no such property: $VNNLIB" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/binary.sh"
[ -x "$BITBARRIER" ] || { echo "bitbarrier not built: run install_tool.sh v1" >&2; exit 1; }
exit 0
