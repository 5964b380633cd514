import Foundation

/// Minimal inline SVG charts (no scripts, no external resources).
enum SVG {
    static let width = 560.0, height = 300.0, left = 56.0, right = 16.0, top = 16.0, bottom = 44.0

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Axes with ticks; returns the SVG fragment and the mapping functions.
    static func frame(xMax: Double, yMax: Double, xLabel: String, yLabel: String) -> (String, (Double) -> Double, (Double) -> Double) {
        let pw = width - left - right, ph = height - top - bottom
        let x = { (v: Double) in left + pw * (xMax > 0 ? v / xMax : 0) }
        let y = { (v: Double) in top + ph * (1 - (yMax > 0 ? v / yMax : 0)) }
        var s = "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"#fff\" stroke=\"#888\"/>"
        for i in 0...5 {
            let xv = xMax * Double(i) / 5, yv = yMax * Double(i) / 5
            s += "<line x1=\"\(f(x(xv)))\" y1=\"\(f(top + ph))\" x2=\"\(f(x(xv)))\" y2=\"\(f(top + ph + 4))\" stroke=\"#888\"/>"
            s += "<text x=\"\(f(x(xv)))\" y=\"\(f(top + ph + 16))\" font-size=\"11\" text-anchor=\"middle\">\(String(format: "%.3g", xv))</text>"
            s += "<line x1=\"\(f(left - 4))\" y1=\"\(f(y(yv)))\" x2=\"\(f(left + pw))\" y2=\"\(f(y(yv)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(yv) + 4))\" font-size=\"11\" text-anchor=\"end\">\(String(format: "%.3g", yv))</text>"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 6))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text x=\"14\" y=\"\(f(top + ph / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + ph / 2)))\">\(escape(yLabel))</text>"
        return (s, x, y)
    }

    static func open(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
    }

    /// Step curves of fraction vs eps (certified and attack), the field's standard plot.
    static func accuracyCurves(_ c: Curves, title: String) -> String {
        let (axes, x, y) = frame(xMax: c.eps.last ?? 1, yMax: 1, xLabel: "radius eps (L-infinity)", yLabel: "fraction of inputs")
        func path(_ v: [Double]) -> String {
            var d = "M \(f(x(c.eps[0]))) \(f(y(v[0])))"
            for i in 1..<v.count { d += " H \(f(x(c.eps[i]))) V \(f(y(v[i])))" }
            return d
        }
        var s = open(title) + axes
        if let a = c.attack {
            s += "<path d=\"\(path(a))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
        }
        s += "<path d=\"\(path(c.certified))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2.5\"/>"
        s += "<rect x=\"\(f(width - right - 190))\" y=\"\(f(top + 8))\" width=\"180\" height=\"\(c.attack == nil ? 24 : 42)\" fill=\"#fff\" stroke=\"#ccc\"/>"
        s += "<line x1=\"\(f(width - right - 182))\" y1=\"\(f(top + 20))\" x2=\"\(f(width - right - 158))\" y2=\"\(f(top + 20))\" stroke=\"#1f77b4\" stroke-width=\"2.5\"/>"
        s += "<text x=\"\(f(width - right - 152))\" y=\"\(f(top + 24))\" font-size=\"11\">certified (proved)</text>"
        if c.attack != nil {
            s += "<line x1=\"\(f(width - right - 182))\" y1=\"\(f(top + 38))\" x2=\"\(f(width - right - 158))\" y2=\"\(f(top + 38))\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
            s += "<text x=\"\(f(width - right - 152))\" y=\"\(f(top + 42))\" font-size=\"11\">no attack found (upper bound)</text>"
        }
        return s + "</svg>"
    }

    /// Histogram of certified radii.
    static func histogram(_ values: [Double], title: String, bins: Int = 20) -> String {
        let top = max(values.max() ?? 0, 1e-6)
        var counts = [Int](repeating: 0, count: bins)
        for v in values { counts[min(bins - 1, Int(v / top * Double(bins)))] += 1 }
        // Counts are integers: a y range that is a multiple of 5 gives integer ticks.
        let yMax = Double(((max(counts.max() ?? 1, 1) + 4) / 5) * 5)
        let (axes, x, y) = frame(xMax: top, yMax: yMax, xLabel: "certified radius", yLabel: "inputs")
        var s = open(title) + axes
        for (i, c) in counts.enumerated() where c > 0 {
            let x0 = x(top * Double(i) / Double(bins)), x1 = x(top * Double(i + 1) / Double(bins))
            s += "<rect x=\"\(f(x0 + 1))\" y=\"\(f(y(Double(c))))\" width=\"\(f(max(1, x1 - x0 - 2)))\" height=\"\(f(y(0) - y(Double(c))))\" fill=\"#1f77b4\"/>"
        }
        return s + "</svg>"
    }

    /// Scatter of the radius of the same input under two results (e.g. FP32 vs int8), with y = x.
    static func scatter(_ points: [(Double, Double)], xLabel: String, yLabel: String, title: String) -> String {
        let top = max(points.map { max($0.0, $0.1) }.max() ?? 0, 1e-6) * 1.05
        let (axes, x, y) = frame(xMax: top, yMax: top, xLabel: xLabel, yLabel: yLabel)
        var s = open(title) + axes
        s += "<line x1=\"\(f(x(0)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(top)))\" y2=\"\(f(y(top)))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
        for (a, b) in points { s += "<circle cx=\"\(f(x(a)))\" cy=\"\(f(y(b)))\" r=\"3.5\" fill=\"#1f77b4\" fill-opacity=\"0.7\"/>" }
        return s + "</svg>"
    }

    /// Horizontal bars: per layer, the fraction of neurons fixed to one bin (and the rest widened).
    static func absorptionBars(_ layers: [(name: String, fixed: Double, width: Double)], title: String) -> String {
        let rowH = 26.0, top = 28.0, left = 210.0, barW = 300.0
        let h = top + rowH * Double(layers.count) + 24, w = left + barW + 190
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(escape(title))\">"
        s += "<text x=\"\(f(left))\" y=\"16\" font-size=\"11\">fixed to one bin (blue) / widened (orange); width in bins at right</text>"
        for (k, l) in layers.enumerated() {
            let y = top + rowH * Double(k)
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 15))\" font-size=\"11\" text-anchor=\"end\">\(escape(String(l.name.prefix(32))))</text>"
            s += "<rect x=\"\(f(left))\" y=\"\(f(y + 4))\" width=\"\(f(barW * l.fixed))\" height=\"16\" fill=\"#1f77b4\"/>"
            s += "<rect x=\"\(f(left + barW * l.fixed))\" y=\"\(f(y + 4))\" width=\"\(f(barW * (1 - l.fixed)))\" height=\"16\" fill=\"#ff7f0e\"/>"
            s += "<text x=\"\(f(left + barW + 6))\" y=\"\(f(y + 15))\" font-size=\"11\">\(String(format: "%.0f%% fixed, width %.2f", 100 * l.fixed, l.width))</text>"
        }
        return s + "</svg>"
    }

    /// A per-pixel heatmap of the fraction of inputs whose coordinate is absorbed (images only).
    static func heatmap(_ values: [Double], rows: Int, columns: Int, title: String) -> String {
        let cell = min(16.0, 320.0 / Double(max(rows, columns)))
        let w = cell * Double(columns) + 120, h = cell * Double(rows) + 10
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(escape(title))\">"
        for r in 0..<rows {
            for c in 0..<columns {
                let v = values[r * columns + c]
                let shade = Int(255 * (1 - v))
                s += "<rect x=\"\(f(Double(c) * cell))\" y=\"\(f(Double(r) * cell))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"rgb(\(shade),\(shade),255)\"><title>pixel (\(r), \(c)): absorbed for \(String(format: "%.0f%%", 100 * v)) of inputs</title></rect>"
            }
        }
        s += "<text x=\"\(f(cell * Double(columns) + 8))\" y=\"14\" font-size=\"11\">dark: absorbed</text>"
        s += "<text x=\"\(f(cell * Double(columns) + 8))\" y=\"30\" font-size=\"11\">white: crosses a bin</text>"
        return s + "</svg>"
    }
}
