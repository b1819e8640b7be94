import Foundation

/// An error that Kindred reports to a person: a code that decides the exit status, a message,
/// and where it happened (file, line, field) when it concerns input.
///
/// Messages never contain the offending value itself unless the caller opted in (`--show-values`),
/// so that personal data does not leak through error output.
public struct KindredError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; the CLI maps each code to one exit status.
    public enum Code: String, Sendable, Equatable {
        /// Wrong arguments or configuration (exit 2).
        case usage
        /// Bad input data: unreadable, malformed, inconsistent (exit 65).
        case badInput
        /// A file could not be read or written (exit 1).
        case io
        /// Records were quarantined and `--strict` was given (exit 3).
        case partial
        /// Another run holds the lock (exit 75).
        case locked
        /// The job was asked to stop (SIGTERM, SIGINT or its maximum run time) and did (exit 1).
        case stopped
        /// A bug or an unexpected state (exit 1).
        case internalFailure
        /// The job would exceed, or reached, its memory limit (`--max-memory`) and stopped early (exit 4);
        /// the message says what to change (sample size, shards, chunk size).
        case resourceLimit
        /// A program Kindred needs for this is not installed or did not work (Chromium, to print a PDF)
        /// (exit 69, sysexits' EX_UNAVAILABLE); what Kindred could make without it was made.
        case unavailable

        /// The one mapping to exit statuses: 2 usage, 65 bad data, 3 partial, 4 memory limit, 69 a needed
        /// program missing, 75 locked, 1 otherwise.
        public var exitStatus: Int32 {
            switch self {
            case .usage: return 2
            case .badInput: return 65
            case .io, .internalFailure, .stopped: return 1
            case .partial: return 3
            case .resourceLimit: return 4
            case .locked: return 75
            case .unavailable: return 69
            }
        }
    }

    public var code: Code
    public var message: String
    /// The file the error concerns, if any.
    public var file: String?
    /// 1-based line number in `file`, if any.
    public var line: Int?
    /// The field (column, JSON key path) the error concerns, if any.
    public var field: String?

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.field = field
    }

    /// `file:line: field 'x': message`, with the parts that are known.
    public var description: String {
        var parts: [String] = []
        if let file {
            if let line { parts.append("\(file):\(line)") } else { parts.append(file) }
        } else if let line {
            parts.append("line \(line)")
        }
        if let field { parts.append("field '\(field)'") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    /// The process exit status for this error (see `Code.exitStatus`).
    public var exitStatus: Int32 { code.exitStatus }

    /// Shorthand for a bad-input error at a position in a file.
    public static func badInput(_ message: String, file: String?, line: Int?, field: String? = nil) -> KindredError {
        KindredError(.badInput, message, file: file, line: line, field: field)
    }

    /// Shorthand for a usage error.
    public static func usage(_ message: String) -> KindredError {
        KindredError(.usage, message)
    }
}

/// Kindred's version (written into models and summaries).
public enum KindredVersion {
    public static let string = "0.1.0"
}

/// Checks on a file the analyst named, with the reason in words.
public enum InputFile {
    /// Throws unless `path` is there and is not a folder: "no such file" and "is a folder" are bad input
    /// (exit 65: retrying will not help); another failure of stat(2) is an I/O error.
    /// Returns the file's status.
    @discardableResult
    public static func checkExists(_ path: String) throws -> stat {
        var status = stat()
        if stat(path, &status) != 0 {
            if errno == ENOENT || errno == ENOTDIR { throw KindredError(.badInput, "no such file", file: path) }
            throw KindredError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw KindredError(.badInput, "is a folder, expected a file", file: path) }
        return status
    }

    /// Throws when `path` is missing ("no such file", bad input: retrying will not help), a folder, or
    /// unreadable (permission). `what` names the file in the message ("input", "config file").
    public static func checkReadable(_ path: String, what: String, code: KindredError.Code = .badInput) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw KindredError(code, "no such file (the \(what))", file: path)
        }
        if isFolder.boolValue { throw KindredError(code, "a folder, not a file (the \(what))", file: path) }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw KindredError(code, "permission denied (the \(what))", file: path)
        }
    }
}
