import BitBarrierData
import Foundation
import Testing

/// Every VNN-LIB file of the shared VNN-COMP benchmarks.
@Suite(.enabled(if: DataPaths.haveBenchmarks, "shared benchmarks not found beside the package (../shared/benchmarks)"))
struct BenchmarkSpecTests {
    static let specs: [URL] = {
        guard let e = FileManager.default.enumerator(at: DataPaths.benchmarks, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == "vnnlib" }.sorted { $0.path < $1.path }
    }()

    @Test func everyBenchmarkSpecParses() throws {
        #expect(Self.specs.count > 500)
        for url in Self.specs {
            let s = try VNNLibSpec.load(path: url.path)
            #expect(!s.cases.isEmpty, "\(url.lastPathComponent) has no case")
            for c in s.cases {
                #expect(c.lower.count == s.inputCount && c.upper.count == s.inputCount)
                #expect(zip(c.lower, c.upper).allSatisfy { $0 <= $1 }, "\(url.lastPathComponent)")
                #expect(c.outputDisjuncts.allSatisfy { $0.allSatisfy { $0.coefficients.count == s.outputCount } })
            }
        }
    }

    @Test func acasProperty1() throws {
        let s = try VNNLibSpec.load(path: DataPaths.benchmark("vnncomp2021/acasxu/prop_1.vnnlib"))
        #expect(s.inputCount == 5 && s.outputCount == 5 && s.cases.count == 1)
        let c = try #require(s.cases.first)
        #expect(c.lower == [0.6, -0.5, -0.5, 0.45, -0.5] && c.upper == [0.679857769, 0.5, 0.5, 0.5, -0.45])
        // Y_0 >= 3.991125645861615  <=>  -Y_0 + 3.991125645861615 <= 0
        #expect(c.outputDisjuncts == [[OutputConstraint(coefficients: [-1, 0, 0, 0, 0], constant: 3.991125645861615)]])
        #expect(s.isUnsafe(output: [3.991125645861615, 0, 0, 0, 0], caseIndex: 0))
        #expect(!s.isUnsafe(output: [(3.991125645861615 as Double).nextDown, 9, 9, 9, 9], caseIndex: 0))
    }

    @Test func acasProperty6IsMultiBox() throws {
        let s = try VNNLibSpec.load(path: DataPaths.benchmark("vnncomp2021/acasxu/prop_6.vnnlib"))
        #expect(s.cases.count == 2)
        #expect(s.cases[0].lower[1] == 0.11140846 && s.cases[0].upper[1] == 0.499999896)
        #expect(s.cases[1].lower[1] == -0.499999896 && s.cases[1].upper[1] == -0.11140846)
        // "unsafe if COC is not minimal": four disjuncts Y_k <= Y_0 in each box.
        #expect(s.cases.allSatisfy { $0.outputDisjuncts.count == 4 })
    }

    @Test(arguments: ["vnncomp2021/mnistfc", "vnncomp2022/mnist_fc/vnnlib"])
    func mnistSpecs(folder: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: DataPaths.benchmark(folder)).filter { $0.hasSuffix(".vnnlib") }.sorted()
        let name = try #require(files.first)
        let s = try VNNLibSpec.load(path: DataPaths.benchmark("\(folder)/\(name)"))
        #expect(s.inputCount == 784 && s.outputCount == 10 && s.cases.count == 1)
        #expect(s.cases[0].outputDisjuncts.count == 9, "one disjunct per wrong class")
        #expect(s.cases[0].lower.allSatisfy { $0 >= 0 } && s.cases[0].upper.allSatisfy { $0 <= 1 })
    }

    @Test func rlAndReachProbDensityShapes() throws {
        // The 2022 RL and reach-prob-density specs are single boxes with an output
        // disjunction (dubinsrejoin) or conjunction, not multi-box.
        let dubins = try VNNLibSpec.load(path: DataPaths.benchmark("vnncomp2022/rl_benchmarks/vnnlib/dubinsrejoin_case_unsafe_11.vnnlib"))
        #expect(dubins.inputCount == 8 && dubins.outputCount == 8 && dubins.cases.count == 1)
        #expect(dubins.cases[0].outputDisjuncts.map(\.count) == [6])
        let robot = try VNNLibSpec.load(path: DataPaths.benchmark("vnncomp2022/reach_prob_density/vnnlib/robot_0.vnnlib"))
        #expect(robot.inputCount == 5 && robot.cases.count == 1 && robot.cases[0].outputDisjuncts.map(\.count) == [5])
        let tiny = try VNNLibSpec.load(path: DataPaths.benchmark("vnncomp2021/test/test_tiny.vnnlib"))
        #expect(tiny.cases.count == 1 && tiny.cases[0].lower == [-1] && tiny.cases[0].upper == [1])
    }
}
