public import Foundation
import SwitchboardCore
import Yams

extension RoutingTableFiles {
    /// The canonical files for `tables`, keyed by path relative to the RoutingTables folder.
    /// Fields appear in a fixed order, lists sorted, defaults (`status: active`, an `fqdn` equal
    /// to the address's host, empty lists) left out.
    public static func render(_ tables: DirectoryTables) throws -> [String: String] {
        var files: [String: String] = [:]
        let interactions = tables.interactions.values.sorted { $0.id < $1.id }.map { interaction in
            mapping([
                ("id", scalar(interaction.id.rawValue)),
                ("name", scalar(interaction.name)),
                ("method", scalar(interaction.method.rawValue)),
                ("path", scalar(interaction.path.rawValue)),
                ("scope", scalar(interaction.scope)),
                status(interaction.status),
            ])
        }
        files[interactionsFile] = try document(
            header: "The interaction catalogue: what each Ssp-InteractionID means on the wire (method, FHIR path, JWT scope).",
            mapping([("interactions", .sequence(.init(interactions)))]))

        let agreements = tables.agreements.values.sorted { $0.id < $1.id }.map { agreement in
            let interactions: Node = switch agreement.interactions {
            case .any: scalar("any")
            case .only(let ids): list(ids)
            }
            return mapping([
                ("id", scalar(agreement.id.rawValue)),
                ("description", agreement.description.isEmpty ? nil : scalar(agreement.description)),
                ("consumer", scalar(agreement.consumer.description)),
                ("provider", scalar(agreement.provider.description)),
                ("interactions", interactions),
                status(agreement.status),
            ])
        }
        files[agreementsFile] = try document(
            header: "Data-sharing agreements: which consumers may send which interactions to which providers.",
            mapping([("agreements", .sequence(.init(agreements)))]))

        let systemsByODS = Dictionary(grouping: tables.systems.values, by: \.ods)
        let endpointsByODS = Dictionary(grouping: tables.endpoints.values, by: \.ods)
        for organisation in tables.organisations.values {
            let systems = (systemsByODS[organisation.ods] ?? []).sorted { $0.asid < $1.asid }.map { system in
                mapping([
                    ("asid", scalar(system.asid.rawValue, style: .singleQuoted)),
                    ("name", scalar(system.name)),
                    ("partyKey", scalar(system.partyKey.rawValue)),
                    ("supplier", system.supplier.map { scalar($0.rawValue) }),
                    ("certificateFQDN", system.certificateFQDN.map { scalar($0) }),
                    ("sends", system.sends.isEmpty ? nil : list(system.sends)),
                    ("receives", system.receives.isEmpty ? nil : list(system.receives)),
                    status(system.status),
                ])
            }
            let endpoints = (endpointsByODS[organisation.ods] ?? []).sorted { $0.cpaID < $1.cpaID }.map { endpoint in
                mapping([
                    ("cpaId", scalar(endpoint.cpaID.rawValue)),
                    ("partyKey", scalar(endpoint.partyKey.rawValue)),
                    ("address", scalar(endpoint.address.rawValue)),
                    ("fqdn", endpoint.fqdn == endpoint.address.host ? nil : scalar(endpoint.fqdn)),
                    ("interactions", list(endpoint.interactions)),
                    status(endpoint.status),
                ])
            }
            let root = mapping([
                ("organisation", mapping([
                    ("ods", scalar(organisation.ods.rawValue)),
                    ("name", scalar(organisation.name)),
                    ("kind", scalar(organisation.kind.rawValue)),
                    status(organisation.status),
                ])),
                ("systems", systems.isEmpty ? nil : .sequence(.init(systems))),
                ("endpoints", endpoints.isEmpty ? nil : .sequence(.init(endpoints))),
            ])
            files["\(organisationsFolder)/\(organisation.ods).yaml"] = try document(
                header: "Organisation \(organisation.ods): its accredited systems (SDS nhsAs) and endpoints (SDS nhsMhs).", root)
        }
        return files
    }

    /// Writes the canonical files into `folder`, replacing organisation files that no longer
    /// match an organisation. Each file is written whole, then renamed into place.
    public static func write(_ tables: DirectoryTables, to folder: URL) throws {
        let files = try render(tables)
        let fileManager = FileManager.default
        let organisations = folder.appendingPathComponent(organisationsFolder)
        try fileManager.createDirectory(at: organisations, withIntermediateDirectories: true)
        for (path, text) in files {
            try Data(text.utf8).write(to: folder.appendingPathComponent(path), options: .atomic)
        }
        for name in try fileManager.contentsOfDirectory(atPath: organisations.path)
        where name.hasSuffix(".yaml") && files["\(organisationsFolder)/\(name)"] == nil {
            try fileManager.removeItem(at: organisations.appendingPathComponent(name))
        }
    }

    private static func document(header: String, _ root: Node) throws -> String {
        let body = try Yams.serialize(node: root, canonical: false, indent: 2, width: -1, allowUnicode: true, lineBreak: .ln)
        return "# \(header)\n# Format: Docs/routing-tables.md. `switchboard routes export` rewrites this file in canonical form.\n" + body
    }

    private static func scalar(_ text: String, style: Node.Scalar.Style = .any) -> Node {
        .scalar(.init(text, Tag(.str), style))
    }

    private static func list(_ ids: [InteractionID]) -> Node {
        .sequence(.init(ids.map { scalar($0.rawValue) }, Tag(.seq), .block))
    }

    private static func status(_ status: RecordStatus) -> (String, Node?) {
        ("status", status == .active ? nil : scalar(status.rawValue))
    }

    private static func mapping(_ pairs: [(String, Node?)]) -> Node {
        .mapping(.init(pairs.compactMap { key, value in value.map { (scalar(key), $0) } }, Tag(.map), .block))
    }
}
