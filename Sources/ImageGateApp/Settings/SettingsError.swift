/// A setting that cannot be used, reported before anything starts; the message names the setting and where it came
/// from, never a secret's value.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    /// What kind of mistake it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { self.name }

        /// A name no declaration has (a typo on the command line or in the file).
        public static let unknownSetting = Code(name: "unknown_setting")
        /// A value the setting's kind does not accept, or outside its bounds.
        public static let invalidValue = Code(name: "invalid_value")
        /// An option given without its value.
        public static let missingValue = Code(name: "missing_value")
        /// The `--config` file cannot be read or is not a JSON object.
        public static let unreadableFile = Code(name: "unreadable_file")
        /// Settings that each hold but not together, or a setting another one requires.
        public static let conflict = Code(name: "conflict")
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
