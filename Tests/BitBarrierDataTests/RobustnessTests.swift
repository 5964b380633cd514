import BitBarrierData
import Foundation
import Testing

/// Malformed input must throw ``DataError``, never trap: every prefix of a valid file either
/// reads or throws.
@Suite struct RobustnessTests {
    @Test func everyPrefixOfASpecReadsOrThrows() throws {
        let text = try String(contentsOfFile: DataPaths.fixture("multibox.vnnlib"), encoding: .utf8)
        var accepted = 0
        for n in 0...text.utf8.count {
            let prefix = String(decoding: Array(text.utf8.prefix(n)), as: UTF8.self)
            do {
                _ = try VNNLibSpec.parse(prefix, file: "prefix.vnnlib")
                accepted += 1
            } catch let e as DataError {
                #expect(e.file == "prefix.vnnlib")
            }
        }
        #expect(accepted >= 1, "the whole file parses")
    }

    @Test func everyPrefixOfAnNPYReadsOrThrows() throws {
        let full = NPYWriter.file(descr: "<f4", shape: [2, 2], version: 2, payload: NPYWriter.bytes([1, 2, 3, 4] as [Float]))
        for n in 0...full.count {
            let path = try DataPaths.temp("p\(n).npy", full.prefix(n))
            let result = Result { try Dataset.loadNPY(features: path, labels: nil) }
            if n == full.count {
                #expect((try? result.get())?.features == [[1, 2], [3, 4]])
            } else {
                #expect(throws: DataError.self) { try result.get() }
            }
        }
    }

    @Test func deepNestingIsAnError() {
        let text = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert " + String(repeating: "(and ", count: 100_000)
        let e = expectDataError { _ = try VNNLibSpec.parse(text, file: "deep.vnnlib") }
        #expect(e?.line == 3 && e?.message.contains("nested") == true)
    }

    @Test func garbageBytesAreRejectedEverywhere() throws {
        var generator = SystemRandomNumberGenerator()
        for k in 0..<20 {
            let bytes = (0..<(k * 7)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let csv = try DataPaths.temp("g\(k).csv", Data(bytes))
            let npy = try DataPaths.temp("g\(k).npy", Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] + bytes))
            _ = try? Dataset.loadCSV(path: csv)
            #expect(throws: DataError.self) { _ = try Dataset.loadNPY(features: npy, labels: nil) }
            _ = try? VNNLibSpec.parse(String(decoding: bytes, as: UTF8.self), file: "g")
        }
    }
}
