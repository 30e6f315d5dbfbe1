import Foundation
import Imaging
import Testing

/// Files a stranger may send as a reference image that ImageGate must refuse without handing them to a parser:
/// formats whose libvips loaders (librsvg, poppler, ImageMagick, libtiff, giflib, libheif) must never see
/// strangers' bytes, compression bombs, and JPEG/PNG files whose headers lie.
package enum HostileImages {
    /// A named sample and why it must be refused.
    package struct Sample: Sendable, CustomTestStringConvertible {
        package let name: String
        package let bytes: [UInt8]
        package var testDescription: String { self.name }

        package init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Formats ImageGate does not accept: refused on their first bytes.
    package static let foreignFormats: [Sample] = [
        Sample(
            name: "SVG",
            bytes: Array(
                #"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>"#.utf8
            )
        ),
        Sample(
            name: "PDF",
            bytes: Array(
                "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
                    .utf8
            )
        ),
        Sample(name: "PPM", bytes: Array("P6\n2 2\n255\n".utf8) + [UInt8](repeating: 0x80, count: 12)),
        Sample(name: "TIFF", bytes: [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 64)),
        Sample(
            name: "GIF",
            bytes: Array("GIF89a".utf8) + [
                0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
                0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
            ]
        ),
        Sample(
            name: "HEIC",
            bytes: [0x00, 0x00, 0x00, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8) + [UInt8](repeating: 0, count: 32)
        ),
        Sample(name: "gzip bomb (1 MiB of zeros)", bytes: Self.base64(gzipBomb)),
        Sample(name: "zip bomb (1 MiB of zeros)", bytes: Self.base64(zipBomb)),
        Sample(name: "text", bytes: Array("hello world".utf8)),
        Sample(name: "empty", bytes: []),
    ]

    /// A valid image of `width` × `height` in `format`, to corrupt.
    package static func image(width: Int = 64, height: Int = 64, format: ImageFormat) throws -> [UInt8] {
        try PreviewRenderer.render(
            PreviewSpec(prompt: "sample", variation: 1, width: width, height: height, references: [], format: format, footer: "")
        )
    }

    /// A PNG cut in half: its header is fine, its pixels end early.
    package static func truncatedPNG() throws -> [UInt8] {
        let bytes = try Self.image(width: 256, height: 256, format: .png)
        return Array(bytes.prefix(bytes.count / 2))
    }

    /// A PNG whose header claims `width` × `height` (CRC fixed, so the header itself is valid) over 64 × 64 of data:
    /// decoding it would allocate for the claimed size.
    package static func pngClaiming(width: UInt32, height: UInt32) throws -> [UInt8] {
        var bytes = try Self.image(format: .png)
        // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), ... CRC over type + data (17 bytes).
        Self.putBigEndian(width, into: &bytes, at: 16)
        Self.putBigEndian(height, into: &bytes, at: 20)
        Self.putBigEndian(Self.crc32(bytes[12..<29]), into: &bytes, at: 29)
        return bytes
    }

    /// A JPEG whose frame header (SOF) claims `width` × `height` over 64 × 64 of data.
    package static func jpegClaiming(width: UInt16, height: UInt16) throws -> [UInt8] {
        var bytes = try Self.image(format: .jpeg)
        var index = 2
        while index + 9 < bytes.count {
            guard bytes[index] == 0xFF else { break }
            let marker = bytes[index + 1]
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if (0xC0...0xC2).contains(marker) {
                bytes[index + 5] = UInt8(height >> 8)
                bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8)
                bytes[index + 8] = UInt8(width & 0xFF)
                return bytes
            }
            index += 2 + length
        }
        preconditionFailure("no frame header in the sample JPEG")
    }

    static func putBigEndian(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for shift in 0..<4 { bytes[offset + shift] = UInt8((value >> (24 - 8 * UInt32(shift))) & 0xFF) }
    }

    /// PNG's CRC-32 (ISO 3309), bit by bit: a few bytes only.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func base64(_ text: String) -> [UInt8] { Array(Data(base64Encoded: text, options: .ignoreUnknownCharacters)!) }

    /// `gzip -9` of 1 MiB of zeros.
    static let gzipBomb =
        """
        H4sIAAAAAAACA+3BMQEAAADCoPVPbQhfoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPgMc6jinAAAQ
        AA==
        """

    /// A zip archive holding `bomb.png`: 1 MiB of zeros, deflated.
    static let zipBomb =
        """
        UEsDBBQAAAAIAAAAIQAc6jinCQQAAAAAEAAIAAAAYm9tYi5wbmftwTEBAAAAwqD1T20IX6AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAD4DUEsBAhQDFAAAAAgAAAAhABzqOKcJBAAAAAAQAAgAAAAAAAAAAAAAAIABAAAAAGJvbWIucG5n
        UEsFBgAAAAABAAEANgAAAC8EAAAAAA==
        """
}

extension HostileImages {
    /// A good reference image as a data URI: the hostile one comes second, so the error must name the right one.
    package static func validDataURI() throws -> String {
        "data:image/png;base64,\(Data(try Self.image(format: .png)).base64EncodedString())"
    }
}
