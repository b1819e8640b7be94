import Foundation
import KindredCore

/// Reading and writing manifests through `Codable`: written by `JSONTextEncoder` (stable bytes),
/// read by `JSONDecoder`, with decoding errors turned into bad-input errors naming the file and the
/// field (`parameters.k`).
enum ManifestCoding {
    /// The manifest's JSON text (one line, no newline).
    static func text<T: Encodable>(_ value: T) throws -> String { try JSONTextEncoder.encode(value) }

    /// Decodes `data` read from `file`.
    /// - Throws: `KindredError` (`.badInput`) naming the file and the field at fault.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw KindredError.badInput(describe(error), file: file, line: nil, field: field(of: error))
        } catch var error as KindredError {
            if error.file == nil { error.file = file }  // thrown by a type's own checks while decoding
            throw error
        } catch {
            throw KindredError.badInput("not readable as a manifest", file: file, line: nil)
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String? {
        codingPath.isEmpty ? nil : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, let context): return path(context.codingPath + [key])
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): return path(context.codingPath)
        @unknown default: return nil
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound: return "missing"
        case .typeMismatch, .valueNotFound: return "missing or of the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not a JSON object (damaged?)" : context.debugDescription
        @unknown default: return "not readable"
        }
    }
}
