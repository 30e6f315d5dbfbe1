import Accounts
import Billing
import Customers
import Essentials
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import NIOCore
import Payments
import Providers

/// The operator's API under `/admin/v1`: accounts, keys, credit, usage, margin, routes, one generation's books and
/// the books audit.
struct AdminController {
    let operations: Operations
    /// People who signed up and the invite codes.
    let customers: Customers
    var routes: @Sendable () -> [RouteStatus] = { [] }

    func addRoutes(to group: RouterGroup<AdminRequestContext>) {
        group.post("accounts", use: self.createAccount)
        group.get("accounts", use: self.listAccounts)
        group.post("accounts/:name/keys", use: self.createKey)
        group.post("accounts/:name/credits", use: self.addCredit)
        group.post("accounts/:name/disable", use: self.disable)
        group.post("accounts/:name/enable", use: self.enable)
        group.get("payments", use: self.payments)
        group.get("users", use: self.users)
        group.get("invites", use: self.invites)
        group.post("invites", use: self.createInvite)
        group.get("keys", use: self.listKeys)
        group.delete("keys/:prefix", use: self.revokeKey)
        group.patch("keys/:prefix", use: self.updateKey)
        group.get("usage", use: self.usage)
        group.get("cash", use: self.cash)
        group.get("margin", use: self.margin)
        group.get("routes", use: self.listRoutes)
        group.get("generations/:id", use: self.generation)
        group.get("audit", use: self.audit)
    }

    // MARK: - Bodies

    struct CreateAccount: Decodable {
        let name: String
        let creditUSD: String?
        enum CodingKeys: String, CodingKey {
            case name
            case creditUSD = "credit_usd"
        }
    }

    struct CreateKey: Decodable {
        let label: String?
        let dailyLimitUSD: String?
        let maxConcurrency: Int?
        let requestsPerMinute: Int?
        let imagesPerMinute: Int?
        enum CodingKeys: String, CodingKey {
            case label
            case dailyLimitUSD = "daily_limit_usd"
            case maxConcurrency = "max_concurrency"
            case requestsPerMinute = "requests_per_minute"
            case imagesPerMinute = "images_per_minute"
        }
    }

    /// A change of a key's rate limits: a field left out stays as it is, `null` gives it back to the server's default.
    struct UpdateKey: Decodable {
        let requestsPerMinute: Int??
        let imagesPerMinute: Int??
        enum CodingKeys: String, CodingKey {
            case requestsPerMinute = "requests_per_minute"
            case imagesPerMinute = "images_per_minute"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.requestsPerMinute = try container.decodeChange(Int.self, forKey: .requestsPerMinute)
            self.imagesPerMinute = try container.decodeChange(Int.self, forKey: .imagesPerMinute)
        }
    }

    struct AddCredit: Decodable {
        let usd: String
        let note: String?
    }

    /// An account as the admin API shows it.
    struct AccountBody: Encodable {
        let id: String
        let name: String
        let balanceUsd: MicroUSD
        let heldUsd: MicroUSD
        let createdAt: String?
        let disabled: Bool

        init(account: Account) {
            self.id = account.id
            self.name = account.name
            self.balanceUsd = account.balance
            self.heldUsd = account.held
            self.createdAt = APITime.string(account.createdAt)
            self.disabled = account.disabled
        }
    }

    /// A key as the admin API shows it; the secret only in the answer that created it.
    struct KeyBody: Encodable {
        let id: String
        let accountID: String
        let prefix: String
        let label: String
        let createdAt: String?
        let lastUsedAt: String?
        let revokedAt: String?
        let dailyLimitUsd: MicroUSD?
        let maxConcurrency: Int?
        let requestsPerMinute: Int?
        let imagesPerMinute: Int?
        let key: Omittable<String>

        /// In the order of the properties: the synthesized encoder writes the keys in this order.
        enum CodingKeys: String, CodingKey {
            case id
            case accountID = "account_id"
            case prefix, label, createdAt, lastUsedAt, revokedAt, dailyLimitUsd, maxConcurrency, requestsPerMinute, imagesPerMinute, key
        }

        init(info: APIKeyInfo, secret: String?) {
            self.id = info.id
            self.accountID = info.accountID
            self.prefix = info.prefix
            self.label = info.label
            self.createdAt = APITime.string(info.createdAt)
            self.lastUsedAt = APITime.string(info.lastUsedAt)
            self.revokedAt = APITime.string(info.revokedAt)
            self.dailyLimitUsd = info.dailyLimit
            self.maxConcurrency = info.maxConcurrency
            self.requestsPerMinute = info.requestsPerMinute
            self.imagesPerMinute = info.imagesPerMinute
            self.key = Omittable(secret)
        }
    }

    struct List<Item: Encodable>: Encodable {
        let object = "list"
        let data: [Item]
    }

    // MARK: - Handlers

    @Sendable func createAccount(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let body = try await Self.decode(CreateAccount.self, request, context)
        guard AccountStore.isValidName(body.name) else {
            throw APIError(.invalid("name", "name must be 1 to 64 letters, digits, '.', '_' or '-'."))
        }
        let credit = try body.creditUSD.map { try Self.amount($0, param: "credit_usd") } ?? .zero
        do {
            let account = try await self.operations.createAccount(name: body.name, credit: credit)
            return try JSONResponse.make(AccountBody(account: account), status: .created)
        } catch let error as BillingError where error.code == .accountExists {
            throw APIError(status: .conflict, code: "account_exists", message: "An account named '\(body.name)' exists already.", param: "name")
        }
    }

    @Sendable func listAccounts(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try JSONResponse.make(List(data: try await self.operations.accounts().map(AccountBody.init)))
    }

    @Sendable func createKey(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let account = try await self.account(context)
        let body = try await Self.decode(CreateKey.self, request, context)
        let limits = try Self.limits(of: body)
        let (info, secret) = try await self.operations.createKey(
            accountID: account.id,
            label: try Self.text(body.label, param: "label") ?? "",
            limits: limits
        )
        return try JSONResponse.make(KeyBody(info: info, secret: secret), status: .created)
    }

    /// A new key's limits, checked (the operator's and the account page's key creation share them).
    static func limits(of body: CreateKey) throws -> NewKeyLimits {
        let limit = try body.dailyLimitUSD.map { try Self.amount($0, param: "daily_limit_usd") }
        if let max = body.maxConcurrency, !KeyLimits.settableConcurrency.contains(max) {
            throw APIError(.invalid("max_concurrency", "max_concurrency must be from 1 to \(KeyLimits.settableConcurrency.upperBound)."))
        }
        try Self.checkRates(requestsPerMinute: body.requestsPerMinute, imagesPerMinute: body.imagesPerMinute)
        return NewKeyLimits(
            dailyLimit: limit,
            maxConcurrency: body.maxConcurrency,
            requestsPerMinute: body.requestsPerMinute,
            imagesPerMinute: body.imagesPerMinute
        )
    }

    /// Adds credit. With an `Idempotency-Key`, a retried request adds it once.
    @Sendable func addCredit(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let account = try await self.account(context)
        let body = try await Self.decode(AddCredit.self, request, context)
        let amount = try Self.amount(body.usd, param: "usd")
        let note = try Self.text(body.note, param: "note") ?? "credit added through the admin API"
        let key = try GenerationRequest.idempotencyKey(request)
        let outcome: Credits.Outcome
        do {
            outcome = try await self.operations.addCredit(amount, accountID: account.id, note: note, idempotencyKey: key)
        } catch let error as BillingError {
            throw RequestError(error).map(APIError.init) ?? error
        }
        let updated = try await self.operations.account(id: account.id) ?? account
        var headers: HTTPFields = [:]
        if outcome == .replayed { headers[.idempotentReplayed] = "true" }
        return try JSONResponse.make(AccountBody(account: updated), headers: headers)
    }

    @Sendable func listKeys(_ request: Request, context: AdminRequestContext) async throws -> Response {
        var accountID: String?
        if let name = request.uri.queryParameters["account"].map(String.init) {
            guard let account = try await self.operations.account(named: name) else { throw APIError.notFound("No account named '\(name)'.") }
            accountID = account.id
        }
        return try JSONResponse.make(List(data: try await self.operations.keys(accountID: accountID).map { KeyBody(info: $0, secret: nil) }))
    }

    @Sendable func revokeKey(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let prefix = context.parameters.get("prefix") ?? ""
        guard prefix.count >= 6 else { throw APIError(.invalid("prefix", "Give at least 6 characters of the key.")) }
        let revoked = try await self.operations.revokeKeys(prefix: prefix)
        guard !revoked.isEmpty else { throw APIError.notFound("No live key starts with '\(prefix)'.") }
        return try JSONResponse.make(List(data: revoked.map { KeyBody(info: $0, secret: nil) }))
    }

    /// Changes the rate limits of the one live key whose prefix starts with `{prefix}`.
    @Sendable func updateKey(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let prefix = context.parameters.get("prefix") ?? ""
        guard prefix.count >= 6 else { throw APIError(.invalid("prefix", "Give at least 6 characters of the key.")) }
        let body = try await Self.decode(UpdateKey.self, request, context)
        try Self.checkRates(requestsPerMinute: body.requestsPerMinute ?? nil, imagesPerMinute: body.imagesPerMinute ?? nil)
        switch try await self.operations.setRateLimits(
            prefix: prefix,
            requestsPerMinute: body.requestsPerMinute,
            imagesPerMinute: body.imagesPerMinute
        ) {
        case .updated(let key):
            return try JSONResponse.make(KeyBody(info: key, secret: nil))
        case .notFound:
            throw APIError.notFound("No live key starts with '\(prefix)'.")
        case .ambiguous(let keys):
            throw APIError(
                status: .conflict,
                code: "ambiguous_prefix",
                message: "\(keys.count) live keys start with '\(prefix)'; give more of the key.",
                param: "prefix"
            )
        }
    }

    @Sendable func usage(_ request: Request, context: AdminRequestContext) async throws -> Response {
        var accountID: String?
        if let name = request.uri.queryParameters["account"].map(String.init) {
            guard let account = try await self.operations.account(named: name) else { throw APIError.notFound("No account named '\(name)'.") }
            accountID = account.id
        }
        return try JSONResponse.make(List(data: try await self.operations.usage(accountID: accountID)))
    }

    @Sendable func cash(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try JSONResponse.make(try await self.operations.cash())
    }

    @Sendable func margin(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let by = request.uri.queryParameters["by"].map(String.init) ?? "model"
        let groupings: [String: UsageReport.MarginGrouping] = [
            "model": .init(), "day": .init(byDay: true), "route": .init(byRoute: true), "route_day": .init(byDay: true, byRoute: true),
        ]
        guard let grouping = groupings[by] else {
            throw APIError(
                .invalid("by", "by must be \"model\" (all time, the default), \"day\", \"route\" (model and route, all time) or \"route_day\".")
            )
        }
        return try JSONResponse.make(List(data: try await self.operations.margins(grouping)))
    }

    /// Every usable route in each model's order, with what it bills and its breaker in this process.
    @Sendable func listRoutes(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try JSONResponse.make(List(data: self.routes()))
    }

    @Sendable func generation(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let books = try await self.operations.generationBooks(id: id) else {
            throw APIError.notFound("No generation with this id.")
        }
        return try JSONResponse.make(books)
    }

    @Sendable func audit(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try JSONResponse.make(try await self.operations.audit())
    }

    // MARK: - Helpers

    /// Free text the operator writes (a label, a note), refused if it holds a character no engine can store.
    static func text(_ value: String?, param: String) throws -> String? {
        guard let value, value.containsNUL else { return value }
        throw APIError(.invalid(param, "\(param) must not contain NUL characters (U+0000)."))
    }

    func account(_ context: AdminRequestContext) async throws -> Account {
        let name = context.parameters.get("name") ?? ""
        guard let account = try await self.operations.account(named: name) else { throw APIError.notFound("No account named '\(name)'.") }
        return account
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: some RequestContext) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 1 << 20)
        } catch is NIOTooManyBytesError {
            throw APIError(.tooLarge("The request body is larger than 1 MiB."))
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.invalid(key.stringValue, "\(key.stringValue) is required."))
        } catch let DecodingError.typeMismatch(_, ctx) {
            let name = ctx.codingPath.last?.stringValue ?? "body"
            throw APIError(.invalid(name, "\(name) has the wrong type."))
        } catch {
            throw APIError(.invalidJSON("The request body is not valid JSON."))
        }
    }

    /// Rate limits are 0 (none) to 1,000,000 per minute.
    static func checkRates(requestsPerMinute: Int?, imagesPerMinute: Int?) throws {
        for (name, value) in [("requests_per_minute", requestsPerMinute), ("images_per_minute", imagesPerMinute)] {
            if let value, !RateLimit.settableRange.contains(value) {
                throw APIError(.invalid(name, "\(name) must be from 0 (no limit) to \(RateLimit.settableRange.upperBound)."))
            }
        }
    }

    static func amount(_ text: String, param: String) throws -> MicroUSD {
        guard let value = MicroUSD(usd: text), value.micros > 0 else {
            throw APIError(.invalid(param, "\(param) must be a positive decimal string with at most 6 decimals, e.g. \"10\" or \"0.5\"."))
        }
        return value
    }
}
