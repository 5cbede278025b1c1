import Foundation
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// The console in a real browser: headless Chromium driven over the DevTools protocol by
/// `Tests/Browser/console_journey.py` against the real management listener. Screenshots of
/// each page land in `.build/console-screenshots/`.
@Suite struct ConsoleBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromium)
            && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/websocket/__init__.py")
    }

    @Test func theBrowserIsThereWhenTheRunNeedsIt() {
        let required = ProcessInfo.processInfo.environment["BROWSER_TEST_REQUIRED"] == "1"
        #expect(!required || Self.available, "scripts/test needs chromium and python3-websocket (scripts/install-dependencies installs them)")
    }

    @Test(.enabled(if: available, "needs Debian's chromium and python3-websocket (scripts/install-dependencies installs them)"))
    func signInSearchOpenExportAndEditInChromium() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let trace = UUID().uuidString
            #expect(try await harness.send(headers: harness.sspHeaders(traceID: trace)).status == 200)
            let screenshots = Repository.root.appendingPathComponent(".build/console-screenshots")
            let moved = "https://gpconnect-moved.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect"
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("console-journey-\(UUID().uuidString).log")
            defer { try? FileManager.default.removeItem(at: output) }
            let process = try BackgroundProgram("/usr/bin/python3", [
                Repository.root.appendingPathComponent("Tests/Browser/console_journey.py").path,
                "--url", "https://localhost:\(harness.managementPort!)", "--certificate", harness.pki.proxy.certificate,
                "--auditor-token", harness.auditorToken!, "--admin-token", harness.adminToken!, "--trace", trace,
                "--endpoint", "S20001A100001", "--new-address", moved, "--screenshots", screenshots.path,
            ], output: output)
            let started = ContinuousClock.now
            while process.isRunning && started.duration(to: .now) < .seconds(120) { try await Task.sleep(for: .milliseconds(100)) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == 0, "\(log)")
            for step in ["auditor signs in", "search by trace id", "open the record", "export CSV", "validation error beside the field",
                         "preview of the change", "change applied", "history shows the change"] {
                #expect(log.contains("ok \(step)"), "step '\(step)' in\n\(log)")
            }
            // The edit made in the browser is what the proxy now routes by.
            #expect(try await harness.send().status == 400, "requests for the old address are refused after the edit")
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("record.png").path))
        }
    }
}
