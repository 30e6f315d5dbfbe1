/// The version this binary reports (`imagegate --version`).
package enum ImageGateVersion {
    package static let current = "0.9.0"
}
