import Foundation

/// Horizontal bar charts as inline SVG (no script, no external asset), with a text table's
/// worth of labels so the figures read without the picture.
enum ConsoleCharts {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func bars(_ values: [(String, Double)], unit: String, title: String, breakdown: [String]) -> String {
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
        svg += "</svg>"
        if !breakdown.isEmpty {
            svg += "<p class=\"hint\">By provider ASID: \(breakdown.map(escape).joined(separator: ", "))</p>"
        }
        return svg
    }
}
