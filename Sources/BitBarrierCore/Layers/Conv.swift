/// ONNX Conv (2-D): pads, strides, dilations, groups, optional bias, as a sparse affine map.
///
/// Output size per spatial axis: floor((in + padBegin + padEnd - (dilation (k - 1) + 1)) / stride) + 1.
/// Output (m, oh, ow) = b[m] + sum over c in m's group, kh, kw of
/// W[m, c, kh, kw] * x[c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw] (zero outside the input).
/// Weights are the model's float32 values, exact in Double: no weight error.
public struct Conv: AffineLayer {
    public let map: AffineMap
    public let inputShape: [Int]   // [C, H, W]
    public let outputShape: [Int]  // [M, OH, OW]

    /// Geometry of a 2-D window operator (shared with pooling).
    public struct Window: Sendable, Equatable {
        public var kernel: [Int]     // [kh, kw]
        public var strides: [Int]    // [sh, sw]
        public var dilations: [Int]  // [dh, dw]
        public var pads: [Int]       // [top, left, bottom, right]
        public var ceilMode: Bool = false

        public init(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], ceilMode: Bool = false) {
            self.kernel = kernel
            self.strides = strides
            self.dilations = dilations
            self.pads = pads
            self.ceilMode = ceilMode
        }

        /// Output extent along `axis` (0 = height, 1 = width) for an input extent, or nil if empty.
        public func outputExtent(_ extent: Int, axis: Int) -> Int? {
            let span = dilations[axis] * (kernel[axis] - 1) + 1
            let padded = extent + pads[axis] + pads[axis + 2] - span
            if padded < 0 { return nil }
            var out = padded / strides[axis] + 1
            if ceilMode && padded % strides[axis] != 0 {
                out += 1
                // The last window must start inside the input or left padding (ONNX rule).
                if (out - 1) * strides[axis] >= extent + pads[axis] { out -= 1 }
            }
            return out
        }
    }

    /// - Parameters:
    ///   - weights: [M, C/group, kh, kw] row-major.
    /// - Parameter runtimeFloat32: the runtime's float32 result matters bit for bit (the layer
    ///   feeds a quantizer): the bounds then cover its float32 accumulation too (see Dense).
    public init(inputShape: [Int], outputChannels: Int, window: Window, group: Int, weights: [Float], bias: [Float]?,
                runtimeFloat32: Bool = false) throws {
        try self.init(inputShape: inputShape, outputChannels: outputChannels, window: window, group: group,
                      exactWeights: weights.map(Double.init), bias: bias?.map(Double.init), runtimeFloat32: runtimeFloat32)
    }

    /// A convolution with weights and bias given exactly as Doubles (integer kernels such as
    /// QLinearConv and ConvInteger: the weights are w - w_zp and the bias the int32 bias, exact;
    /// its concrete result is then float32 of the exact integer accumulator).
    public init(inputShape: [Int], outputChannels: Int, window: Window, group: Int, exactWeights weights: [Double], bias: [Double]?,
                runtimeFloat32: Bool = false) throws {
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let m = outputChannels
        guard group > 0, c % group == 0, m % group == 0 else {
            throw LayerError.invalid("Conv: \(c) input and \(m) output channels are not divisible by group \(group)")
        }
        let cg = c / group, mg = m / group
        let (kh, kw) = (window.kernel[0], window.kernel[1])
        guard weights.count == m * cg * kh * kw else {
            throw LayerError.invalid("Conv: weight has \(weights.count) values, expected \(m)x\(cg)x\(kh)x\(kw)")
        }
        guard let oh = window.outputExtent(h, axis: 0), let ow = window.outputExtent(w, axis: 1) else {
            throw LayerError.invalid("Conv: kernel larger than the padded input \(h)x\(w)")
        }
        var rowStart = [0], column: [Int] = [], value: [Double] = []
        for om in 0..<m {
            let g = om / mg
            for y in 0..<oh {
                for x in 0..<ow {
                    for ic in 0..<cg {
                        let channel = g * cg + ic
                        for ky in 0..<kh {
                            let iy = y * window.strides[0] - window.pads[0] + ky * window.dilations[0]
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = x * window.strides[1] - window.pads[1] + kx * window.dilations[1]
                                if ix < 0 || ix >= w { continue }
                                let wv = weights[((om * cg + ic) * kh + ky) * kw + kx]
                                if wv == 0 { continue }
                                column.append((channel * h + iy) * w + ix)
                                value.append(wv)
                            }
                        }
                    }
                    rowStart.append(column.count)
                }
            }
        }
        var fullBias: [Double]? = nil
        if let bias {
            guard bias.count == m else { throw LayerError.invalid("Conv: bias has \(bias.count) values, expected \(m)") }
            fullBias = (0..<m).flatMap { [Double](repeating: bias[$0], count: oh * ow) }
        }
        self.inputShape = inputShape
        self.outputShape = [m, oh, ow]
        self.parameters = weights.count + (bias?.count ?? 0)
        self.map = AffineMap(
            outputs: m * oh * ow, inputs: c * h * w,
            storage: .sparse(rowStart: rowStart, column: column, value: value), bias: fullBias,
            weightRelativeError: runtimeFloat32 ? AffineMap.float32Accumulation(cg * kh * kw) : 0)
    }

    let parameters: Int
    public var summary: String {
        "Conv \(inputShape.map(String.init).joined(separator: "x"))->\(outputShape.map(String.init).joined(separator: "x"))"
    }
    public var parameterCount: Int { parameters }
}

/// A layer could not be built from the given attributes or weights.
public enum LayerError: Error, CustomStringConvertible, Sendable {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let m): return m
        }
    }
}
