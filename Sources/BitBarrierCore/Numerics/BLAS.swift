import CBLAS

/// The one place BitBarrier calls OpenBLAS.
///
/// Every product computed here is an ordinary round-to-nearest floating-point result. Callers
/// that need a sound bound add the rigorous error term of `FloatError.dotProduct(length:)`
/// (|fl(a.b) - a.b| <= gamma_n |a|.|b| for any summation order, FMA included).
public enum BLAS {
    /// Pins OpenBLAS to one thread: BitBarrier parallelises over inputs itself, and two thread
    /// pools on two cores made mixed workloads ~1.5x slower (SWIFT-NOTES.md).
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// C = A * B for row-major A (m x k) and B (k x n); returns row-major C (m x n).
    public static func multiply(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        precondition(a.count == m * k && b.count == k * n, "BLAS.multiply: shape mismatch")
        if m == 0 || n == 0 || k == 0 { return [Double](repeating: 0, count: m * n) }
        // dgemm with beta = 0 writes every element: no need to zero the buffer first.
        return [Double](unsafeUninitializedCapacity: m * n) { pc, initialized in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    cblas_dgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1.0,
                        pa.baseAddress, Int32(k), pb.baseAddress, Int32(n),
                        0.0, pc.baseAddress, Int32(n))
                }
            }
            initialized = m * n
        }
    }

    /// y = A * x for row-major A (m x n).
    public static func multiply(_ a: [Double], vector x: [Double], m: Int, n: Int) -> [Double] {
        precondition(a.count == m * n && x.count == n, "BLAS.multiply(vector:): shape mismatch")
        var y = [Double](repeating: 0, count: m)
        if m == 0 || n == 0 { return y }
        a.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1.0,
                        pa.baseAddress, Int32(n), px.baseAddress, 1, 0.0, py.baseAddress, 1)
                }
            }
        }
        return y
    }
}
