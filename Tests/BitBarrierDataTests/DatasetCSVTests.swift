import BitBarrierData
import Foundation
import Testing

@Suite struct DatasetCSVTests {
    @Test(.enabled(if: DataPaths.haveBenchmarks, "shared benchmarks not found beside the package (../shared/benchmarks)"))
    func mnistCSVWithPixelScale() throws {
        let path = DataPaths.benchmark("mnist/eran_mnist_test.csv")
        let start = Date()
        let d = try Dataset.loadCSV(path: path, pixelScale: 255)
        #expect(Date().timeIntervalSince(start) < 5, "reading 100 MNIST rows should be quick")
        #expect(d.count == 100 && d.width == 784 && d.labels?.count == 100)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let firstLine = try #require(text.split(separator: "\n").first)
        let fields = firstLine.split(separator: ",")
        #expect(d.labels?.first == Int(fields[0]))
        #expect(d.features[0][300] == Float(String(fields[301]))! / 255)
        #expect(d.features.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 <= 1 } })
        #expect(d.features.contains { $0.contains { $0 == 1 } })
        #expect(d.source == path)
        try d.checkWidth(784)
        let e = expectDataError { try d.checkWidth(783) }
        #expect(e?.description == "\(path): data has 784 features per row but the model input has 783")
    }

    @Test func headerBlankLinesAndFixture() throws {
        let d = try Dataset.loadCSV(path: DataPaths.fixture("header.csv"))
        #expect(d.labels == [7, 3] && d.width == 2 && d.features == [[0.1, 0.2], [255, 0]])
        let scaled = try Dataset.load(path: DataPaths.fixture("header.csv"), pixelScale: 255)
        #expect(scaled.features[1] == [1, 0])
        let tiny = try Dataset.load(path: DataPaths.fixture("tiny.csv"))
        #expect(tiny.labels == [7] && tiny.features == [[0.1, 0.2]])
    }

    @Test func withoutLabelsCRLFAndSpaces() throws {
        let path = try DataPaths.temp("nolabels.csv", "a,b\r\n0.25, 0.5\r\n\r\n 1 ,2e0\r\n")
        let d = try Dataset.loadCSV(path: path, hasLabels: false)
        #expect(d.labels == nil && d.width == 2 && d.features == [[0.25, 0.5], [1, 2]])
    }

    @Test(arguments: [
        ("ragged.csv", "1,0.5,0.5\n\n2,0.5\n", 3, nil, "expected 3 numbers (label + 2 features), found 2"),
        ("long.csv", "1,0.5,0.5\n2,0.5,1,1\n", 2, nil, "expected 3 numbers (label + 2 features), found 4"),
        ("word.csv", "1,0.5,0.5\n1,0.5,abc\n", 2, 3, "field 3 is not a number: 'abc'"),
        ("empty-field.csv", "1,,0.5\n", 1, 2, "field 2 is not a number: ''"),
        ("nan.csv", "1,0.5,NaN\n", 1, 3, "field 3 is not a finite number: 'NaN'"),
        ("inf.csv", "1,inf,0\n", 1, 2, "not a finite number"),
        ("fraction-label.csv", "1,0.5\n1.5,0.5\n", 2, 1, "label '1.5' is not a nonnegative integer"),
        ("negative-label.csv", "-1,0.5\n", 1, 1, "label '-1' is not a nonnegative integer"),
        ("label-only.csv", "4\n", 1, nil, "no features"),
    ] as [(String, String, Int, Int?, String)])
    func badCSV(name: String, text: String, line: Int, column: Int?, expected: String) throws {
        let path = try DataPaths.temp(name, text)
        let e = expectDataError { _ = try Dataset.loadCSV(path: path) }
        #expect(e?.file == path)
        #expect(e?.line == line)
        #expect(e?.column == column)
        #expect(e?.description.hasPrefix("\(path):\(line):") == true, "\(String(describing: e))")
        #expect(e?.message.contains(expected) == true, "\(String(describing: e))")
    }

    @Test func raggedRowDescriptionReadsWell() throws {
        let path = try DataPaths.temp("data.csv", "1,2,3\n4,5\n")
        let e = expectDataError { _ = try Dataset.loadCSV(path: path) }
        #expect(e?.description == "\(path):2: expected 3 numbers (label + 2 features), found 2")
    }

    @Test func emptyMissingAndUnknownFiles() throws {
        let empty = try DataPaths.temp("empty.csv", "\n\n")
        #expect(expectDataError { _ = try Dataset.loadCSV(path: empty) }?.message == "no data rows")
        #expect(expectDataError { _ = try Dataset.loadCSV(path: "/nonexistent/x.csv") }?.file == "/nonexistent/x.csv")
        #expect(expectDataError { _ = try Dataset.load(path: "/tmp/whatever.parquet") }?.message.contains(".csv or .npy") == true)
        let path = DataPaths.fixture("tiny.csv")
        #expect(expectDataError { _ = try Dataset.load(path: path, labels: "y.npy") } != nil)
        #expect(expectDataError { _ = try Dataset.loadCSV(path: path, pixelScale: 0) }?.message.contains("pixel scale") == true)
    }
}
