#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from the official onnx.proto3.
#
# Needs: python3 with the `onnx` package (pip install onnx), protoc (apt-get install
# protobuf-compiler) and Swift. Builds protoc-gen-swift from swift-protobuf 1.39.0 in a
# temporary package, so neither the plugin nor protoc's sources are ever part of our build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/bitbarrier-proto.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 -m onnx.gen_proto -o "$work/proto" onnx >/dev/null 2>&1 || python3 -m onnx.gen_proto -o "$work/proto" onnx
test -f "$work/proto/onnx.proto3"

mkdir -p "$work/plugin/Sources/Dummy"
cat > "$work/plugin/Package.swift" <<'PKG'
// swift-tools-version: 5.9
import PackageDescription
let package = Package(
    name: "Plugin",
    dependencies: [.package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0")],
    targets: [.target(name: "Dummy", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")])]
)
PKG
echo "// empty" > "$work/plugin/Sources/Dummy/Dummy.swift"
(cd "$work/plugin" && swift build -c release --product protoc-gen-swift --scratch-path "$work/build" >&2)
plugin="$work/build/release/protoc-gen-swift"

protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public \
    --swift_out="$work" -I "$work/proto" "$work/proto/onnx.proto3"
cp "$work/onnx.pb.swift" "$root/Sources/ONNXProto/onnx.pb.swift"
echo "wrote Sources/ONNXProto/onnx.pb.swift ($(wc -c < "$root/Sources/ONNXProto/onnx.pb.swift") bytes)"
