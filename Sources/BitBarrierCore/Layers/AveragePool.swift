/// ONNX AveragePool (2-D) as a sparse affine map with weights 1/count.
///
/// Window (oh, ow) covers rows [oh*sh - pt, +kh) clipped to in + pb (and columns likewise), as
/// onnxruntime's pool kernel does; the divisor is that clipped window's size when
/// count_include_pad = 1, else the number of in-bounds elements. 1/count is a rounded quotient,
/// so the map carries weight relative error u (AffineMap).
///
/// Concrete: onnxruntime's float32 arithmetic, the window summed in float32 in row-major order and
/// divided by the count; in int8 graphs the last bit decides ties at the next quantizer.
public struct AveragePool: AffineLayer {
    public let map: AffineMap
    public let inputShape: [Int]
    public let outputShape: [Int]
    /// Divisor of each output.
    let counts: [Float]

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let x = inputs[0]
        return (0..<windows.count).map { o in
            // onnxruntime's float pool kernel (MLAS) adds the window's rows elementwise first, then
            // the column sums: (a + c) + (b + d) for a 2x2 window (matched on every element of the
            // quantized CNN example; larger windows follow the same order, not separately checked).
            let w = windows[o]
            var total: Float = 0
            for j in 0..<w.columns.count {
                var column: Float = 0
                for r in 0..<w.rows.count { column += x[w.rows[r] + w.columns[j]] }
                total = j == 0 ? column : total + column
            }
            return total / counts[o]
        }
    }

    /// One output's window: input offsets of its rows (channel and row) and of its columns.
    struct Window: Sendable {
        var rows: [Int]
        var columns: [Int]
    }

    let windows: [Window]

    public init(inputShape: [Int], window: Conv.Window, countIncludePad: Bool, runtimeFloat32: Bool = false) throws {
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        guard window.dilations == [1, 1] else { throw LayerError.invalid("AveragePool: dilations are not supported") }
        guard let oh = window.outputExtent(h, axis: 0), let ow = window.outputExtent(w, axis: 1) else {
            throw LayerError.invalid("AveragePool: kernel larger than the padded input \(h)x\(w)")
        }
        var rowStart = [0], column: [Int] = [], value: [Double] = []
        var counts: [Float] = []
        var windows: [Window] = []
        for ch in 0..<c {
            for y in 0..<oh {
                var y0 = y * window.strides[0] - window.pads[0]
                var y1 = min(y0 + window.kernel[0], h + window.pads[2])
                let padH = y1 - y0
                y0 = max(y0, 0); y1 = min(y1, h)
                for x in 0..<ow {
                    var x0 = x * window.strides[1] - window.pads[1]
                    var x1 = min(x0 + window.kernel[1], w + window.pads[3])
                    let padW = x1 - x0
                    x0 = max(x0, 0); x1 = min(x1, w)
                    let count = countIncludePad ? padH * padW : (y1 - y0) * (x1 - x0)
                    let weight = count > 0 ? 1.0 / Double(count) : 0
                    counts.append(Float(max(count, 1)))
                    windows.append(Window(rows: (y0..<max(y1, y0)).map { (ch * h + $0) * w }, columns: Array(x0..<max(x1, x0))))
                    for iy in max(y0, 0)..<max(y1, y0) {
                        for ix in max(x0, 0)..<max(x1, x0) {
                            column.append((ch * h + iy) * w + ix)
                            value.append(weight)
                        }
                    }
                    rowStart.append(column.count)
                }
            }
        }
        self.inputShape = inputShape
        self.outputShape = [c, oh, ow]
        self.counts = counts
        self.windows = windows
        self.map = AffineMap(
            outputs: c * oh * ow, inputs: c * h * w,
            storage: .sparse(rowStart: rowStart, column: column, value: value),
            weightRelativeError: runtimeFloat32
                ? FloatError.unitRoundoff + AffineMap.float32Accumulation(window.kernel[0] * window.kernel[1] + 1)
                : FloatError.unitRoundoff)
    }

    public var summary: String { "AveragePool \(inputShape.map(String.init).joined(separator: "x"))->\(outputShape.map(String.init).joined(separator: "x"))" }
    public var parameterCount: Int { 0 }
}
