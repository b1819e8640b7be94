@preconcurrency import Crypto
import Foundation
import KindredCore

/// Replaces raw ids with keyed pseudonyms: HMAC-SHA256(key, id), the first 12 bytes in hex with a
/// `k` prefix. The same key always gives the same pseudonym; another key gives unrelated ones, and
/// without the key the raw id cannot be recovered or confirmed.
public struct Pseudonymizer: Sendable {
    private let key: SymmetricKey
    /// HMAC keyed once (its hashers are values with copy-on-write: each pseudonym starts from a copy).
    private let keyed: HMAC<SHA256>
    /// True when the publicly known demo key is in use (outputs are then not private).
    public let isDemoKey: Bool

    /// The demo key's text. Anyone can recompute pseudonyms made with it: for demos and tests only.
    public static let demoKeyText = "kindred-demo-key-not-secret-0000"

    /// Creates a pseudonymiser from key text (at least 16 bytes).
    /// - Throws: `KindredError` (`.usage`) when the key is too short.
    public init(keyText: String, isDemoKey: Bool = false) throws {
        let bytes = Array(keyText.utf8)
        guard bytes.count >= 16 else {
            throw KindredError.usage("the pseudonymisation key must be at least 16 bytes long")
        }
        key = SymmetricKey(data: bytes)
        keyed = HMAC<SHA256>(key: key)
        self.isDemoKey = isDemoKey
    }

    /// The demo pseudonymiser (publicly known key).
    public static func demo() -> Pseudonymizer {
        // The demo key is 32 bytes, so this cannot fail.
        try! Pseudonymizer(keyText: demoKeyText, isDemoKey: true)
    }

    /// Resolves the key the way every command does: `--key-file` first, then `KINDRED_KEY`, then the
    /// demo key if allowed; otherwise a usage error that says how to give one.
    public static func resolve(keyFile: String?, environment: [String: String], allowDemoKey: Bool) throws -> Pseudonymizer {
        if let keyFile {
            guard let data = FileManager.default.contents(atPath: keyFile), let text = String(data: data, encoding: .utf8) else {
                throw KindredError(.usage, "cannot read the key file", file: keyFile)
            }
            return try Pseudonymizer(keyText: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let text = environment["KINDRED_KEY"], !text.isEmpty {
            return try Pseudonymizer(keyText: text)
        }
        if allowDemoKey { return demo() }
        throw KindredError.usage(
            "no pseudonymisation key: set KINDRED_KEY or pass --key-file FILE (or --demo-key for a demo with a public key)")
    }

    /// The pseudonym of a raw id.
    public func pseudonym(for id: String) -> String {
        var mac = keyed
        var id = id
        id.withUTF8 { mac.update(data: $0) }
        let code = mac.finalize()
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "k")]
        out.reserveCapacity(25)
        for byte in code.prefix(12) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
