import Crypto
import Essentials
import Hummingbird
import HummingbirdAuth

/// The operator, proven by the admin token: the identity of the admin API's requests.
struct Operator: Sendable {}

/// Per-request state of the operator's API under `/admin/v1`: hummingbird-auth's request context, made from the
/// gateway's own for the routes of that group, whose identity is the operator.
struct AdminRequestContext: ChildRequestContext, AuthRequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: Operator?

    init(context: GatewayRequestContext) {
        self.coreContext = context.coreContext
        self.identity = nil
    }
}

/// Guards `/admin/v1` with the operator's token (`--admin-token`), compared in constant time, through
/// hummingbird-auth's authenticator middleware. Without the token the request goes no further: 401.
struct AdminAuthenticator: AuthenticatorMiddleware {
    typealias Context = AdminRequestContext
    /// The digests of every accepted token (several during a rotation).
    let expected: [[UInt8]]

    init(tokens: [String]) {
        self.expected = tokens.map { Array(SHA256.hash(data: Array($0.utf8))) }
    }

    func authenticate(request: Request, context: AdminRequestContext) async throws -> Operator? {
        guard let bearer = request.headers.bearer else { throw APIError.unauthorized }
        // Comparing fixed-length digests keeps the comparison's time independent of the token's content and length;
        // every accepted token is compared, so the time does not say which one matched either.
        let given = Array(SHA256.hash(data: Array(bearer.token.utf8)))
        // Not `||` in a fold: it would stop at the first match and skip the comparisons after it.
        let matches = self.expected.map { ConstantTime.equal(given, $0) }.contains(true)
        guard matches else { throw APIError.unauthorized }
        return Operator()
    }
}
