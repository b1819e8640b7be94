import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job's messages on stderr: plain lines, or JSON Lines (`--log-format json`) with a UTC time,
/// a level, an event name and fields. Progress (a bar over the job's steps) is drawn only when stderr
/// is a terminal and the format is text; colour only then too, and never when `NO_COLOR` is set.
/// Messages carry counts, stages and paths only, never personal data.
public final class RunLog: Sendable {
    /// How lines are written.
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    /// A field's value in a log line.
    public enum Value: Sendable {
        case int(Int), double(Double), string(String), bool(Bool)
    }

    public let format: Format
    /// stderr is a terminal and the format is text: progress is drawn.
    public let showsProgress: Bool
    /// Colour is used (terminal, text, no `NO_COLOR`).
    public let usesColor: Bool
    private let progressDrawn = Mutex<Bool>(false)
    private let quiet: Bool

    /// - Parameters:
    ///   - environment: read for `NO_COLOR` (any value disables colour, per no-color.org).
    ///   - quiet: no info lines (warnings and errors still go out).
    public init(format: Format = .text, environment: [String: String] = [:], quiet: Bool = false, terminal: Bool? = nil) {
        self.format = format
        let tty = terminal ?? (isatty(2) == 1)
        showsProgress = tty && format == .text
        usesColor = showsProgress && environment["NO_COLOR"] == nil
        self.quiet = quiet
    }

    /// A log that writes nothing but warnings and errors.
    public static let silent = RunLog(format: .text, quiet: true, terminal: false)

    public func info(_ event: String, _ message: String, _ fields: [(String, Value)] = []) {
        if quiet { return }
        emit("info", event, message, fields)
    }

    public func warning(_ event: String, _ message: String, _ fields: [(String, Value)] = []) {
        emit("warning", event, message, fields)
    }

    public func error(_ event: String, _ message: String, _ fields: [(String, Value)] = []) {
        emit("error", event, message, fields)
    }

    /// Draws `[#####·····] step/total  label` on the terminal (nothing otherwise).
    public func progress(step: Int, of total: Int, _ label: String) {
        guard showsProgress, !quiet, total > 0 else { return }
        let width = 24
        let filled = min(width, max(0, step * width / total))
        let bar = String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled)
        let text = "\r\u{1B}[2K[\(bar)] \(step)/\(total)  \(label)"
        progressDrawn.withLock { drawn in
            drawn = true
            write(text)
        }
    }

    private func emit(_ level: String, _ event: String, _ message: String, _ fields: [(String, Value)]) {
        let line: String
        switch format {
        case .json:
            var json = JSONText()
            json.add("time", RunLog.timestamp())
            json.add("level", level)
            json.add("event", event)
            json.add("message", message)
            for (key, value) in fields {
                switch value {
                case .int(let v): json.add(key, v)
                case .double(let v): json.add(key, v, digits: 4)
                case .string(let v): json.add(key, v)
                case .bool(let v): json.add(key, v)
                }
            }
            line = json.text
        case .text:
            let prefix: String
            switch level {
            case "warning": prefix = usesColor ? "\u{1B}[33mkindred: warning:\u{1B}[0m " : "kindred: warning: "
            case "error": prefix = usesColor ? "\u{1B}[31mkindred: error:\u{1B}[0m " : "kindred: error: "
            default: prefix = "kindred: "
            }
            line = prefix + message
        }
        progressDrawn.withLock { drawn in
            if drawn {
                write("\r\u{1B}[2K")
                drawn = false
            }
            write(line + "\n")
        }
    }

    /// Clears a drawn progress bar.
    public func finishProgress() {
        progressDrawn.withLock { drawn in
            if drawn { write("\r\u{1B}[2K") }
            drawn = false
        }
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    /// Now in UTC, ISO 8601 with milliseconds.
    public static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = time_t(spec.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = Int(spec.tv_nsec / 1_000_000)
        let millis = ms < 10 ? "00\(ms)" : (ms < 100 ? "0\(ms)" : "\(ms)")
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}
