import Foundation

/// Request counts and latency histograms per route and status, and the model's state, in the
/// Prometheus text exposition format (`GET /metrics`). Routes are templates (`/similar/{id}`), never
/// paths, so no id reaches the metrics.
public final class ServeMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets.
    public static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: ServeMetrics.buckets.count)
        var sum = 0.0
        var count = 0
    }

    private struct State {
        var requests: [String: [Int: Int]] = [:]
        var latency: [String: Histogram] = [:]
        var run = ""
        var loadSeconds = 0.0
        var reloads = 0
        var reloadFailures = 0
    }

    private let state = Locked(State())

    public init() {}

    /// Counts one answered request.
    public func record(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests[route, default: [:]][status, default: 0] += 1
            var h = s.latency[route] ?? Histogram()
            for (i, bound) in ServeMetrics.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[route] = h
        }
    }

    /// A model is now in use (the first, or a reload).
    func modelLoaded(_ model: ServeModel) {
        state.withLock { s in
            if !s.run.isEmpty { s.reloads += 1 }
            s.run = model.runKey
            s.loadSeconds = model.loadSeconds
        }
    }

    /// A reload failed (the previous model stays in use).
    public func reloadFailed() { state.withLock { $0.reloadFailures += 1 } }

    /// Requests answered so far with `status` on `route`.
    public func count(route: String, status: Int) -> Int { state.withLock { $0.requests[route]?[status] ?? 0 } }

    /// The exposition text.
    public func text() -> String {
        let s = state.withLock { $0 }
        var out = "# HELP kindred_requests_total Requests answered, by route and status.\n# TYPE kindred_requests_total counter\n"
        for route in s.requests.keys.sorted() {
            for status in s.requests[route]!.keys.sorted() {
                out += "kindred_requests_total{route=\"\(route)\",status=\"\(status)\"} \(s.requests[route]![status]!)\n"
            }
        }
        out += "# HELP kindred_request_seconds Time to answer a request (body read), by route.\n# TYPE kindred_request_seconds histogram\n"
        for route in s.latency.keys.sorted() {
            let h = s.latency[route]!
            for (i, bound) in ServeMetrics.buckets.enumerated() {
                out += "kindred_request_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(h.counts[i])\n"
            }
            out += "kindred_request_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(h.count)\n"
            out += "kindred_request_seconds_sum{route=\"\(route)\"} \(h.sum)\n"
            out += "kindred_request_seconds_count{route=\"\(route)\"} \(h.count)\n"
        }
        out += "# HELP kindred_model_info The run whose model answers.\n# TYPE kindred_model_info gauge\n"
        out += "kindred_model_info{run=\"\(s.run)\"} 1\n"
        out += "# HELP kindred_model_load_seconds Seconds the current model took to load.\n# TYPE kindred_model_load_seconds gauge\n"
        out += "kindred_model_load_seconds \(s.loadSeconds)\n"
        out += "# HELP kindred_model_reloads_total Models swapped in after the first.\n# TYPE kindred_model_reloads_total counter\n"
        out += "kindred_model_reloads_total \(s.reloads)\n"
        out += "# HELP kindred_model_reload_failures_total Reloads that failed (the previous model kept answering).\n# TYPE kindred_model_reload_failures_total counter\n"
        out += "kindred_model_reload_failures_total \(s.reloadFailures)\n"
        return out
    }
}
