import Foundation
import SwitchboardApp
import SwitchboardDirectory
import SwitchboardStorage
import SwitchboardTesting
import SwitchboardPostgres
import SwitchboardProxy
import Testing
import SwitchboardCore

@Suite struct ConfigurationLoaderTests {
    func load(_ yaml: String?, environment: [String: String] = [:]) async throws -> SwitchboardConfiguration {
        try await withTemporaryDirectory { folder in
            var file: String?
            if let yaml {
                file = folder.appendingPathComponent("switchboard.yaml").path
                try yaml.write(toFile: file!, atomically: true, encoding: .utf8)
            }
            return try ConfigurationLoader.load(file: file, environment: environment)
        }
    }

    func error(_ yaml: String?, environment: [String: String] = [:]) async -> ConfigurationError? {
        do {
            _ = try await load(yaml, environment: environment)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func defaultsAreValid() async throws {
        let configuration = try await load(nil)
        #expect(configuration == SwitchboardConfiguration())
        #expect(configuration.directory.synchronous == .full)
    }

    @Test func fileOverridesDefaultsAndEnvironmentOverridesTheFile() async throws {
        let yaml = """
            node:
              id: proxy-a
            directory:
              store: sqlite:/var/lib/switchboard/directory.sqlite
              endpointPolicy:
                allowLoopback: true
            """
        let configuration = try await load(yaml, environment: [
            "SWITCHBOARD_NODE_ID": "proxy-b",
            "SWITCHBOARD_DIRECTORY_REFRESH_INTERVAL_MILLISECONDS": "250",
            "SWITCHBOARD_DIRECTORY_ENDPOINT_POLICY_ALLOWED_HOST_SUFFIXES": "[thirdparty.nhs.uk, nhs.uk]",
            "HOME": "/root",
        ])
        #expect(configuration.node.id == "proxy-b")
        #expect(configuration.directory.store == "sqlite:/var/lib/switchboard/directory.sqlite")
        #expect(configuration.directory.refreshIntervalMilliseconds == 250)
        #expect(configuration.directory.endpointPolicy.allowLoopback)
        #expect(configuration.directory.endpointPolicy.allowedHostSuffixes == ["thirdparty.nhs.uk", "nhs.uk"])
    }

    @Test func unknownKeyNamesTheSettingAndLine() async {
        let error = await error("directory:\n  stor: sqlite:x.sqlite\n")
        #expect(error?.setting == "directory.stor")
        #expect(error?.message.hasPrefix("unknown setting") == true)
        #expect(error?.source?.hasSuffix("switchboard.yaml:2") == true)
    }

    @Test func wrongTypeNamesTheSetting() async {
        let error = await error("directory:\n  refreshIntervalMilliseconds: soon\n")
        #expect(error?.setting == "directory.refreshIntervalMilliseconds")
        #expect(error?.message == "expected a whole number")
        #expect(error?.source?.hasSuffix("switchboard.yaml:2") == true)
    }

    @Test func badValueNamesTheSetting() async {
        let error = await error("directory:\n  synchronous: fast\n")
        #expect(error?.setting == "directory.synchronous")
        let range = await self.error("directory:\n  refreshIntervalMilliseconds: 5\n")
        #expect(range?.description.hasSuffix("setting directory.refreshIntervalMilliseconds: 5 must be between 50 and 60000") == true)
        let store = await self.error(nil, environment: ["SWITCHBOARD_DIRECTORY_STORE": "mysql://x"])
        #expect(store == ConfigurationError(setting: "directory.store", message: "'mysql://x' must be 'sqlite:<path>' or 'postgres://…'",
                                            source: "SWITCHBOARD_DIRECTORY_STORE"))
    }

    @Test(arguments: [
        ("postgres://u@db.internal/switchboard?sslmode=prefer", "the PostgreSQL URL sslmode 'prefer' must be one of disable, require, verify-full"),
        ("postgres://switchboard@db.internal", "the PostgreSQL URL names no database (…/database)"),
        ("postgres://db.internal/switchboard", "the PostgreSQL URL names no user"),
        ("postgres://switchboard@db.internal/switchboard?pool=0", "the PostgreSQL URL pool '0' must be 1 to 1000"),
        ("postgres://switchboard@db.internal/switchboard?application_name=x", "the PostgreSQL URL unknown option 'application_name' (known: sslmode, sslrootcert, pool, connect_timeout)"),
    ])
    func postgresURLsAreCheckedBeforeStartUp(_ url: String, _ message: String) async {
        for setting in ["directory", "audit"] {
            let error = await error("\(setting):\n  store: '\(url)'\n")
            #expect(error?.setting == "\(setting).store")
            #expect(error?.message == message)
        }
    }

    @Test func aPostgresURLIsReadWithItsOptionsAndNeverEchoesThePassword() throws {
        let location = try PostgresLocation(url: "postgres://switchboard:s3cret@db.internal:6432/routing?sslmode=require&sslrootcert=/etc/ca.pem&pool=8")
        #expect(location.host == "db.internal" && location.port == 6432 && location.database == "routing" && location.username == "switchboard")
        #expect(location.password == "s3cret" && location.tls == .require && location.rootCertificate == "/etc/ca.pem" && location.maximumConnections == 8)
        #expect(!location.description.contains("s3cret"))
        #expect(try PostgresLocation(url: "postgresql://u@h/d").tls == .verifyFull, "verified TLS unless told otherwise")
    }

    @Test("PROXY protocol: v2 needs the balancers named, each an address or CIDR block; no other version")
    func proxyProtocolSettings() async throws {
        #expect(await error("proxy:\n  listen: {proxyProtocol: v2}\n")?.setting == "proxy.listen.proxyProtocolFrom")
        let badEntry = await error("proxy:\n  listen: {proxyProtocol: v2, proxyProtocolFrom: [10.0.0.0/24, balancer.example]}\n")
        #expect(badEntry?.setting == "proxy.listen.proxyProtocolFrom")
        #expect(badEntry?.message.contains("'balancer.example'") == true)
        #expect(await error("proxy:\n  listen: {proxyProtocol: v1, proxyProtocolFrom: [10.0.0.1]}\n")?.setting == "proxy.listen.proxyProtocol")
        let configured = try await load("proxy:\n  listen: {proxyProtocol: v2, proxyProtocolFrom: [10.0.0.0/24, '2001:db8::/32']}\n")
        #expect(configured.proxy.listen.proxyProtocolFrom == ["10.0.0.0/24", "2001:db8::/32"])
        #expect(try await load(nil).proxy.listen.proxyProtocol == "none")
    }

    @Test(arguments: ["ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256:DES-CBC3-SHA", "DHE-RSA-AES128-GCM-SHA256", ""])
    func weakCipherSuitesAreRefused(_ suites: String) async {
        let error = await error("proxy:\n  tls:\n    cipherSuites: '\(suites)'\n")
        #expect(error?.setting == "proxy.tls.cipherSuites")
        #expect(await self.error("proxy:\n  tls:\n    cipherSuites: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384'\n") == nil)
    }

    /// Kubernetes puts `SWITCHBOARD_PORT`, `SWITCHBOARD_SERVICE_HOST` and `SWITCHBOARD_PORT_443_TCP…`
    /// into every pod of a namespace with a Service named `switchboard`; scripts set their own.
    /// Those are warnings that name the nearest setting; `--strict-environment` refuses them.
    @Test func unknownEnvironmentVariablesWarnUnlessStrict() throws {
        let environment = ["SWITCHBOARD_PORT": "tcp://10.0.0.1:443", "SWITCHBOARD_SERVICE_HOST": "10.0.0.1", "SWITCHBOARD_PORT_443_TCP_PROTO": "tcp",
                           "SWITCHBOARD_BIN": ".build/release/switchboard", "SWITCHBOARD_DIRECTORY_STOR": "sqlite:x", "SWITCHBOARD_NODE_ID": "k8s-1"]
        var warnings: [String] = []
        let configuration = try ConfigurationLoader.load(file: nil, environment: environment) { warnings.append($0) }
        #expect(configuration.node.id == "k8s-1", "real settings still apply")
        #expect(configuration.directory.store == SwitchboardConfiguration().directory.store, "a misspelt variable changes nothing")
        #expect(warnings.count == 5)
        #expect(warnings.contains { $0.hasPrefix("SWITCHBOARD_DIRECTORY_STOR is not a setting and is ignored (the nearest setting is SWITCHBOARD_DIRECTORY_STORE)") })
        #expect(warnings.contains { $0.hasPrefix("SWITCHBOARD_PORT is not a setting and is ignored (the nearest setting is SWITCHBOARD_") })

        do {
            _ = try ConfigurationLoader.load(file: nil, environment: ["SWITCHBOARD_DIRECTORY_STOR": "x"], strictEnvironment: true)
            Issue.record("strict refuses an unknown variable")
        } catch {
            #expect(error.setting == "SWITCHBOARD_DIRECTORY_STOR")
            #expect(error.message == "no setting has this name (the nearest setting is SWITCHBOARD_DIRECTORY_STORE); unset it, or drop --strict-environment to ignore it")
        }
    }

    @Test func misspeltFileKeyStillStopsStartUp() async {
        let error = await error("directory:\n  stor: sqlite:x\n")
        #expect(error?.setting == "directory.stor")
        #expect(error?.message.hasPrefix("unknown setting") == true)
    }

    @Test(arguments: [(["proxy", "tls", "clientCA"], "SWITCHBOARD_PROXY_TLS_CLIENT_CA"),
                      (["directory", "endpointPolicy", "allowIPLiterals"], "SWITCHBOARD_DIRECTORY_ENDPOINT_POLICY_ALLOW_IP_LITERALS"),
                      (["proxy", "checks", "jwtClockSkewSeconds"], "SWITCHBOARD_PROXY_CHECKS_JWT_CLOCK_SKEW_SECONDS"),
                      (["proxy", "upstream", "caBundle"], "SWITCHBOARD_PROXY_UPSTREAM_CA_BUNDLE")])
    func environmentNamesKeepAcronymsWhole(path: [String], name: String) {
        #expect(ConfigurationLoader.environmentName(for: path) == name)
    }

    @Test func sectionGivenAsValue() async {
        let error = await error("directory: sqlite\n")
        #expect(error?.setting == "directory")
        #expect(error?.message == "must be a section of settings, not a single value")
    }

    @Test func everySettingHasAnEnvironmentName() {
        let settings = ConfigurationLoader.settings()
        #expect(settings.contains { $0.path == "directory.endpointPolicy.allowLoopback" && $0.environment == "SWITCHBOARD_DIRECTORY_ENDPOINT_POLICY_ALLOW_LOOPBACK" })
        #expect(settings.count == Set(settings.map(\.environment)).count)
    }

    @Test func shippedConfigurationsLoad() throws {
        let folder = Repository.root.appendingPathComponent("Config")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            #expect(throws: Never.self, "\(file)") { try ConfigurationLoader.load(file: folder.appendingPathComponent(file).path, environment: [:]) }
        }
    }
}
