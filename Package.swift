// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "BitBarrier",
    products: [
        .executable(name: "bitbarrier", targets: ["BitBarrierCLI"]),
        .library(name: "BitBarrierCore", targets: ["BitBarrierCore"]),
        .library(name: "BitBarrierImport", targets: ["BitBarrierImport"]),
        .library(name: "BitBarrierData", targets: ["BitBarrierData"]),
        .library(name: "BitBarrierCertify", targets: ["BitBarrierCertify"]),
        .library(name: "BitBarrierReport", targets: ["BitBarrierReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C is quarantined: OpenBLAS is imported by exactly one Swift file (Core/Numerics/BLAS.swift).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Generated once from onnx.proto3 by Scripts/gen-onnx-proto.sh; never edited by hand.
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Tensors, intervals, the network IR, every layer with all its semantics, bound analyses.
        .target(name: "BitBarrierCore", dependencies: ["CBLAS"]),
        // ONNX and .nnet model import into the IR.
        .target(name: "BitBarrierImport", dependencies: ["BitBarrierCore", "ONNXProto"]),
        // C is quarantined: GLPK is imported by exactly one Swift file (LP/GLPKProblem.swift).
        .systemLibrary(name: "CGLPK", providers: [.apt(["libglpk-dev"])]),
        // LP/MILP: formulations as plain values, the GLPK wrapper, safe bounds from duals.
        .target(name: "BitBarrierLP", dependencies: ["BitBarrierCore", "CGLPK"]),
        // Certification: verdicts, radius search, attacks with concrete replay.
        .target(name: "BitBarrierCertify", dependencies: ["BitBarrierCore", "BitBarrierData", "BitBarrierLP"]),
        // Datasets (CSV, .npy) and VNN-LIB specifications.
        .target(name: "BitBarrierData"),
        // Results documents, reports (Markdown, HTML with inline SVG, JUnit) and the CI gate.
        .target(name: "BitBarrierReport"),
        // The thin command-line shell.
        .executableTarget(
            name: "BitBarrierCLI",
            dependencies: [
                "BitBarrierCore", "BitBarrierImport", "BitBarrierData", "BitBarrierCertify", "BitBarrierLP", "BitBarrierReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BitBarrierCoreTests", dependencies: ["BitBarrierCore"]),
        .testTarget(name: "BitBarrierLPTests", dependencies: ["BitBarrierLP", "BitBarrierCore", "BitBarrierImport"]),
        .testTarget(name: "BitBarrierReportTests", dependencies: ["BitBarrierReport"]),
        .testTarget(name: "BitBarrierCertifyTests", dependencies: ["BitBarrierCertify", "BitBarrierCore", "BitBarrierImport", "BitBarrierData"]),
        .testTarget(
            name: "BitBarrierImportTests", dependencies: ["BitBarrierImport", "BitBarrierCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "BitBarrierDataTests", dependencies: ["BitBarrierData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BitBarrierCLITests", dependencies: ["BitBarrierCLI"]),
    ]
)
