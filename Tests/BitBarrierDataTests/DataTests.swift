import BitBarrierData
import Foundation
import Testing

enum DataPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let benchmarks = root.deletingLastPathComponent().appendingPathComponent("shared/benchmarks")

    static func temp(_ name: String, _ contents: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bitbarrier-data-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url)
        return url.path
    }

    /// A .npy v1.0 file written by hand: magic, version, header padded to 64 bytes, data.
    static func npy(descr: String, shape: [Int], fortran: Bool = false, payload: [UInt8]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        d.append(UInt8(header.utf8.count & 0xFF)); d.append(UInt8(header.utf8.count >> 8))
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: payload)
        return d
    }

    static func bytes<T>(_ values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }
}

@Suite struct DatasetTests {
    @Test func mnistCSVWithPixelScale() throws {
        let path = DataPaths.benchmarks.appendingPathComponent("mnist/eran_mnist_test.csv").path
        let d = try Dataset.loadCSV(path: path, pixelScale: 255)
        #expect(d.features.count == 100 && d.width == 784)
        let firstLabel = try String(contentsOfFile: path, encoding: .utf8).split(separator: ",").first.map { Int($0)! }
        #expect(d.labels?.first == firstLabel)
        #expect(d.features.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 <= 1 } })
        #expect(d.features.contains { $0.contains { $0 == 1 } })
        #expect(throws: DataError.self) { try d.checkWidth(783) }
    }

    @Test(arguments: [
        ("ragged.csv", "1,0.5,0.5\n2,0.5\n", 2, "expected 3 fields"),
        ("word.csv", "1,0.5,abc\n", 1, "'abc' is not a number"),
        ("nan.csv", "1,0.5,nan\n", 1, "not finite"),
        ("label.csv", "1.5,0.5,0.5\n", 1, "not a nonnegative integer"),
    ])
    func badCSV(name: String, text: String, line: Int, expected: String) throws {
        let path = try DataPaths.temp(name, Data(text.utf8))
        do {
            _ = try Dataset.loadCSV(path: path)
            Issue.record("\(name) was accepted")
        } catch let e as DataError {
            #expect(e.line == line)
            #expect(e.description.contains(name) && e.description.contains(expected), "\(e)")
        }
    }

    @Test func csvWithoutLabelsAndHeader() throws {
        let path = try DataPaths.temp("nolabels.csv", Data("a,b\n0.25,0.5\n\n1,2\n".utf8))
        let d = try Dataset.loadCSV(path: path, hasLabels: false)
        #expect(d.labels == nil && d.width == 2 && d.features == [[0.25, 0.5], [1, 2]])
    }

    @Test func npyRoundTrips() throws {
        let f4 = try DataPaths.temp("f4.npy", DataPaths.npy(descr: "<f4", shape: [2, 1, 3], payload: DataPaths.bytes([Float](arrayLiteral: 0.5, 1, 2, 3, 4, 5.25))))
        let u1 = try DataPaths.temp("u1.npy", DataPaths.npy(descr: "|u1", shape: [2, 3], payload: [0, 255, 51, 1, 2, 3]))
        let f8 = try DataPaths.temp("f8.npy", DataPaths.npy(descr: "<f8", shape: [2, 3], payload: DataPaths.bytes([Double](arrayLiteral: 0.1, 1, 2, 3, 4, 5))))
        let labels = try DataPaths.temp("y.npy", DataPaths.npy(descr: "<i8", shape: [2], payload: DataPaths.bytes([Int64](arrayLiteral: 3, 9))))
        let a = try Dataset.loadNPY(features: f4, labels: labels)
        #expect(a.width == 3 && a.features == [[0.5, 1, 2], [3, 4, 5.25]] && a.labels == [3, 9])
        let b = try Dataset.loadNPY(features: u1, labels: nil, pixelScale: 255)
        #expect(b.features[0] == [0, 1, 0.2])
        let c = try Dataset.loadNPY(features: f8, labels: nil)
        #expect(c.features[0][0] == Float(0.1))
    }

    @Test func badNPY() throws {
        let fortran = try DataPaths.temp("fortran.npy", DataPaths.npy(descr: "<f4", shape: [1, 2], fortran: true, payload: DataPaths.bytes([Float](arrayLiteral: 1, 2))))
        let truncated = try DataPaths.temp("short.npy", DataPaths.npy(descr: "<f4", shape: [4, 2], payload: DataPaths.bytes([Float](arrayLiteral: 1, 2))))
        let x = try DataPaths.temp("x3.npy", DataPaths.npy(descr: "<f4", shape: [3, 1], payload: DataPaths.bytes([Float](arrayLiteral: 1, 2, 3))))
        let y = try DataPaths.temp("y2.npy", DataPaths.npy(descr: "<i8", shape: [2], payload: DataPaths.bytes([Int64](arrayLiteral: 1, 2))))
        #expect(throws: DataError.self) { try Dataset.loadNPY(features: fortran, labels: nil) }
        #expect(throws: DataError.self) { try Dataset.loadNPY(features: truncated, labels: nil) }
        #expect(throws: DataError.self) { try Dataset.loadNPY(features: x, labels: y) }
        #expect(throws: DataError.self) { try Dataset.load(path: "/tmp/whatever.parquet") }
    }
}

@Suite struct VNNLibTests {
    static let specs: [URL] = {
        guard let e = FileManager.default.enumerator(at: DataPaths.benchmarks, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == "vnnlib" }.sorted { $0.path < $1.path }
    }()

    @Test func everyBenchmarkSpecParses() throws {
        #expect(Self.specs.count > 300)
        for url in Self.specs {
            let s = try VNNLibSpec.load(path: url.path)
            #expect(!s.cases.isEmpty, "\(url.lastPathComponent) has no case")
            for c in s.cases { #expect(zip(c.lower, c.upper).allSatisfy { $0 <= $1 }) }
        }
    }

    @Test func acasProperty1() throws {
        let s = try VNNLibSpec.load(path: DataPaths.benchmarks.appendingPathComponent("vnncomp2021/acasxu/prop_1.vnnlib").path)
        #expect(s.inputCount == 5 && s.outputCount == 5 && s.cases.count == 1)
        #expect(s.cases[0].lower[0] == 0.6 && s.cases[0].upper[0] == 0.679857769)
        let conj = try #require(s.cases[0].outputDisjuncts.first)
        #expect(conj.count == 1)
        // Y_0 >= 3.991125645861615  <=>  -Y_0 + 3.991125645861615 <= 0
        #expect(conj[0].coefficients == [-1, 0, 0, 0, 0] && conj[0].constant == 3.991125645861615)
        #expect(s.isUnsafe(output: [4, 0, 0, 0, 0], caseIndex: 0) && !s.isUnsafe(output: [3.9, 0, 0, 0, 0], caseIndex: 0))
    }

    @Test func mnistSpecAndMultiBox() throws {
        let m = try #require(Self.specs.first { $0.path.contains("mnistfc") })
        let s = try VNNLibSpec.load(path: m.path)
        #expect(s.inputCount == 784 && s.outputCount == 10)
        #expect(s.cases.count == 1 && s.cases[0].outputDisjuncts.count == 9)
        // ACAS Xu property 6 is the multi-box form: two input boxes, one output condition each.
        let p6 = try VNNLibSpec.load(path: DataPaths.benchmarks.appendingPathComponent("vnncomp2021/acasxu/prop_6.vnnlib").path)
        #expect(p6.cases.count == 2)
        #expect(p6.cases[0].lower[1] == 0.11140846 && p6.cases[1].upper[1] == -0.11140846)
    }

    @Test(arguments: [
        ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_1 1))\n", 3, "undeclared variable 'X_1'"),
        ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)\n", 3, "unbalanced"),
        ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)))\n", 3, "unbalanced"),
        ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (* X_0 Y_0) 1))\n", 3, "non-linear"),
    ])
    func badSpec(text: String, line: Int, expected: String) {
        do {
            _ = try VNNLibSpec.parse(text, file: "bad.vnnlib")
            Issue.record("accepted: \(text)")
        } catch let e as DataError {
            #expect(e.line == line, "\(e)")
            #expect(e.description.contains("bad.vnnlib") && e.description.contains(expected), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func missingBoundIsAnError() {
        let text = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= Y_0 0))\n"
        #expect(throws: DataError.self) { try VNNLibSpec.parse(text, file: "open.vnnlib") }
    }
}
