import ArgumentParser
import Dispatch
import Foundation
import KindredClean
import KindredCore
import KindredPipeline
import KindredProjection
import KindredServe

/// `kindred serve`: one person at a time, over HTTP, from a model loaded once.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer single requests over HTTP from a run's model: assign people, nearest people, cluster profiles.",
        discussion: """
            MODEL is the output folder of `kindred run` (its latest run: when `latest` moves, the new model is \
            loaded and swapped in without dropping requests), or a run folder. SIGHUP reloads at once; SIGTERM \
            or SIGINT stops gracefully (requests in flight finish).

            Routes (JSON): POST /assign — one person (a JSON object in the `kindred project` input format) or an \
            array of them; ?cleaned=1 for `kindred clean` output → id (pseudonym), cluster, confidence, \
            second_cluster, reason: the same answer `kindred project` gives with the same --method, --k and \
            --probes. GET /similar/ID?top=N&explain=1 → nearest people and why (as `kindred similar --json`). \
            GET /clusters → profiles. GET /healthz (never needs the token). GET /metrics (Prometheus text).

            Binds 127.0.0.1 unless --host says otherwise. With --token-file or KINDRED_SERVE_TOKEN, every route \
            but /healthz needs `Authorization: Bearer TOKEN`. Bad JSON or a bad field → 400 naming the field; \
            a body over --max-body or more than --max-batch people → 413. Logs name no person and no request path.
            """)

    @Option(help: "Run output folder (its latest run) or run folder.") var model: String
    @Option(help: "IPv4 address to listen on (0.0.0.0: every interface).") var host = "127.0.0.1"
    @Option(help: "TCP port (0: any free port, printed when listening).") var port: Int = 8080
    @Option(help: "File holding the bearer token (else KINDRED_SERVE_TOKEN; neither: no token).") var tokenFile: String?
    @Option(help: "Largest request body, bytes or with K/M (1M).") var maxBody = "1M"
    @Option(help: "Most people in one /assign request.") var maxBatch = 1_000
    @Option(help: "Seconds a client has to send a whole request once it starts (else 408).") var requestTimeout = 10.0
    @Option(help: "Seconds a keep-alive connection may stay idle before it is closed.") var idleTimeout = 60.0
    @Option(help: "Seconds between checks of whether the run's latest moved (0: only on SIGHUP).") var reloadInterval = 2.0
    @Option(help: "Seconds requests in flight get to finish after SIGTERM.") var shutdownGrace = 5.0
    @Option(help: "vote (k-NN among the labelled sample) or centroid (nearest cluster centroid).") var method = ProjectionSettings().method
    @Option(help: "Neighbours that vote.") var k = ProjectionSettings().k
    @Option(help: "Nearest clusters whose members the vote searches (0: all clusters, exact).") var probes = ProjectionSettings().probes
    @Option(help: "File holding the run's pseudonymisation key, to clean raw records (else KINDRED_KEY; neither: cleaned records only).") var keyFile: String?
    @Flag(help: "Use the public demo key (pseudonyms are then NOT private; for demos and tests).") var demoKey = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            guard (0...65535).contains(port) else { throw KindredError.usage("--port must be from 0 to 65535") }
            guard maxBatch >= 1 else { throw KindredError.usage("--max-batch must be at least 1") }
            guard requestTimeout > 0, idleTimeout > 0, reloadInterval >= 0 else {
                throw KindredError.usage("--request-timeout and --idle-timeout must be > 0, --reload-interval ≥ 0")
            }
            guard let bodyLimit = MemoryBudget.parseSize(maxBody, minimum: 1) else {
                throw KindredError.usage("--max-body must be a size: bytes, or with K or M (64K, 1M)")
            }
            let environment = ProcessInfo.processInfo.environment
            var settings = ServeSettings()
            settings.maxBodyBytes = bodyLimit
            settings.maxBatch = maxBatch
            if keyFile != nil || demoKey || environment["KINDRED_KEY"] != nil {
                settings.pseudonymizer = try Pseudonymizer.resolve(keyFile: keyFile, environment: environment, allowDemoKey: demoKey)
            }
            if let tokenFile {
                guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                    throw KindredError(.io, "cannot read the token file", file: tokenFile)
                }
                settings.token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            } else if let token = environment["KINDRED_SERVE_TOKEN"] {
                settings.token = token.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if settings.token?.isEmpty == true { throw KindredError.usage("the bearer token is empty") }
            let projection = ProjectionSettings(method: method, k: k, probes: probes)
            guard k >= 1, probes >= 0 else { throw KindredError.usage("--k must be ≥ 1 and --probes ≥ 0") }
            let loaded = try ServeModel.load(model, projection: projection, pseudonymizer: settings.pseudonymizer)
            if loaded.similarityPeople == 0 { note("kindred serve: this run has no similarity/ model: GET /similar answers 404") }
            if settings.pseudonymizer == nil { note("kindred serve: no pseudonymisation key given: POST /assign takes cleaned records only (?cleaned=1)") }
            let router = ServeRouter(model: loaded, settings: settings)
            var listen = ServeListenOptions()
            listen.host = host
            listen.port = UInt16(port)
            listen.requestTimeout = requestTimeout
            listen.idleTimeout = idleTimeout
            listen.reloadInterval = reloadInterval
            guard shutdownGrace >= 0 else { throw KindredError.usage("--shutdown-grace must be ≥ 0") }
            listen.shutdownGrace = shutdownGrace
            let server = try ServeServer(router: router, location: model, projection: projection, options: listen, log: { note($0) })
            note("kindred serve: model of run \(loaded.runKey) loaded in \(String(format: "%.2f", loaded.loadSeconds)) s")
            try Self.serve(server)
        }
    }

    /// Runs the server until SIGTERM or SIGINT; SIGHUP reloads the model.
    static func serve(_ server: ServeServer) throws {
        let queue = DispatchQueue(label: "kindred.serve.signals")
        var sources: [DispatchSourceSignal] = []
        // `guarded` made SIGTERM/SIGINT dispatch signals already (StopControl); setting SIG_IGN again here would
        // take them from dispatch, so only SIGHUP's default (terminate) is replaced before its source starts.
        signal(SIGHUP, SIG_IGN)
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                if sig == SIGHUP {
                    server.reload()
                } else {
                    note("kindred serve: stopping (requests in flight finish)")
                    Task { await server.stop() }
                }
            }
            source.resume()
            sources.append(source)
        }
        let done = DispatchSemaphore(value: 0)
        let failure = UncheckedBox<(any Error)?>(nil)
        Task {
            do {
                try await server.run(ready: { address in note("kindred serve: listening on http://\(address)") })
            } catch {
                failure.value = error
            }
            done.signal()
        }
        done.wait()
        withExtendedLifetime(sources) {}
        if let error = failure.value {
            throw KindredError(.io, "the server stopped: \(error)")
        }
        note("kindred serve: stopped")
    }
}

/// A value handed from a task back to the waiting thread (written once before the semaphore is signalled).
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
