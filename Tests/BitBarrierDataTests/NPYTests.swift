import BitBarrierData
import Foundation
import Testing

@Suite struct NPYTests {
    typealias W = NPYWriter

    @Test(arguments: [UInt8(1), 2, 3])
    func roundTripsEveryDtype(version: UInt8) throws {
        let f4Values: [Float] = [0.5, 1, -2, 3, 4, 5.25]
        let f4 = try DataPaths.temp("f4.npy", W.file(descr: "<f4", shape: [2, 1, 3], version: version, payload: W.bytes(f4Values)))
        let f8 = try DataPaths.temp("f8.npy", W.file(descr: "<f8", shape: [2, 3], version: version, payload: W.bytes([0.1, 1, 2, 3, 4, 1e30] as [Double])))
        let u1 = try DataPaths.temp("u1.npy", W.file(descr: "|u1", shape: [2, 3], version: version, payload: [0, 255, 51, 1, 2, 3]))
        let i8 = try DataPaths.temp("i8.npy", W.file(descr: "<i8", shape: [2], version: version, payload: W.bytes([3, 9] as [Int64])))
        let i4 = try DataPaths.temp("i4.npy", W.file(descr: "<i4", shape: [2], version: version, payload: W.bytes([0, 7] as [Int32])))
        let lu1 = try DataPaths.temp("lu1.npy", W.file(descr: "|u1", shape: [2], version: version, payload: [9, 1]))

        let a = try Dataset.loadNPY(features: f4, labels: i8)
        #expect(a.width == 3 && a.features == [[0.5, 1, -2], [3, 4, 5.25]] && a.labels == [3, 9] && a.source == f4)
        let b = try Dataset.loadNPY(features: u1, labels: i4, pixelScale: 255)
        #expect(b.features == [[0, 1, 0.2], [Float(1) / 255, Float(2) / 255, Float(3) / 255]] && b.labels == [0, 7])
        let c = try Dataset.load(path: f8, labels: lu1)
        #expect(c.features[0][0] == Float(0.1) && c.features[1][2] == Float(1e30) && c.labels == [9, 1])
    }

    @Test func headerKeysInAnyOrderAndDoubleQuotes() throws {
        let header = "{\"shape\": (1,2,), 'fortran_order':False,'descr':'<f4'}"
        let path = try DataPaths.temp("order.npy", W.file(descr: "", shape: [], header: header, payload: W.bytes([1, 2] as [Float])))
        let d = try Dataset.loadNPY(features: path, labels: nil)
        #expect(d.features == [[1, 2]])
    }

    @Test func fortranOrderIsRejected() throws {
        let path = try DataPaths.temp("fortran.npy", W.file(descr: "<f4", shape: [1, 2], fortran: true, payload: W.bytes([1, 2] as [Float])))
        let e = expectDataError { _ = try Dataset.loadNPY(features: path, labels: nil) }
        #expect(e?.file == path && e?.message.contains("Fortran") == true)
    }

    @Test func truncatedDataHeaderAndMagic() throws {
        let short = try DataPaths.temp("short.npy", W.file(descr: "<f4", shape: [4, 2], payload: W.bytes([1, 2] as [Float])))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: short, labels: nil) }?.message.contains("truncated data") == true)
        let full = W.file(descr: "<f4", shape: [1, 2], payload: W.bytes([1, 2] as [Float]))
        let cut = try DataPaths.temp("cut.npy", full.prefix(40))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: cut, labels: nil) }?.message.contains("truncated") == true)
        let magic = try DataPaths.temp("magic.npy", Data("not numpy at all".utf8))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: magic, labels: nil) }?.message.contains("magic") == true)
        let extra = try DataPaths.temp("extra.npy", full + Data([0, 0, 0, 0]))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: extra, labels: nil) } != nil)
    }

    @Test func unsupportedOrMalformedHeaders() throws {
        let cases: [(String, String)] = [
            ("big.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }"),
            ("c8.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 2), }"),
            ("noshape.npy", "{'descr': '<f4', 'fortran_order': False, }"),
            ("badshape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }"),
            ("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"),
            ("nodict.npy", "descr <f4"),
        ]
        for (name, header) in cases {
            let path = try DataPaths.temp(name, W.file(descr: "", shape: [], header: header, payload: W.bytes([1, 2] as [Float])))
            let e = expectDataError { _ = try Dataset.loadNPY(features: path, labels: nil) }
            #expect(e?.file == path, "\(name)")
        }
    }

    @Test func labelProblems() throws {
        let x = try DataPaths.temp("x3.npy", W.file(descr: "<f4", shape: [3, 1], payload: W.bytes([1, 2, 3] as [Float])))
        let y2 = try DataPaths.temp("y2.npy", W.file(descr: "<i8", shape: [2], payload: W.bytes([1, 2] as [Int64])))
        let e = expectDataError { _ = try Dataset.loadNPY(features: x, labels: y2) }
        #expect(e?.file == y2 && e?.message.contains("2 labels for 3 samples") == true)
        let negative = try DataPaths.temp("neg.npy", W.file(descr: "<i4", shape: [3], payload: W.bytes([1, -2, 3] as [Int32])))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: x, labels: negative) }?.message.contains("index 1") == true)
        let matrix = try DataPaths.temp("y31.npy", W.file(descr: "<i8", shape: [3, 1], payload: W.bytes([1, 2, 3] as [Int64])))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: x, labels: matrix) }?.message.contains("shape [N]") == true)
        let nan = try DataPaths.temp("nan.npy", W.file(descr: "<f4", shape: [1, 2], payload: W.bytes([1, .nan] as [Float])))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: nan, labels: nil) }?.message.contains("not finite") == true)
        let big = try DataPaths.temp("big.npy", W.file(descr: "<f8", shape: [1, 2], payload: W.bytes([1, 1e300] as [Double])))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: big, labels: nil) }?.message.contains("float32") == true)
        let scalar = try DataPaths.temp("scalar.npy", W.file(descr: "<f4", shape: [], header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", payload: W.bytes([1] as [Float])))
        #expect(expectDataError { _ = try Dataset.loadNPY(features: scalar, labels: nil) } != nil)
        let loaded = try Dataset.loadNPY(features: x, labels: nil)
        #expect(expectDataError { try loaded.checkWidth(784) }?.message == "data has 1 features per row but the model input has 784")
    }
}
