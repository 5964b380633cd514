import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import Foundation
import Testing

/// `PropertyChecker` (falsification + branch and bound) against the VNN-COMP reference verdicts:
/// every `sat` carries a witness that replays, `unsat` only where the reference says so, and a
/// budget cut short never yields `unsat`.
@Suite struct VerifyTests {
    static let vnncomp = Shared.benchmarks.appendingPathComponent("vnncomp2021")

    static func instance(_ folder: String, _ onnx: String, _ vnnlib: String) throws -> (Network, VNNLibSpec) {
        let dir = vnncomp.appendingPathComponent(folder)
        return (try ModelLoader.load(path: dir.appendingPathComponent(onnx).path),
                try VNNLibSpec.load(path: dir.appendingPathComponent(vnnlib).path))
    }

    static func acas(_ net: String, _ prop: Int) throws -> (Network, VNNLibSpec) {
        try instance("acasxu", "ACASXU_run2a_\(net)_batch_2000.onnx", "prop_\(prop).vnnlib")
    }

    static func check(_ network: Network, _ spec: VNNLibSpec, timeout: Double = 120) -> VerifyResult {
        PropertyChecker(network: network, options: VerifyOptions(timeout: timeout, workers: 2)).check(spec).result
    }

    /// The witness lies in its case's box (exactly, as float32) and its freshly replayed float32
    /// output meets the case's unsafe condition; the recorded output is that replay.
    static func expectReplays(_ w: VNNWitness, _ network: Network, _ spec: VNNLibSpec, _ name: String) {
        let c = spec.cases[w.caseIndex]
        #expect(c.contains(input: w.input.map(Double.init)), "\(name): witness outside the box")
        let y = network.evaluate(w.input)
        #expect(y == w.output, "\(name): recorded output differs from the replay")
        #expect(c.isUnsafe(output: y.map(Double.init)), "\(name): replayed output is not unsafe")
    }

    /// The `test` benchmark: test_sat is sat with a replaying witness; the others are unsat
    /// (test_tiny and test_small are disputed by one tool, majority unsat).
    @Test(arguments: [
        ("test_nano.onnx", "test_nano.vnnlib", "unsat"),
        ("test_tiny.onnx", "test_tiny.vnnlib", "unsat"),
        ("test_small.onnx", "test_small.vnnlib", "unsat"),
        ("test_sat.onnx", "test_prop.vnnlib", "sat"),
        ("test_unsat.onnx", "test_prop.vnnlib", "unsat"),
    ])
    func testBenchmark(onnx: String, vnnlib: String, expected: String) throws {
        let (network, spec) = try Self.instance("test", onnx, vnnlib)
        let result = Self.check(network, spec)
        #expect(result.label == expected, "\(onnx) \(vnnlib): \(result.label), reference \(expected)")
        if case .sat(let w) = result { Self.expectReplays(w, network, spec, onnx) }
    }

    /// ACAS Xu instances whose reference verdict is sat (property 2 on net 4_1, property 3 on
    /// 1_7, property 4 on 1_9, property 7 on 1_9): `sat`, with a witness that replays.
    @Test(arguments: [("4_1", 2), ("1_7", 3), ("1_9", 4), ("1_9", 7)])
    func acasSat(net: String, prop: Int) throws {
        let (network, spec) = try Self.acas(net, prop)
        let result = Self.check(network, spec)
        guard case .sat(let w) = result else {
            Issue.record("ACAS Xu \(net) prop \(prop): \(result.label), reference sat")
            return
        }
        Self.expectReplays(w, network, spec, "ACAS Xu \(net) prop \(prop)")
    }

    /// ACAS Xu 1_9 property 7 is a needle: its witnesses lie within 0.003 of the face
    /// x_0 = lower, in pockets ~0.01 wide (1 in 10^6 uniform samples of the box; 2,000 descents
    /// from random starts find none). Sampling the box's boundary finds one: the falsifier alone
    /// must return a witness that replays, and with no boundary samples (the same number of
    /// uniform samples instead) it must not, or this test no longer tests the boundary samples.
    @Test func boundarySamplesFindTheNeedle() throws {
        let (network, spec) = try Self.acas("1_9", 7)
        Self.expectOnlyFirstFinds(Falsifier(randomSamples: 256, steps: 0, restarts: 0, boundarySamples: 4096),
                                  control: Falsifier(randomSamples: 256 + 4096, steps: 0, restarts: 0, boundarySamples: 0),
                                  network, spec, "ACAS Xu 1_9 prop 7")
    }

    /// `finder` must return a witness that replays, and `control` (the same search without the
    /// feature under test) none within 60 s, or the instance no longer tests that feature.
    static func expectOnlyFirstFinds(_ finder: Falsifier, control: Falsifier, _ network: Network, _ spec: VNNLibSpec, _ name: String) {
        let deadline = ContinuousClock.now + .seconds(60)
        guard let w = finder.search(network: network, spec: spec, deadline: deadline) else {
            Issue.record("\(name): the falsifier found no witness")
            return
        }
        expectReplays(w, network, spec, name)
        #expect(control.search(network: network, spec: spec, deadline: deadline) == nil,
                "\(name): the control search found a witness too: pick a harder instance for this test")
    }

    /// Easy ACAS Xu instances whose reference verdict is unsat.
    @Test(arguments: [("2_7", 4), ("5_5", 3), ("1_1", 1)])
    func acasUnsat(net: String, prop: Int) throws {
        let (network, spec) = try Self.acas(net, prop)
        let result = Self.check(network, spec)
        #expect(result.label == "unsat", "ACAS Xu \(net) prop \(prop): \(result.label), reference unsat")
    }

    /// A budget far too small for a hard instance (ACAS Xu 1_1 property 3 needs thousands of
    /// boxes) ends in `timeout`, never `unsat`.
    @Test func tinyTimeoutIsNeverUnsat() throws {
        let (network, spec) = try Self.acas("1_1", 3)
        for timeout in [0.001, 0.3] {
            let result = Self.check(network, spec, timeout: timeout)
            #expect(result.label == "timeout", "budget \(timeout) s: \(result.label)")
        }
    }

    /// Progress during a long search: reported, with counts that never go down and never exceed
    /// the final box count; the verdict is the same `timeout` as without it.
    @Test func progressIsReportedAndMonotone() throws {
        let (network, spec) = try Self.acas("1_1", 3)
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var snapshots: [BranchAndBound.Progress] = []
            func add(_ p: BranchAndBound.Progress) { lock.lock(); snapshots.append(p); lock.unlock() }
        }
        let log = Log()
        let options = VerifyOptions(timeout: 3, workers: 2, progress: { log.add($0) })
        let (result, boxes) = PropertyChecker(network: network, options: options).check(spec)
        #expect(result.label == "timeout", "ACAS Xu 1_1 prop 3 in 3 s: \(result.label)")
        let s = log.snapshots
        #expect(!s.isEmpty, "no progress reported in a 3 s search")
        for (a, b) in zip(s, s.dropFirst()) {
            #expect(a.boxes <= b.boxes && a.maxDepth <= b.maxDepth, "progress went backwards: \(a) then \(b)")
        }
        for p in s { #expect(p.open >= 1 && p.boxes <= boxes, "snapshot \(p) against \(boxes) boxes in all") }
    }

    /// A property that does not fit the model is an error, not a verdict.
    @Test func mismatchedPropertyIsAnError() throws {
        let (network, _) = try Self.acas("1_1", 1)
        let (_, spec) = try Self.instance("test", "test_nano.onnx", "test_nano.vnnlib")
        #expect(Self.check(network, spec).label == "error")
    }

    /// Rounding into a box keeps float32 points inside it, and fails when no float32 lies in it.
    @Test func float32PointsStayInTheBox() {
        let lo = 0.1, hi = 0.1.nextUp
        // 0.1 is not a float32; the nearest float32 above 0.1 lies far beyond 0.1.nextUp.
        #expect(VNNWitness.float(0.1, inside: lo, hi) == nil)
        let f = VNNWitness.float(0.3, inside: 0.3, 0.31)!
        #expect(Double(f) >= 0.3 && Double(f) <= 0.31)
        let g = VNNWitness.float(0.7, inside: 0.6, 0.7)!
        #expect(Double(g) >= 0.6 && Double(g) <= 0.7)
        #expect(VNNWitness.float(-1, inside: -1, 1) == -1)
    }
}
