/// A setting that cannot be used, reported before anything starts; the message names the setting and where it came
/// from, never a secret's value.
package struct SettingsError: Error, CustomStringConvertible, Equatable {
    /// What kind of mistake it is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        package var description: String { self.name }

        /// A name no declaration has (a typo on the command line or in the file).
        package static let unknownSetting = Code(name: "unknown_setting")
        /// A value the setting's kind does not accept, or outside its bounds.
        package static let invalidValue = Code(name: "invalid_value")
        /// An option given without its value.
        package static let missingValue = Code(name: "missing_value")
        /// The `--config` file cannot be read or is not a JSON object.
        package static let unreadableFile = Code(name: "unreadable_file")
        /// Settings that each hold but not together, or a setting another one requires.
        package static let conflict = Code(name: "conflict")
    }

    package let code: Code
    package let description: String

    package init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
