import Foundation
public import Logging
import SwitchboardCore

/// Switchboard's log lines on standard error, one per event, flushed as written:
/// - `text`: `2026-11-30T17:58:57.446Z info switchboard: exchange sb.exchange.id=… sb.status=200 …`
/// - `json`: one object per line, `{"time":…,"level":…,"label":…,"message":…}` with each
///   metadata key (``LogKey``) as a field of its own, for Splunk, Elastic or Loki to index.
///
/// swift-log's own `StreamLogHandler` writes text only, with a zone offset that is not
/// RFC 3339; the maintained JSON handlers need backends (OTLP, syslog) this service does not
/// run, so the few lines of formatting live here.
public struct SwitchboardLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LoggingConfiguration.Format
    let write: @Sendable (String) -> Void

    /// A handler writing each line to `write` (tests collect them).
    public init(label: String, level: Logger.Level, format: LoggingConfiguration.Format, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.write = write
    }

    /// A handler writing to standard error, a line per write.
    public init(label: String, level: Logger.Level, format: LoggingConfiguration.Format) {
        self.init(label: label, level: level, format: format) { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message
        var fields = self.metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        if let error = event.error { fields[LogKey.error] = "\(error)" }
        let time = Timestamp.rfc3339(Date())
        switch format {
        case .text:
            let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.text($0.value))" }.joined(separator: " ")
            write("\(time) \(level) \(label): \(message)\(rendered.isEmpty ? "" : " " + rendered)\n")
        case .json:
            var object = "{\"time\":\"\(time)\",\"level\":\"\(level)\",\"label\":" + Self.quoted(label) + ",\"message\":" + Self.quoted(message.description)
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !["time", "level", "label", "message"].contains(key) {
                object += "," + Self.quoted(key) + ":" + Self.json(value)
            }
            write(object + "}\n")
        }
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        let plain = value.description
        return plain.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? quoted(plain) : plain
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values): "{" + values.sorted(by: { $0.key < $1.key }).map { quoted($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, so a line stays one line.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension LoggingConfiguration {
    /// Sets up swift-log for the process in this configuration's level and format; returns the
    /// process's logger.
    public func bootstrap() -> Logger {
        let level = Logger.Level(rawValue: self.level) ?? .info
        let format = self.format
        LoggingSystem.bootstrap { label in SwitchboardLogHandler(label: label, level: level, format: format) }
        var logger = Logger(label: "switchboard")
        logger.logLevel = level
        return logger
    }
}
