import Foundation

/// Horizontal bar charts as inline SVG (no script, no external asset), each bar labelled with
/// its figure so the chart reads without the picture.
enum ConsoleCharts {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func bars(_ values: [(String, Double)], unit: String, title: String) -> String {
        guard !values.isEmpty else { return "<p>Nothing in this period.</p>" }
        let rowHeight = 22, labelWidth = 220, barWidth = 420
        let maximum = max(values.map(\.1).max() ?? 1, 1)
        let height = values.count * rowHeight + 8
        var svg = "<svg role=\"img\" aria-label=\"\(escape(title))\" width=\"\(labelWidth + barWidth + 90)\" height=\"\(height)\" viewBox=\"0 0 \(labelWidth + barWidth + 90) \(height)\">"
        svg += "<title>\(escape(title))</title>"
        for (index, (label, value)) in values.enumerated() {
            let y = index * rowHeight + 4
            let width = Int((value / maximum * Double(barWidth)).rounded())
            let figure = value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(escape(label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(max(width, 1))\" height=\"\(rowHeight - 6)\"><title>\(escape(label)): \(figure) \(escape(unit))</title></rect>"
            svg += "<text x=\"\(labelWidth + max(width, 1) + 6)\" y=\"\(y + 14)\">\(figure) \(escape(unit))</text>"
        }
        return svg + "</svg>"
    }

    /// Stacked horizontal bars: one bar per row, a segment per series, with a legend; each
    /// segment carries its figure as a tooltip, and the totals stand beside the bars.
    static func stacked(_ rows: [(String, [(String, Int)])], title: String) -> String {
        guard !rows.isEmpty else { return "<p>Nothing in this period.</p>" }
        let series = Array(Set(rows.flatMap { $0.1.map(\.0) })).sorted()
        let shades = ["#005eb8", "#41b6e6", "#768692", "#ffb81c", "#009639", "#ae2573", "#330072", "#8a1538"]
        let rowHeight = 22, labelWidth = 120, barWidth = 480
        let maximum = max(rows.map { $0.1.reduce(0) { $0 + $1.1 } }.max() ?? 1, 1)
        let legendHeight = 20 * ((series.count + 3) / 4)
        let height = rows.count * rowHeight + legendHeight + 12
        let width = labelWidth + barWidth + 110
        var svg = "<svg role=\"img\" aria-label=\"\(escape(title))\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg += "<title>\(escape(title))</title>"
        for (index, (label, parts)) in rows.enumerated() {
            let y = index * rowHeight + 4
            var x = labelWidth
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(escape(label))</text>"
            for (name, count) in parts {
                let segment = max(Int((Double(count) / Double(maximum) * Double(barWidth)).rounded()), 1)
                let shade = shades[(series.firstIndex(of: name) ?? 0) % shades.count]
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(segment)\" height=\"\(rowHeight - 6)\" fill=\"\(shade)\"><title>\(escape(label)) \(escape(name)): \(count)</title></rect>"
                x += segment
            }
            svg += "<text x=\"\(x + 6)\" y=\"\(y + 14)\">\(parts.reduce(0) { $0 + $1.1 })</text>"
        }
        let legendTop = rows.count * rowHeight + 10
        for (index, name) in series.enumerated() {
            let x = (index % 4) * 170, y = legendTop + (index / 4) * 20
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"12\" height=\"12\" fill=\"\(shades[index % shades.count])\"></rect>"
            svg += "<text x=\"\(x + 16)\" y=\"\(y + 11)\">\(escape(name))</text>"
        }
        return svg + "</svg>"
    }
}
