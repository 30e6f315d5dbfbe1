import Crypto
import Essentials
import Foundation

/// A request the signer cannot read.
package enum SigV4Error: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String)

    package var description: String {
        switch self {
        case .invalidURL(let url): "not an absolute URL: \(url)"
        }
    }
}
