import Foundation
import KindredCore

/// Runs a standalone command's long stage with progress on stderr: redrawn about once a second on a
/// terminal, periodic `progress` events (JSON Lines) when `KINDRED_LOG_FORMAT=json`, nothing otherwise.
/// The same reporting `kindred run` does for its stages; output files never see it.
func withProgress<T>(_ stage: String, unit: String, _ body: (ProgressCounter) throws -> T) rethrows -> T {
    let environment = ProcessInfo.processInfo.environment
    let format = environment["KINDRED_LOG_FORMAT"].flatMap(RunLog.Format.init(rawValue:)) ?? .text
    let log = RunLog(format: format, environment: environment)
    let counter = log.track(stage, unit: unit)
    defer {
        log.endTracking(counter)
        log.finishProgress()
    }
    return try body(counter)
}
