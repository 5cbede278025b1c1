import Foundation
import Logging
import SwitchboardApp
import SwitchboardCore
import Synchronization
import Testing

/// `logging.format`: text or one JSON object per line, every timestamp RFC 3339 with `Z`.
@Suite struct LogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func jsonIsOneObjectPerLineWithEachKeyAField() throws {
        let lines = Lines()
        var logger = Logger(label: "switchboard") { label in SwitchboardLogHandler(label: label, level: .info, format: .json, write: lines.append) }
        logger[metadataKey: LogKey.node] = "node-1"
        logger.info("exchange", metadata: [LogKey.exchangeID: "01a22e13-b9d6-79e3-ac4e-4c8387952106", LogKey.status: "200",
                                           LogKey.rule: "a \"quoted\"\nrule\u{1}", "sb.list": ["a", "b"]])
        logger.debug("not at info")
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1, "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "exchange")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "switchboard")
        #expect(object["sb.exchange.id"] as? String == "01a22e13-b9d6-79e3-ac4e-4c8387952106")
        #expect(object["sb.status"] as? String == "200")
        #expect(object["sb.node"] as? String == "node-1")
        #expect(object["sb.rule"] as? String == "a \"quoted\"\nrule\u{1}")
        #expect(object["sb.list"] as? [String] == ["a", "b"])
        let time = try #require(object["time"] as? String)
        #expect(time.hasSuffix("Z") && Timestamp.parse(time) != nil)
    }

    @Test func textIsOneLineWithKeyValuePairs() throws {
        let lines = Lines()
        let logger = Logger(label: "switchboard") { label in SwitchboardLogHandler(label: label, level: .info, format: .text, write: lines.append) }
        logger.notice("proxy listening", metadata: [LogKey.address: "127.0.0.1:8443", LogKey.rule: "two words"])
        let line = try #require(lines.all.first)
        let pattern = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z notice switchboard: proxy listening sb\.address=127\.0\.0\.1:8443 sb\.rule="two words"\n/
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }
}
