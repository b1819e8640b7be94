import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// `kindred ids`: the analyst's private key from their own ids to Kindred's pseudonyms, to join
/// results (`clusters.csv`, `assignments.csv`, `similar`) back to their records.
///
/// The map is personal data: written owner-only (mode 0600) and refused inside a run's output folder
/// (the shareable outputs never hold it).
public enum IdMapStage {
    /// What was written.
    public struct Outcome: Sendable {
        /// Records read (people + records without a usable id).
        public var read = 0
        /// Rows written: one per distinct id.
        public var written = 0
        /// Records the reader could not use (malformed, no id, repeated id); `kindred clean` quarantines them with their reasons.
        public var skipped = 0
    }

    /// Writes `id,pseudonym` for every person of `input`, in input order.
    /// - Throws: `KindredError` when the output is inside a run folder, or on I/O and input errors.
    public static func run(input: String, format: PeopleFormat? = nil, output: String, pseudonymizer: Pseudonymizer) throws -> Outcome {
        let folder = AtomicFileWriter.folder(of: output)
        for marker in ["catalog.sqlite", "manifest.json", "latest"]
        where FileManager.default.fileExists(atPath: joinPath(folder, marker)) {
            throw KindredError.usage(
                "\(output): the id map links people to their pseudonyms, so it is not written into a run's shareable output folder (\(folder) holds \(marker)); write it somewhere private")
        }
        let reader = try PeopleReader(path: input, format: format)
        defer { reader.close() }
        let writer = try AtomicFileWriter(path: output, mode: 0o600)
        var outcome = Outcome()
        do {
            try writer.write("id,pseudonym\n")
            while let item = try reader.next() {
                outcome.read += 1
                switch item {
                case .person(let person, _):
                    try writer.write(CSV.escape(person.id) + "," + pseudonymizer.pseudonym(for: person.id) + "\n")
                    outcome.written += 1
                case .quarantined:
                    outcome.skipped += 1
                }
            }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        return outcome
    }
}
