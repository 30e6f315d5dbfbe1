import Foundation

/// One setting of `imagegate serve` or an operator command, declared once: its name, type, default and help.
///
/// The name is the setting everywhere: `--NAME` on the command line, `IMAGEGATE_NAME` in the environment (upper case,
/// `-` as `_`), and the key `"NAME"` in a `--config` JSON file. The default is written as it would be on the command
/// line and read by the same parser, so a documented default and the value used are one text.
package struct ConfigSetting: Sendable {
    /// What a value must look like; each kind has its own parser and bounds.
    package enum Kind: Sendable {
        /// Any text.
        case text
        /// One of the listed words.
        case choice([String])
        /// A whole number within the range.
        case integer(ClosedRange<Int>)
        /// On or off: `--NAME` alone turns it on; `1`, `true`, `yes` or `0`, `false`, `no` elsewhere.
        case flag
        /// A duration written `90`, `90s`, `15m`, `2h` or `7d`, within the range of seconds.
        case duration(ClosedRange<Int64>)
    }

    package let name: String
    package let kind: Kind
    /// The default as command-line text; nil: unset unless given (the help says what unset means).
    package let defaultText: String?
    package let help: String
    /// Never logged or printed (`imagegate config` shows only whether it is set).
    package let isSecret: Bool
    /// Other environment variables read after `IMAGEGATE_NAME`, the names other tools use (`FAL_KEY`, `AWS_REGION`).
    package let environmentAliases: [String]

    package init(
        _ name: String,
        _ kind: Kind,
        default defaultText: String? = nil,
        secret: Bool = false,
        aliases: [String] = [],
        help: String
    ) {
        self.name = name
        self.kind = kind
        self.defaultText = defaultText
        self.isSecret = secret
        self.environmentAliases = aliases
        self.help = help
    }

    /// `IMAGEGATE_NAME`, the environment twin of `--NAME`.
    package var environmentName: String {
        "IMAGEGATE_" + self.name.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
