import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

/// The GP Connect interactions the simulator answers, and the checks a provider makes first.
struct SimulatorRoutes: Sendable {
    let book: PracticeBook
    let jwt = JWTValidator(clockSkewSeconds: 60)
    /// The clock bookings and searches are judged by; injected so tests can fix it.
    var now: @Sendable () -> Date = { Date() }

    /// The JWT `requested_scope` each interaction needs.
    static let scopes: [String: String] = [
        "rest:read:metadata-1": "organization/*.read",
        "rest:search:slot-1": "organization/*.read",
        "rest:create:appointment-1": "patient/*.write",
        "rest:read:appointment-1": "patient/*.read",
        "rest:update:appointment-1": "patient/*.write",
        "rest:cancel:appointment-1": "patient/*.write",
        "rest:search:patient_appointments-1": "patient/*.read",
        "rest:read:patient-1": "patient/*.read",
        "rest:search:patient-1": "patient/*.read",
        "rest:read:practitioner-1": "organization/*.read",
        "rest:search:practitioner-1": "organization/*.read",
        "rest:read:location-1": "organization/*.read",
        "rest:read:organization-1": "organization/*.read",
        "rest:search:organization-1": "organization/*.read",
    ]

    /// Bodies a provider accepts, at most.
    static let maximumBody = 1 << 20

    func register(on router: Router<BasicRequestContext>) {
        let base = router.group(":ods/STU3/1/gpconnect")
        base.get("metadata") { request, context in
            try handle(request, context, ["rest:read:metadata-1"]) { state, _ in try json(state.profile.capabilityStatement) }
        }
        base.get("Slot") { request, context in try handle(request, context, ["rest:search:slot-1"]) { _, ods in try slots(request, ods) } }
        base.post("Appointment") { request, context in
            let body = try await request.body.collect(upTo: Self.maximumBody)
            return try handle(request, context, ["rest:create:appointment-1"], hasBody: true) { _, ods in try bookAppointment(Data(body.readableBytesView), ods) }
        }
        base.get("Appointment/:id") { request, context in
            try handle(request, context, ["rest:read:appointment-1"]) { _, ods in try readAppointment(context.parameters.get("id") ?? "", ods) }
        }
        base.put("Appointment/:id") { request, context in
            let body = try await request.body.collect(upTo: Self.maximumBody)
            return try handle(request, context, ["rest:update:appointment-1", "rest:cancel:appointment-1"], hasBody: true) { _, ods in
                let interaction = request.headers[HTTPField.Name("Ssp-InteractionID")!] ?? ""
                return try changeAppointment(context.parameters.get("id") ?? "", Data(body.readableBytesView), ods,
                                             cancel: interaction.hasSuffix("cancel:appointment-1"), ifMatch: request.headers[.ifMatch])
            }
        }
        base.get("Patient/:id/Appointment") { request, context in
            try handle(request, context, ["rest:search:patient_appointments-1"]) { _, ods in
                try patientAppointments(context.parameters.get("id") ?? "", request, ods)
            }
        }
        base.get("Patient") { request, context in
            try handle(request, context, ["rest:search:patient-1"]) { state, ods in
                let number = try identifier(request, system: GPConnect.System.nhsNumber, invalid: "INVALID_NHS_NUMBER") { text in
                    NHSNumber.problem(with: Substring(text)).map { "NHS number \(text) \($0)" }
                }
                return try json(bundle(state.profile.patients.filter { $0.nhsNumber == number }.map(FHIRResource.patient), request, ods))
            }
        }
        base.get("Practitioner") { request, context in
            try handle(request, context, ["rest:search:practitioner-1"]) { state, ods in
                let id = try identifier(request, system: GPConnect.System.sdsUserID, invalid: "INVALID_IDENTIFIER_VALUE") { $0.isEmpty ? "empty" : nil }
                let found = state.profile.practitioners.filter { $0.identifier.contains { $0.system == GPConnect.System.sdsUserID && $0.value == id } }
                return try json(bundle(found.map(FHIRResource.practitioner), request, ods))
            }
        }
        base.get("Organization") { request, context in
            try handle(request, context, ["rest:search:organization-1"]) { state, ods in
                let code = try identifier(request, system: GPConnect.System.odsCode, invalid: "INVALID_IDENTIFIER_VALUE") { text in
                    ODSCode.problem(with: Substring(text)).map { "ODS code \(text) \($0)" }
                }
                let found = code == state.practice.ods ? [FHIRResource.organization(state.profile.organization)] : []
                return try json(bundle(found, request, ods))
            }
        }
        for type in ["Patient", "Practitioner", "Location", "Organization"] {
            base.get("\(type)/:id") { request, context in
                try handle(request, context, ["rest:read:\(type.lowercased())-1"]) { state, _ in
                    let id = context.parameters.get("id") ?? ""
                    guard let resource = state.resource(type: type, id: id) else {
                        let code = switch type {
                        case "Patient": "PATIENT_NOT_FOUND"
                        case "Practitioner": "PRACTITIONER_NOT_FOUND"
                        case "Organization": "ORGANISATION_NOT_FOUND"
                        default: "NO_RECORD_FOUND"
                        }
                        throw ProviderError.notFound(code, "no \(type)/\(id) at this practice")
                    }
                    return try json(resource)
                }
            }
        }
    }

    // MARK: Checks every provider makes

    func handle(_ request: Request, _ context: BasicRequestContext, _ interactions: [String], hasBody: Bool = false,
                _ answer: (PracticeState, String) throws -> Response) throws -> Response {
        do {
            let ods = context.parameters.get("ods") ?? ""
            guard let state = book.state(ods) else { throw ProviderError.notFound("ORGANISATION_NOT_FOUND", "no practice \(ods) here") }
            guard let interaction = request.headers[HTTPField.Name("Ssp-InteractionID")!],
                  interactions.contains(where: { GPConnect.interactionPrefix + $0 == interaction }) else {
                throw ProviderError.badRequest("BAD_REQUEST", "Ssp-InteractionID is missing or does not match the request")
            }
            for header in ["Ssp-TraceID", "Ssp-From"] where request.headers[HTTPField.Name(header)!] == nil {
                throw ProviderError.badRequest("BAD_REQUEST", "\(header) is missing")
            }
            guard request.headers[HTTPField.Name("Ssp-To")!] == state.practice.asid else {
                throw ProviderError.badRequest("BAD_REQUEST", "Ssp-To is not this practice's ASID")
            }
            if let accept = request.headers[.accept]?.lowercased(),
               !(accept.contains("application/fhir+json") || accept.contains("application/json") || accept.contains("*/*")) {
                throw ProviderError.unsupportedMediaType
            }
            if hasBody, !(request.headers[.contentType]?.lowercased().contains("application/fhir+json") ?? false) {
                throw ProviderError.unsupportedMediaType
            }
            let scope = Self.scopes[String(interaction.dropFirst(GPConnect.interactionPrefix.count))]!
            let claims: JWTValidator.Claims
            do {
                claims = try jwt.validate(authorization: request.headers[.authorization] ?? "", scope: scope,
                                          now: Int(now().timeIntervalSince1970))
            } catch {
                throw ProviderError.badRequest("BAD_REQUEST", "the JWT is not valid: INVALID_JWT_\(error.code)")
            }
            guard claims.audience.hasSuffix("/\(ods)/STU3/1/gpconnect") else {
                throw ProviderError.badRequest("BAD_REQUEST", "the JWT aud is not this practice's service root")
            }
            return try answer(state, ods)
        } catch let error as ProviderError {
            return error.response
        }
    }

    /// The value of the one `identifier=<system>|<value>` search parameter.
    func identifier(_ request: Request, system: String, invalid code: String, problem: (String) -> String?) throws -> String {
        let values = request.uri.queryParameters.getAll("identifier").map { String($0) }
        guard values.count == 1, let separator = values[0].firstIndex(of: "|") else {
            throw ProviderError.badRequest("BAD_REQUEST", "identifier=\(system)|<value> is required once")
        }
        guard values[0][..<separator] == system else {
            throw ProviderError.badRequest("INVALID_IDENTIFIER_SYSTEM", "the identifier system must be \(system)")
        }
        let value = String(values[0][values[0].index(after: separator)...])
        if let reason = problem(value) { throw ProviderError.badRequest(code, reason) }
        return value
    }

    // MARK: Slots

    func slots(_ request: Request, _ ods: String) throws -> Response {
        let parameters = request.uri.queryParameters
        guard parameters.getAll("status").map({ String($0) }) == ["free"] else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "status=free is required")
        }
        let timeZone = SimulatedPractice.londonTimeZone
        let starts = parameters.getAll("start").map { String($0) }
        let ends = parameters.getAll("end").map { String($0) }
        guard starts.count == 1, ends.count == 1, starts[0].hasPrefix("ge"), ends[0].hasPrefix("le"),
              let from = FHIRDateTime.parse(String(starts[0].dropFirst(2)), in: timeZone),
              var to = FHIRDateTime.parse(String(ends[0].dropFirst(2)), in: timeZone) else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "start=ge<date> and end=le<date> are each required once")
        }
        if ends[0].count == 12 {
            // `le2026-12-07` takes in the whole of that day.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            to = calendar.date(byAdding: .day, value: 1, to: to) ?? to
        }
        guard to > from, to.timeIntervalSince(from) <= 15 * 86_400 + 3600 else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "the search range must be at most 14 days")
        }
        let includes = Set(parameters.getAll("_include").map { String($0) })
        let recursive = Set(parameters.getAll("_include:recurse").map { String($0) })
        guard includes.contains("Slot:schedule") else {
            throw ProviderError.unprocessable("INVALID_PARAMETER", "_include=Slot:schedule is required")
        }
        let resources = book.with(ods) { state in
            state.slotSearchResources(state.freeSlots(from: from, to: to, now: now()),
                                      includePractitioners: recursive.contains("Schedule:actor:Practitioner"),
                                      includeLocations: recursive.contains("Schedule:actor:Location"),
                                      includeOrganisation: recursive.contains("Location:managingOrganization"))
        } ?? []
        return try json(bundle(resources, request, ods))
    }

    // MARK: Appointments

    func bookAppointment(_ body: Data, _ ods: String) throws -> Response {
        let request = try appointment(body)
        let now = now()
        let appointment = try (book.with(ods) { state in state.book(request, now: now) } ?? .failure(.notFound("ORGANISATION_NOT_FOUND", "no practice"))).get()
        var response = try json(appointment.resource, status: .created)
        response.headers[.location] = "Appointment/\(appointment.resource.id ?? "")"
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
        let request = try appointment(body)
        let now = now()
        let appointment = try (book.with(ods) { state in state.change(id, to: request, cancel: cancel, ifMatch: ifMatch, now: now) }
            ?? .failure(.notFound("ORGANISATION_NOT_FOUND", "no practice"))).get()
        var response = try json(appointment.resource)
        response.headers[.eTag] = "W/\"\(appointment.version)\""
        return response
    }

    /// A patient's appointments, optionally between `start=ge…` and `start=le…`.
    func patientAppointments(_ patient: String, _ request: Request, _ ods: String) throws -> Response {
        let timeZone = SimulatedPractice.londonTimeZone
        var earliest = Date.distantPast, latest = Date.distantFuture
        for value in request.uri.queryParameters.getAll("start").map({ String($0) }) {
            let date = FHIRDateTime.parse(String(value.dropFirst(2)), in: timeZone)
            switch (value.prefix(2), date) {
            case ("ge", let date?): earliest = date
            case ("le", let date?): latest = value.count == 12 ? date.addingTimeInterval(86_400) : date
            default: throw ProviderError.unprocessable("INVALID_PARAMETER", "start must be ge<date> or le<date>")
            }
        }
        let resources = try book.with(ods) { state -> [FHIRResource] in
            guard state.profile.patients.contains(where: { $0.id == patient }) else {
                throw ProviderError.notFound("PATIENT_NOT_FOUND", "no Patient/\(patient) at this practice")
            }
            return state.appointments.values.filter { $0.patientID == patient && $0.start >= earliest && $0.start <= latest }
                .sorted { $0.start < $1.start }.map { .appointment($0.resource) }
        } ?? []
        return try json(bundle(resources, request, ods))
    }

    /// Reads an Appointment body; `422 INVALID_RESOURCE` naming what is wrong.
    func appointment(_ body: Data) throws -> FHIRAppointment {
        do {
            let appointment = try FHIRJSON.decode(FHIRAppointment.self, from: body)
            guard appointment.resourceType == "Appointment" else { throw ProviderError.unprocessable("INVALID_RESOURCE", "the body must be an Appointment") }
            return appointment
        } catch let error as DecodingError {
            throw ProviderError.unprocessable("INVALID_RESOURCE", "the body is not an Appointment: \(Self.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "it is not JSON" : "\(path(context.codingPath)) is not valid"
        @unknown default: return "it cannot be read"
        }
    }

    // MARK: Answers

    func bundle(_ resources: [FHIRResource], _ request: Request, _ ods: String) -> FHIRBundle {
        let authority = request.head.authority ?? "localhost"
        return FHIRBundle(id: UUID().uuidString.lowercased(), lastUpdated: FHIRDateTime.instant(now()),
                          serviceRoot: "https://\(authority)/\(ods)/STU3/1/gpconnect", resources: resources)
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/fhir+json;charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try FHIRJSON.encode(value))))
    }
}

/// A GP Connect provider error: an OperationOutcome with a Spine error code.
enum ProviderError: Error {
    case badRequest(String, String)
    case notFound(String, String)
    case conflict(String, String)
    case unprocessable(String, String)
    case unsupportedMediaType

    var response: Response {
        let (status, issueCode, code, diagnostics): (HTTPResponse.Status, String, String, String) = switch self {
        case .badRequest(let code, let text): (.badRequest, code.hasPrefix("INVALID_") ? "value" : "invalid", code, text)
        case .notFound(let code, let text): (.notFound, "not-found", code, text)
        case .conflict(let code, let text): (.conflict, "duplicate", code, text)
        case .unprocessable(let code, let text): (.unprocessableContent, "invalid", code, text)
        case .unsupportedMediaType: (.unsupportedMediaType, "not-supported", "BAD_REQUEST", "Accept and Content-Type must be application/fhir+json")
        }
        let body = (try? FHIRJSON.encode(FHIROperationOutcome(issueCode: issueCode, spineCode: code, diagnostics: diagnostics))) ?? Data()
        return Response(status: status, headers: [.contentType: "application/fhir+json;charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
