extension Dataset {
    /// Loads features from a `.npy` of shape [N, d1, d2, ...] (each sample flattened in C order
    /// to d1 * d2 * ... features) and optional labels from a `.npy` of shape [N].
    ///
    /// Features may be `<f4`, `<f8` or `|u1` (integer dtypes are accepted too); labels `<i8`,
    /// `<i4`, `|u1` (or a float dtype holding whole numbers). With `pixelScale`, every feature
    /// is divided by it.
    ///
    /// - Throws: ``DataError`` for a malformed or truncated file, Fortran order, a non-finite
    ///   feature, labels that are not nonnegative integers, or a label count different from N.
    public static func loadNPY(features: String, labels: String?, pixelScale: Float? = nil) throws -> Dataset {
        try validate(pixelScale: pixelScale, file: features)
        let x = try NPYArray.read(features)
        guard let n = x.shape.first, n > 0 else {
            throw DataError(file: features, message: "expected features of shape [N, ...] with N > 0, found shape \(x.shape)")
        }
        let width = x.values.count / n
        guard width > 0 else { throw DataError(file: features, message: "samples of shape \(x.shape) have no features") }
        var rows: [[Float]] = []
        rows.reserveCapacity(n)
        for i in 0..<n {
            var row = [Float](repeating: 0, count: width)
            for k in 0..<width {
                let v = x.values[i * width + k]
                guard v.isFinite else {
                    throw DataError(file: features, message: "sample \(i) feature \(k) is not finite (\(v))")
                }
                guard Float(v).isFinite else {
                    throw DataError(file: features, message: "sample \(i) feature \(k) (\(v)) does not fit in float32")
                }
                row[k] = pixelScale.map { Float(v) / $0 } ?? Float(v)
            }
            rows.append(row)
        }
        guard let labels else { return Dataset(features: rows, labels: nil, width: width, source: features) }
        let y = try NPYArray.read(labels)
        guard y.shape.count == 1 else {
            throw DataError(file: labels, message: "expected labels of shape [N], found shape \(y.shape)")
        }
        guard y.values.count == n else {
            throw DataError(file: labels, message: "\(y.values.count) labels for \(n) samples in \(features)")
        }
        let values = try y.values.enumerated().map { i, v -> Int in
            guard v.isFinite, v >= 0, v == v.rounded(), v < 2_147_483_648 else {
                throw DataError(file: labels, message: "label \(v) at index \(i) is not a nonnegative integer")
            }
            return Int(v)
        }
        return Dataset(features: rows, labels: values, width: width, source: features)
    }
}
