public import Foundation

/// A whole period's records written as one document — one CSV header, one JSON object, one FHIR
/// Bundle, or a line per record (NDJSON, of records or of FHIR AuditEvents) — read from the store a page at a time, oldest first, so memory stays flat however
/// many records match. `switchboard audit export` and `GET /audit/export` both write through
/// here.
public enum AuditExportStream {
    /// Records read per page.
    public static let pageSize = 1000

    /// Writes every exchange matching `query` (its paging ignored) in `format`, a page per call
    /// of `write`; returns how many records were written.
    @discardableResult
    public static func write(from store: any AuditStore, query: AuditQuery, format: AuditExport.Format,
                             to write: (Data) async throws -> Void) async throws -> Int {
        var query = query
        query.order = .oldestFirst
        query.limit = pageSize
        query.cursor = nil
        try await write(Data(opening(format).utf8))
        var count = 0
        while true {
            let page = try await store.exchanges(query)
            if !page.records.isEmpty {
                var chunk = Data()
                if count > 0 { chunk.append(contentsOf: pageSeparator(format).utf8) }
                chunk.append(try encode(page.records, format))
                try await write(chunk)
                count += page.records.count
            }
            guard let next = page.nextCursor else { break }
            query.cursor = next
        }
        try await write(Data(closing(format).utf8))
        return count
    }

    static func opening(_ format: AuditExport.Format) -> String {
        switch format {
        case .csv: AuditExport.csvColumns.joined(separator: ",") + "\r\n"
        case .json: #"{"records":["#
        case .fhir: #"{"resourceType":"Bundle","type":"collection","entry":["#
        case .ndjson, .fhirNDJSON: ""
        }
    }

    static func closing(_ format: AuditExport.Format) -> String {
        switch format {
        case .csv, .ndjson, .fhirNDJSON: ""
        case .json, .fhir: "]}"
        }
    }

    /// What goes between two pages: a comma inside the JSON array of a document, nothing between lines.
    static func pageSeparator(_ format: AuditExport.Format) -> String {
        switch format {
        case .csv, .ndjson, .fhirNDJSON: ""
        case .json, .fhir: ","
        }
    }

    /// The page's records, comma-separated for JSON and FHIR (without the enclosing brackets).
    public static func encode(_ records: [ExchangeRecord], _ format: AuditExport.Format) throws -> Data {
        switch format {
        case .csv:
            return Data(AuditExport.csv(records, header: false).utf8)
        case .json:
            return try AuditExport.encoder.encode(records).dropFirst().dropLast()
        case .fhir:
            return try AuditExport.encoder.encode(records.map(FHIRAuditBundle.Entry.init)).dropFirst().dropLast()
        case .ndjson:
            return try lines(records) { try AuditExport.encoder.encode($0) }
        case .fhirNDJSON:
            return try lines(records) { try AuditExport.encoder.encode(FHIRAuditEvent($0)) }
        }
    }

    /// Each record encoded on a line of its own (the encoder writes no line breaks).
    private static func lines(_ records: [ExchangeRecord], _ encode: (ExchangeRecord) throws -> Data) throws -> Data {
        var data = Data()
        for record in records {
            data.append(try encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    /// The MIME type of each format's document.
    public static func contentType(_ format: AuditExport.Format) -> String {
        switch format {
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        case .fhir: "application/fhir+json"
        case .ndjson: "application/x-ndjson"
        case .fhirNDJSON: "application/fhir+ndjson"
        }
    }

    /// The file name extension of each format's document.
    public static func fileExtension(_ format: AuditExport.Format) -> String {
        switch format {
        case .csv: "csv"
        case .json, .fhir: "json"
        case .ndjson, .fhirNDJSON: "ndjson"
        }
    }
}
