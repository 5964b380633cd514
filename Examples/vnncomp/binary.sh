# Sourced by the VNN-COMP scripts: the path of the release binary (override with BITBARRIER=...).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BITBARRIER="${BITBARRIER:-$ROOT/.build/release/bitbarrier}"
