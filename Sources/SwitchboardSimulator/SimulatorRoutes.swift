import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy

/// The GP Connect interactions the simulator answers, and the checks a provider makes first.
struct SimulatorRoutes: Sendable {
    let book: PracticeBook
    let capabilityStatement: Data
    let patient: Data?
    let jwt = JWTValidator(clockSkewSeconds: 60)

    static let prefix = "urn:nhs:names:services:gpconnect:fhir:"
    static let catalogue: [String: (scope: String, method: HTTPMethodName, path: String)] = [
        "rest:read:metadata-1": ("organization/*.read", .GET, "/metadata"),
        "rest:search:slot-1": ("organization/*.read", .GET, "/Slot"),
        "rest:create:appointment-1": ("patient/*.write", .POST, "/Appointment"),
        "rest:read:appointment-1": ("patient/*.read", .GET, "/Appointment/{id}"),
        "rest:update:appointment-1": ("patient/*.write", .PUT, "/Appointment/{id}"),
        "rest:cancel:appointment-1": ("patient/*.write", .PUT, "/Appointment/{id}"),
        "rest:search:patient_appointments-1": ("patient/*.read", .GET, "/Patient/{id}/Appointment"),
        "rest:read:patient-1": ("patient/*.read", .GET, "/Patient/{id}"),
        "rest:read:practitioner-1": ("organization/*.read", .GET, "/Practitioner/{id}"),
        "rest:read:location-1": ("organization/*.read", .GET, "/Location/{id}"),
        "rest:read:organization-1": ("organization/*.read", .GET, "/Organization/{id}"),
    ]

    func register(on router: Router<BasicRequestContext>) {
        let base = router.group(":ods/STU3/1/gpconnect")
        base.get("metadata") { request, context in try handle(request, context, ["rest:read:metadata-1"]) { _, _ in json(capabilityStatement) } }
        base.get("Slot") { request, context in try handle(request, context, ["rest:search:slot-1"]) { ods, _ in try slots(request, ods) } }
        base.post("Appointment") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            return try handle(request, context, ["rest:create:appointment-1"], hasBody: true) { ods, _ in try bookAppointment(Data(body.readableBytesView), ods) }
        }
        base.get("Appointment/:id") { request, context in
            try handle(request, context, ["rest:read:appointment-1"]) { ods, _ in try readAppointment(context.parameters.get("id") ?? "", ods) }
        }
        base.put("Appointment/:id") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            return try handle(request, context, ["rest:update:appointment-1", "rest:cancel:appointment-1"], hasBody: true) { ods, interaction in
                try changeAppointment(context.parameters.get("id") ?? "", Data(body.readableBytesView), ods, cancel: interaction.hasSuffix("cancel:appointment-1"),
                                      ifMatch: request.headers[.ifMatch])
            }
        }
        base.get("Patient/:id/Appointment") { request, context in
            try handle(request, context, ["rest:search:patient_appointments-1"]) { ods, _ in patientAppointments(context.parameters.get("id") ?? "", ods) }
        }
        base.get("Patient/:id") { request, context in
            try handle(request, context, ["rest:read:patient-1"]) { _, _ in
                guard let patient else { throw ProviderError.notFound("PATIENT_NOT_FOUND", "no patient \(context.parameters.get("id") ?? "")") }
                return json(patient)
            }
        }
        for type in ["Practitioner", "Location", "Organization"] {
            base.get("\(type)/:id") { request, context in
                try handle(request, context, ["rest:read:\(type.lowercased())-1"]) { ods, _ in
                    let key = "\(type)/\(context.parameters.get("id") ?? "")"
                    guard let resource = book.with(ods, { $0.resources[key] }) ?? nil else {
                        throw ProviderError.notFound(type == "Practitioner" ? "PRACTITIONER_NOT_FOUND" : "NO_RECORD_FOUND", "no \(key)")
                    }
                    return try json(resource)
                }
            }
        }
    }

    // MARK: Checks every provider makes

    func handle(_ request: Request, _ context: BasicRequestContext, _ interactions: [String], hasBody: Bool = false,
                _ answer: (String, String) throws -> Response) throws -> Response {
        do {
            let ods = context.parameters.get("ods") ?? ""
            guard let practice = book.practice(ods) else { throw ProviderError.notFound("ORGANISATION_NOT_FOUND", "no practice \(ods) here") }
            guard let interaction = request.headers[HTTPField.Name("Ssp-InteractionID")!], interactions.contains(where: { Self.prefix + $0 == interaction }) else {
                throw ProviderError.badRequest("BAD_REQUEST", "Ssp-InteractionID is missing or does not match the request")
            }
            for header in ["Ssp-TraceID", "Ssp-From"] where request.headers[HTTPField.Name(header)!] == nil {
                throw ProviderError.badRequest("BAD_REQUEST", "\(header) is missing")
            }
            guard request.headers[HTTPField.Name("Ssp-To")!] == practice.asid else {
                throw ProviderError.badRequest("BAD_REQUEST", "Ssp-To is not this practice's ASID")
            }
            if let accept = request.headers[.accept]?.lowercased(),
               !(accept.contains("application/fhir+json") || accept.contains("application/json") || accept.contains("*/*")) {
                throw ProviderError.unsupportedMediaType
            }
            if hasBody, !(request.headers[.contentType]?.lowercased().contains("application/fhir+json") ?? false) {
                throw ProviderError.unsupportedMediaType
            }
            let key = String(interaction.dropFirst(Self.prefix.count))
            let entry = Self.catalogue[key]!
            let id = InteractionID(trusted: interaction)
            let claims: JWTValidator.Claims
            do {
                claims = try jwt.validate(authorization: request.headers[.authorization] ?? "",
                                          interaction: Interaction(id: id, name: key, method: entry.method, path: try PathPattern(validating: entry.path),
                                                                   scope: entry.scope),
                                          now: Int(Date().timeIntervalSince1970))
            } catch let refusal as ProxyRefusal {
                throw ProviderError.badRequest("BAD_REQUEST", "the JWT is not valid: \(refusal.token)")
            }
            guard claims.audience.hasSuffix("/\(ods)/STU3/1/gpconnect") else {
                throw ProviderError.badRequest("BAD_REQUEST", "the JWT aud is not this practice's service root")
            }
            return try answer(ods, interaction)
        } catch let error as ProviderError {
            return error.response
        }
    }

    // MARK: Interactions

    func slots(_ request: Request, _ ods: String) throws -> Response {
        let parameters = request.uri.queryParameters
        guard parameters.getAll("status").map({ String($0) }) == ["free"] else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "status=free is required")
        }
        let starts = parameters.getAll("start").map { String($0) }
        let ends = parameters.getAll("end").map { String($0) }
        guard starts.count == 1, ends.count == 1, starts[0].hasPrefix("ge"), ends[0].hasPrefix("le"),
              let from = FHIRDate.parse(String(starts[0].dropFirst(2) as Substring)), var to = FHIRDate.parse(String(ends[0].dropFirst(2) as Substring)) else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "start=ge<date> and end=le<date> are each required once")
        }
        if ends[0].count == 12 { to = to.addingTimeInterval(86_400) }
        guard to > from, to.timeIntervalSince(from) <= 15 * 86_400 else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "the search range must be at most 14 days")
        }
        let includes = Set(parameters.getAll("_include").map { String($0) })
        let recursive = Set(parameters.getAll("_include:recurse").map { String($0) })
        guard includes.contains("Slot:schedule") else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "_include=Slot:schedule is required")
        }
        let resources: [[String: Any]] = book.with(ods) { state in
            let now = Date()
            let found = state.slotOrder.compactMap { state.slots[$0] }.filter { $0.free && $0.start >= max(from, now) && $0.end <= to }
            guard !found.isEmpty else { return [] }
            var entries = found.map(state.slotResource)
            let schedules = Set(found.map(\.scheduleID))
            for schedule in schedules.sorted() { if let resource = state.resources["Schedule/\(schedule)"] { entries.append(resource) } }
            if recursive.contains("Schedule:actor:Practitioner"), let resource = state.resources["Practitioner/2"] { entries.append(resource) }
            if recursive.contains("Schedule:actor:Location"), let resource = state.resources["Location/17"] { entries.append(resource) }
            if recursive.contains("Location:managingOrganization"), let resource = state.resources["Organization/23"] { entries.append(resource) }
            return entries
        } ?? []
        return try json(bundle(resources))
    }

    func bookAppointment(_ body: Data, _ ods: String) throws -> Response {
        guard var resource = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], resource["resourceType"] as? String == "Appointment" else {
            throw ProviderError.unprocessable("INVALID_RESOURCE", "the body must be an Appointment")
        }
        guard resource["status"] as? String == "booked" else { throw ProviderError.unprocessable("INVALID_RESOURCE", "status must be booked") }
        guard resource["reason"] == nil, resource["specialty"] == nil else {
            throw ProviderError.unprocessable("INVALID_RESOURCE", "reason and specialty must not be sent")
        }
        let slotIDs = ((resource["slot"] as? [[String: Any]]) ?? []).compactMap { ($0["reference"] as? String)?.split(separator: "/").last.map(String.init) }
        let patient = ((resource["participant"] as? [[String: Any]]) ?? []).compactMap { ($0["actor"] as? [String: Any])?["reference"] as? String }
            .first { $0.hasPrefix("Patient/") }
        guard !slotIDs.isEmpty, let patient else {
            throw ProviderError.unprocessable("INVALID_RESOURCE", "an appointment needs at least one slot and a patient participant")
        }
        let outcome: Result<PracticeState.Appointment, ProviderError> = book.with(ods) { state in
            for id in slotIDs {
                guard let slot = state.slots[id] else { return .failure(.unprocessable("REFERENCE_NOT_FOUND", "no Slot/\(id)")) }
                guard slot.free else { return .failure(.conflict("DUPLICATE_REJECTED", "Slot/\(id) is no longer free")) }
            }
            let slots = slotIDs.map { state.slots[$0]! }.sorted { $0.start < $1.start }
            let id = "\(state.nextAppointment)"
            state.nextAppointment += 1
            for slotID in slotIDs { state.slots[slotID]?.free = false }
            resource["id"] = id
            resource["meta"] = ["versionId": "1", "lastUpdated": FHIRDate.string(Date()),
                                "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"]]
            resource["start"] = FHIRDate.string(slots.first!.start)
            resource["end"] = FHIRDate.string(slots.last!.end)
            let appointment = PracticeState.Appointment(id: id, version: 1, resource: resource, slotIDs: slotIDs,
                                                        patientID: String(patient.dropFirst("Patient/".count)))
            state.appointments[id] = appointment
            return .success(appointment)
        } ?? .failure(.notFound("ORGANISATION_NOT_FOUND", "no practice"))
        let appointment = try outcome.get()
        var response = try json(appointment.resource, status: .created)
        response.headers[.location] = "Appointment/\(appointment.id)"
        response.headers[.eTag] = "W/\"\(appointment.version)\""
        return response
    }

    func readAppointment(_ id: String, _ ods: String) throws -> Response {
        guard let appointment = book.with(ods, { $0.appointments[id] }) ?? nil else {
            throw ProviderError.notFound("NO_RECORD_FOUND", "no Appointment/\(id)")
        }
        var response = try json(appointment.resource)
        response.headers[.eTag] = "W/\"\(appointment.version)\""
        return response
    }

    func changeAppointment(_ id: String, _ body: Data, _ ods: String, cancel: Bool, ifMatch: String?) throws -> Response {
        guard let resource = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], resource["resourceType"] as? String == "Appointment" else {
            throw ProviderError.unprocessable("INVALID_RESOURCE", "the body must be an Appointment")
        }
        let outcome: Result<PracticeState.Appointment, ProviderError> = book.with(ods) { state in
            guard var appointment = state.appointments[id] else { return .failure(.notFound("NO_RECORD_FOUND", "no Appointment/\(id)")) }
            if let ifMatch, ifMatch != "W/\"\(appointment.version)\"" {
                return .failure(.conflict("CONFLICTING_VALUES", "If-Match \(ifMatch) does not match version \(appointment.version)"))
            }
            guard appointment.resource["status"] as? String != "cancelled" else {
                return .failure(.unprocessable("INVALID_RESOURCE", "the appointment is cancelled"))
            }
            if cancel {
                guard resource["status"] as? String == "cancelled" else { return .failure(.unprocessable("INVALID_RESOURCE", "cancel needs status cancelled")) }
                appointment.resource["status"] = "cancelled"
                if let extensions = resource["extension"] { appointment.resource["extension"] = extensions }
                for slotID in appointment.slotIDs { state.slots[slotID]?.free = true }
            } else {
                appointment.resource["description"] = resource["description"]
                appointment.resource["comment"] = resource["comment"]
            }
            appointment.version += 1
            appointment.resource["meta"] = ["versionId": "\(appointment.version)", "lastUpdated": FHIRDate.string(Date())]
            state.appointments[id] = appointment
            return .success(appointment)
        } ?? .failure(.notFound("ORGANISATION_NOT_FOUND", "no practice"))
        let appointment = try outcome.get()
        var response = try json(appointment.resource)
        response.headers[.eTag] = "W/\"\(appointment.version)\""
        return response
    }

    func patientAppointments(_ patient: String, _ ods: String) -> Response {
        let resources = book.with(ods) { state in
            state.appointments.values.filter { $0.patientID == patient }.sorted { $0.id < $1.id }.map(\.resource)
        } ?? []
        return (try? json(bundle(resources))) ?? ProviderError.internalError.response
    }

    // MARK: Helpers

    func bundle(_ resources: [[String: Any]]) -> [String: Any] {
        ["resourceType": "Bundle", "id": UUID().uuidString.lowercased(), "meta": ["lastUpdated": FHIRDate.string(Date())], "type": "searchset",
         "entry": resources.map { ["fullUrl": "\($0["resourceType"] as? String ?? "")/\($0["id"] as? String ?? "")", "resource": $0] }]
    }

    func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        json(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), status: status)
    }

    func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/fhir+json;charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A GP Connect provider error: an OperationOutcome with a Spine error code.
enum ProviderError: Error {
    case badRequest(String, String)
    case notFound(String, String)
    case conflict(String, String)
    case unprocessable(String, String)
    case unsupportedMediaType
    case internalError

    var response: Response {
        let (status, issueCode, code, diagnostics): (HTTPResponse.Status, String, String, String) = switch self {
        case .badRequest(let code, let text): (.badRequest, "invalid", code, text)
        case .notFound(let code, let text): (.notFound, "not-found", code, text)
        case .conflict(let code, let text): (.conflict, "duplicate", code, text)
        case .unprocessable(let code, let text): (.unprocessableContent, "invalid", code, text)
        case .unsupportedMediaType: (.unsupportedMediaType, "not-supported", "BAD_REQUEST", "Accept and Content-Type must be application/fhir+json")
        case .internalError: (.internalServerError, "processing", "INTERNAL_SERVER_ERROR", "the simulator failed")
        }
        let outcome: [String: Any] = [
            "resourceType": "OperationOutcome",
            "meta": ["profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]],
            "issue": [["severity": "error", "code": issueCode,
                       "details": ["coding": [["system": "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1", "code": code, "display": code]]],
                       "diagnostics": diagnostics]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: outcome, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/fhir+json;charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
