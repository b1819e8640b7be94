import Dispatch
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
///
/// Long stages report how far they got through a `ProgressCounter` (`track`): on a terminal the bar's
/// line shows the phase, items done (of the total when known), items per second and the time left, redrawn
/// at most once a second; in JSON, a `progress` event every `progressInterval` seconds (default 5;
/// `KINDRED_PROGRESS_INTERVAL`) and one when the stage ends. Plain text off a terminal stays quiet.
/// Progress goes to stderr only, never into output files, and is sampled on a timer of its own.
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
    /// Seconds between JSON `progress` events.
    public let progressInterval: Double
    private let progressDrawn = Mutex<Bool>(false)
    private let quiet: Bool
    /// The stage being tracked and the step bar's text, for the timer.
    private let tracked = Mutex<(counter: ProgressCounter?, bar: String)>((nil, ""))
    private let timer = Mutex<DispatchSourceTimer?>(nil)

    /// - Parameters:
    ///   - environment: read for `NO_COLOR` (any value disables colour, per no-color.org).
    ///   - quiet: no info lines (warnings and errors still go out).
    ///   - environment: also read for `KINDRED_PROGRESS_INTERVAL` (seconds between JSON progress events, ≥ 0.1).
    public init(format: Format = .text, environment: [String: String] = [:], quiet: Bool = false, terminal: Bool? = nil) {
        self.format = format
        let tty = terminal ?? (isatty(2) == 1)
        showsProgress = tty && format == .text
        usesColor = showsProgress && environment["NO_COLOR"] == nil
        self.quiet = quiet
        var interval = 5.0
        if let text = environment["KINDRED_PROGRESS_INTERVAL"], let value = Double(text.trimmingSpaces()), value.isFinite, value >= 0.1 { interval = value }
        progressInterval = interval
    }

    deinit {
        timer.withLock { $0?.cancel() }
    }

    /// Whether `track` reports anything: on a terminal (text) or in JSON, and not quiet.
    public var reportsProgress: Bool { !quiet && (showsProgress || format == .json) }

    /// A counter for a long stage, reported until `endTracking` (see the type's discussion).
    /// - Parameters:
    ///   - stage: the stage's name, as in `stage_done` events.
    ///   - unit: what is counted (`records`, `people`, `vertex moves`).
    public func track(_ stage: String, unit: String) -> ProgressCounter {
        let counter = ProgressCounter(stage: stage, unit: unit)
        guard reportsProgress else { return counter }
        tracked.withLock { $0.counter = counter }
        timer.withLock { timer in
            guard timer == nil else { return }
            let period = format == .json ? progressInterval : 1.0
            let source = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
            source.schedule(deadline: .now() + period, repeating: period, leeway: .milliseconds(100))
            source.setEventHandler { [weak self] in self?.tick() }
            source.resume()
            timer = source
        }
        return counter
    }

    /// Stops reporting `counter`; in JSON, writes its last `progress` event (done, total, rate).
    public func endTracking(_ counter: ProgressCounter) {
        guard reportsProgress else { return }
        let wasCurrent = tracked.withLock { state -> Bool in
            guard state.counter === counter else { return false }
            state.counter = nil
            return true
        }
        if wasCurrent && format == .json { emitProgress(counter) }
    }

    private func tick() {
        guard let (counter, bar) = tracked.withLock({ state in state.counter.map { ($0, state.bar) } }) else { return }
        switch format {
        case .json:
            emitProgress(counter)
        case .text:
            guard showsProgress else { return }
            let line = "\r\u{1B}[2K" + bar + "  " + RunLog.describe(counter)
            progressDrawn.withLock { drawn in
                drawn = true
                write(line)
            }
        }
    }

    private func emitProgress(_ counter: ProgressCounter) {
        var fields: [(String, Value)] = [("stage", .string(counter.stage)), ("phase", .string(counter.phase)), ("done", .int(counter.done))]
        if let total = counter.total { fields.append(("total", .int(total))) }
        fields.append(("unit", .string(counter.unit)))
        fields.append(("rate", .double((counter.rate * 10).rounded() / 10)))
        if let left = counter.secondsLeft { fields.append(("seconds_left", .double(left.rounded()))) }
        emit("info", "progress", counter.stage + ": " + RunLog.describe(counter), fields)
    }

    /// `cleaning: 12,345 of 60,000 records, 4,100/s, ~12 s left` (no total: no time left).
    public static func describe(_ counter: ProgressCounter) -> String {
        func grouped(_ n: Int) -> String {
            let digits = String(n)
            var out = ""
            for (i, c) in digits.enumerated() {
                if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return out
        }
        let phase = counter.phase.isEmpty ? "working" : counter.phase
        if counter.done == 0 && counter.total == nil { return phase + "… \(Int(counter.seconds)) s" }
        var text = phase + ": "
        text += grouped(counter.done) + (counter.total.map { " of " + grouped($0) } ?? "") + " " + counter.unit
        text += ", " + grouped(Int(counter.rate.rounded())) + "/s"
        if let left = counter.secondsLeft {
            let s = Int(left.rounded())
            text += s >= 120 ? ", ~\(s / 60) min left" : ", ~\(s) s left"
        }
        return text
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
        tracked.withLock { $0.bar = "[\(bar)] \(step)/\(total)  \(label)" }
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

    /// Clears a drawn progress bar and stops the progress timer.
    public func finishProgress() {
        tracked.withLock { $0.counter = nil }
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
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
