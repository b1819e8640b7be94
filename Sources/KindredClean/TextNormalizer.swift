import Foundation

/// Folds free text to a comparable key: Unicode NFKC, lower case, punctuation to spaces (keeping
/// `+` and `#`, as in "C++" and "C#"), runs of whitespace to one space, trimmed.
///
/// Example: `"  Sr. Software-Engineer "` → `"sr software engineer"`.
public enum TextNormalizer {
    /// The normalised key of `text`.
    public static func key(_ text: String) -> String {
        if let ascii = asciiKey(text) { return ascii }
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = ""
        out.reserveCapacity(folded.utf8.count)
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            if scalar == "&" {
                if !out.isEmpty { out.append(" ") }
                out.append("and")
                pendingSpace = true
                continue
            }
            let keep = scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "+" || scalar == "#"
            if keep {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return out
    }

    /// The same folding for pure-ASCII text without Foundation (NFKC is the identity there); nil for
    /// any other text.
    static func asciiKey(_ text: String) -> String? {
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + 4)
            var pendingSpace = false
            for byte in bytes {
                if byte >= 128 { return nil }
                var b = byte
                if b >= 65 && b <= 90 { b += 32 }
                if b == 38 {  // &
                    if !out.isEmpty { out.append(32) }
                    out.append(contentsOf: [97, 110, 100])
                    pendingSpace = true
                    continue
                }
                let keep = (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 43 || b == 35
                if keep {
                    if pendingSpace && !out.isEmpty { out.append(32) }
                    pendingSpace = false
                    out.append(b)
                } else {
                    pendingSpace = true
                }
            }
            return String(decoding: out, as: UTF8.self)
        } ?? nil
    }

    /// The words of a key.
    public static func words(_ key: String) -> [Substring] {
        key.split(separator: " ")
    }
}

