import Foundation
import BitBarrierCore

/// Reads the plain-text `.nnet` format (Reluplex / ACAS Xu): a fully connected ReLU network
/// with input normalisation.
///
/// Layout after `//` comment lines: `layers, inputs, outputs, maxLayerSize`; the layer sizes;
/// a (unused) symmetric flag; input minimums; input maximums; means (inputs + 1, the last for
/// the output); ranges (inputs + 1); then per layer its weight rows (one per neuron) followed by
/// its biases, one per line. Hidden layers use ReLU, the output layer is linear.
///
/// The network built takes raw inputs: x -> (x - mean) / range -> layers -> y * range_out +
/// mean_out; normalisation steps whose mean is 0 and range 1 are omitted. Inputs are not
/// clipped to [min, max] (the reference implementation clips; a verifier must state its domain
/// explicitly, through the specification's box).
public enum NNetReader {
    public static func parse(_ text: String, file: String) throws -> Network {
        var numbers: [[Double]] = []
        var lineNumbers: [Int] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") { continue }
            var row: [Double] = []
            for field in line.split(separator: ",") {
                let f = field.trimmingCharacters(in: .whitespaces)
                if f.isEmpty { continue }
                guard let v = Double(f), v.isFinite else {
                    throw ImportError(file: file, message: "line \(i + 1): '\(f)' is not a finite number")
                }
                row.append(v)
            }
            numbers.append(row)
            lineNumbers.append(i + 1)
        }
        var cursor = 0
        func next(_ count: Int, _ what: String) throws -> [Double] {
            guard cursor < numbers.count else { throw ImportError(file: file, message: "ended early: expected \(what)") }
            let row = numbers[cursor]
            guard row.count >= count else {
                throw ImportError(file: file, message: "line \(lineNumbers[cursor]): expected \(count) values (\(what)), found \(row.count)")
            }
            cursor += 1
            return Array(row.prefix(count))
        }
        let header = try next(4, "layers, inputs, outputs, max layer size").map { Int($0) }
        let (layers, inputs, outputs) = (header[0], header[1], header[2])
        guard layers > 0, inputs > 0, outputs > 0, layers < 10_000 else {
            throw ImportError(file: file, message: "invalid header \(header)")
        }
        let sizes = try next(layers + 1, "layer sizes").map { Int($0) }
        guard sizes.first == inputs, sizes.last == outputs, sizes.allSatisfy({ $0 > 0 && $0 < 1_000_000 }) else {
            throw ImportError(file: file, message: "layer sizes \(sizes) do not match \(inputs) inputs and \(outputs) outputs")
        }
        _ = try next(1, "symmetric flag")
        _ = try next(inputs, "input minimums")
        _ = try next(inputs, "input maximums")
        let means = try next(inputs + 1, "means")
        let ranges = try next(inputs + 1, "ranges")
        guard ranges.allSatisfy({ $0 != 0 }) else { throw ImportError(file: file, message: "a range is zero") }

        var nodes: [Node] = []
        var current: ValueRef = .input
        func append(_ name: String, _ op: String, _ layer: any Layer, size: Int) {
            nodes.append(Node(name: name, opType: op, layer: layer, inputs: [current], shape: [1, size]))
            current = .node(nodes.count - 1)
        }
        let inMeans = means.prefix(inputs).map { Float($0) }, inRanges = ranges.prefix(inputs).map { Float($0) }
        if inMeans.contains(where: { $0 != 0 }) {
            append("normalise_mean", "Sub", try ScaleShift(.subtract, constant: inMeans), size: inputs)
        }
        if inRanges.contains(where: { $0 != 1 }) {
            append("normalise_range", "Div", try ScaleShift(.divide, constant: inRanges), size: inputs)
        }
        for l in 0..<layers {
            let (n, k) = (sizes[l + 1], sizes[l])
            var weights: [Float] = []
            weights.reserveCapacity(n * k)
            for _ in 0..<n { weights += try next(k, "weights of layer \(l + 1)").map { Float($0) } }
            var bias: [Float] = []
            for _ in 0..<n { bias += try next(1, "bias of layer \(l + 1)").map { Float($0) } }
            append("layer\(l + 1)", "Gemm", Dense(outputs: n, inputs: k, weights: weights, bias: bias), size: n)
            if l < layers - 1 { append("relu\(l + 1)", "Relu", ReLU(size: n), size: n) }
        }
        if ranges[inputs] != 1 {
            append("output_range", "Mul", try ScaleShift(.multiply, constant: [Float](repeating: Float(ranges[inputs]), count: outputs)), size: outputs)
        }
        if means[inputs] != 0 {
            append("output_mean", "Add", try ScaleShift(.add, constant: [Float](repeating: Float(means[inputs]), count: outputs)), size: outputs)
        }
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return Network(name: name, inputName: "input", inputShape: [1, inputs], outputName: "output",
                       nodes: nodes, output: nodes.count - 1)
    }
}
