import Foundation

/// Small, dependency-free SVG charts for the report: line charts with axes, ticks and a legend,
/// and a labelled heatmap. Everything is inline, so report.html is one self-contained file.
enum SVGChart {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var stepped = false
        /// Drawn dashed, without markers: a reference line such as the warm start.
        var dashed = false
        /// Overrides the palette's colour for this series (the same arm, the same colour, in
        /// every chart).
        var color: String?
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        if abs(value) >= 100 { return String(format: "%.0f", value) }
        if abs(value) >= 1 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    /// A tick label with as many decimals as the tick step needs, so that neighbouring labels
    /// never print alike (0.325 and 0.3275 at step 0.0025 would both be "0.33" at two).
    static func format(_ value: Double, step: Double) -> String {
        guard step > 0, step.isFinite else { return format(value) }
        var decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        let scaled = step * pow(10, Double(decimals))
        if abs(scaled - scaled.rounded()) > 1e-6 { decimals += 1 }  // 2.5 x 10^k needs one more
        return String(format: "%.\(min(decimals, 8))f", value)
    }

    /// The step of `ticks` (0 for fewer than two).
    static func step(_ ticks: [Double]) -> Double { ticks.count > 1 ? ticks[1] - ticks[0] : 0 }

    /// The opening tag of a chart: it scales to the width of its container (viewBox).
    static func open(_ width: Double, _ height: Double, _ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"\(escape(title))\">"
    }

    /// Rounded tick positions covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var value = ceil(low / step) * step
        while value <= high + step * 1e-9 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    static func lineChart(title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil,
                          width: Double = 640, height: Double = 340) -> String {
        let all = series.flatMap(\.points)
        guard !all.isEmpty else { return "<p class=\"empty\">\(escape(title)): no data.</p>" }
        let left = 62.0, right = 190.0, top = 34.0, bottom = 48.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        var xLow = all.map(\.x).min()!, xHigh = all.map(\.x).max()!
        if xLow == xHigh { xLow -= 1; xHigh += 1 }
        var yLow = yRange?.lowerBound ?? all.map(\.y).min()!, yHigh = yRange?.upperBound ?? all.map(\.y).max()!
        if yLow == yHigh { yLow -= 0.5; yHigh += 0.5 }
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yLow) / (yHigh - yLow)) * plotHeight }
        var svg = open(width, height, title)
        svg += "<text x=\"\(left)\" y=\"20\" class=\"title\">\(escape(title))</text>"
        let yTicks = ticks(yLow, yHigh), xTicks = ticks(xLow, xHigh)
        for tick in yTicks {
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(py(tick))\" y2=\"\(py(tick))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 8)\" y=\"\(py(tick) + 4)\" class=\"tick\" text-anchor=\"end\">\(format(tick, step: step(yTicks)))</text>"
        }
        for tick in xTicks {
            svg += "<line x1=\"\(px(tick))\" x2=\"\(px(tick))\" y1=\"\(top + plotHeight)\" y2=\"\(top + plotHeight + 5)\" class=\"axis\"/>"
            svg += "<text x=\"\(px(tick))\" y=\"\(top + plotHeight + 19)\" class=\"tick\" text-anchor=\"middle\">\(format(tick, step: step(xTicks)))</text>"
        }
        svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(top + plotHeight)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" x2=\"\(left)\" y1=\"\(top)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 8)\" class=\"label\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg += "<text transform=\"translate(16 \(top + plotHeight / 2)) rotate(-90)\" class=\"label\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        for (index, one) in series.enumerated() {
            let color = one.color ?? palette[index % palette.count]
            var path = ""
            for (n, point) in one.points.enumerated() {
                if n == 0 { path += "M\(px(point.x)),\(py(point.y))" }
                else if one.stepped { path += " H\(px(point.x)) V\(py(point.y))" }
                else { path += " L\(px(point.x)),\(py(point.y))" }
            }
            svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(one.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            if one.points.count <= 12 && !one.stepped && !one.dashed {
                for point in one.points { svg += "<circle cx=\"\(px(point.x))\" cy=\"\(py(point.y))\" r=\"3\" fill=\"\(color)\"/>" }
            }
            let y = top + 8 + Double(index) * 18
            svg += "<line x1=\"\(width - right + 14)\" x2=\"\(width - right + 34)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"\(color)\" stroke-width=\"3\"/>"
            svg += "<text x=\"\(width - right + 40)\" y=\"\(y + 4)\" class=\"legend\">\(escape(one.name))</text>"
        }
        return svg + "</svg>"
    }

    /// A square matrix of values in [0, 1], shaded, with the values written in.
    static func heatmap(title: String, labels: [String], values: [[Double]], cell: Double = 46) -> String {
        guard !labels.isEmpty else { return "<p class=\"empty\">\(escape(title)): no data.</p>" }
        let left = 90.0, top = 58.0
        let size = Double(labels.count) * cell
        var svg = open(left + size + 20, top + size + 20, title)
        svg += "<text x=\"10\" y=\"20\" class=\"title\">\(escape(title))</text>"
        for (i, label) in labels.enumerated() {
            svg += "<text x=\"\(left + (Double(i) + 0.5) * cell)\" y=\"\(top - 8)\" class=\"tick\" text-anchor=\"middle\">\(escape(label))</text>"
            svg += "<text x=\"\(left - 8)\" y=\"\(top + (Double(i) + 0.5) * cell + 4)\" class=\"tick\" text-anchor=\"end\">\(escape(label))</text>"
            for (j, value) in values[i].enumerated() {
                let shade = Int(255 - value * 180)
                svg += "<rect x=\"\(left + Double(j) * cell)\" y=\"\(top + Double(i) * cell)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"rgb(\(shade),\(shade + Int(value * 40)),255)\"/>"
                svg += "<text x=\"\(left + (Double(j) + 0.5) * cell)\" y=\"\(top + (Double(i) + 0.5) * cell + 4)\" class=\"cell\" text-anchor=\"middle\">\(String(format: "%.2f", value))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// One row per name: a point at the mean and a whisker over its interval, against a zero
    /// line (paired differences).
    static func intervals(title: String, xLabel: String, rows: [(name: String, mean: Double, low: Double, high: Double)],
                          colors: [String]? = nil, width: Double = 900) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(escape(title)): no data.</p>" }
        let left = 130.0, right = 30.0, top = 34.0, rowHeight = 26.0, bottom = 44.0
        let height = top + Double(rows.count) * rowHeight + bottom, plotWidth = width - left - right
        var low = min(0, rows.map(\.low).min()!), high = max(0, rows.map(\.high).max()!)
        if low == high { low -= 0.01; high += 0.01 }
        let pad = (high - low) * 0.05
        low -= pad
        high += pad
        func px(_ x: Double) -> Double { left + (x - low) / (high - low) * plotWidth }
        var svg = open(width, height, title) + "<text x=\"10\" y=\"20\" class=\"title\">\(escape(title))</text>"
        let xTicks = ticks(low, high, count: 6)
        for tick in xTicks {
            svg += "<line x1=\"\(px(tick))\" x2=\"\(px(tick))\" y1=\"\(top)\" y2=\"\(height - bottom)\" class=\"grid\"/>"
            svg += "<text x=\"\(px(tick))\" y=\"\(height - bottom + 16)\" class=\"tick\" text-anchor=\"middle\">\(format(tick, step: step(xTicks)))</text>"
        }
        svg += "<line x1=\"\(px(0))\" x2=\"\(px(0))\" y1=\"\(top)\" y2=\"\(height - bottom)\" class=\"axis\"/>"
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 8)\" class=\"label\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        for (i, row) in rows.enumerated() {
            let y = top + (Double(i) + 0.5) * rowHeight, color = colors?[i] ?? palette[i % palette.count]
            svg += "<text x=\"\(left - 10)\" y=\"\(y + 4)\" class=\"tick\" text-anchor=\"end\">\(escape(row.name))</text>"
            svg += "<line x1=\"\(px(row.low))\" x2=\"\(px(row.high))\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            svg += "<circle cx=\"\(px(row.mean))\" cy=\"\(y)\" r=\"4\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(px(row.high) + 6)\" y=\"\(y + 4)\" class=\"cell\">\(String(format: "%+.3f", row.mean))</text>"
        }
        return svg + "</svg>"
    }

    /// One horizontal bar per row, split into shares (each row's values sum to 1), with a legend.
    static func stackedBars(title: String, parts: [String], rows: [(name: String, shares: [Double])], width: Double = 900) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(escape(title)): no data.</p>" }
        let left = 130.0, right = 30.0, top = 56.0, rowHeight = 26.0
        let height = top + Double(rows.count) * rowHeight + 16, plotWidth = width - left - right
        var svg = open(width, height, title) + "<text x=\"10\" y=\"20\" class=\"title\">\(escape(title))</text>"
        for (j, part) in parts.enumerated() {
            let x = left + Double(j) * 130
            svg += "<rect x=\"\(x)\" y=\"30\" width=\"14\" height=\"12\" fill=\"\(palette[j % palette.count])\"/>"
            svg += "<text x=\"\(x + 20)\" y=\"41\" class=\"legend\">\(escape(part))</text>"
        }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            svg += "<text x=\"\(left - 10)\" y=\"\(y + 15)\" class=\"tick\" text-anchor=\"end\">\(escape(row.name))</text>"
            var x = left
            for (j, share) in row.shares.enumerated() where share > 0 {
                let w = share * plotWidth
                svg += "<rect x=\"\(x)\" y=\"\(y + 2)\" width=\"\(w)\" height=\"\(rowHeight - 6)\" fill=\"\(palette[j % palette.count])\"/>"
                if w > 34 { svg += "<text x=\"\(x + w / 2)\" y=\"\(y + 16)\" class=\"cell\" text-anchor=\"middle\" fill=\"#fff\">\(String(format: "%.0f%%", share * 100))</text>" }
                x += w
            }
        }
        return svg + "</svg>"
    }
}
