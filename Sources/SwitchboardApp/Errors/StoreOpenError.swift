/// A store that could not be opened at start-up: which one, where, and why.
public struct StoreOpenError: Error, Sendable, CustomStringConvertible {
    /// `audit.store` or `directory.store`.
    public var setting: String
    /// The SQLite file, or the PostgreSQL URL without its password.
    public var location: String
    public var reason: String

    public var description: String {
        if location.hasPrefix("postgres") {
            return "cannot open the \(setting) at \(location): \(reason); check the server is up, the database exists and this user may use it"
        }
        return "cannot open the \(setting) at \(location): \(reason); make the file and its folder readable and writable by this user, "
            + "or set \(setting) to another path"
    }
}

extension StoreOpenError {
    /// Runs `open`; any failure becomes a ``StoreOpenError`` naming `setting` and `location`.
    static func opening<Store>(_ setting: String, at location: String, _ open: () async throws -> Store) async throws -> Store {
        do {
            return try await open()
        } catch {
            throw StoreOpenError(setting: setting, location: location, reason: ErrorMessage.describe(error))
        }
    }
}
