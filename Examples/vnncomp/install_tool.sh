#!/usr/bin/env bash
# VNN-COMP: install_tool.sh v1 — builds the release binary of bitbarrier.
# Needs Swift 6, libopenblas-dev and libglpk-dev (apt-get install -y libopenblas-dev libglpk-dev).
set -euo pipefail
if [ "${1:-}" != "v1" ]; then echo "expected API version v1, got '${1:-}'" >&2; exit 1; fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
swift build -c release --product bitbarrier
"$(swift build -c release --show-bin-path)/bitbarrier" --version
