import ArgumentParser
import Foundation
import KindredCore
import KindredPipeline
import KindredSimilarity

/// `kindred vectors`: writes the TF-IDF matrix and the LSA embedding of clean people as NumPy files,
/// the exact inputs the k-NN kernels see (for `kindred knn`, benchmarks and analysts' notebooks).
struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Write the TF-IDF matrix (CSR .npy arrays) and the LSA embedding (.npy) of clean people.",
        discussion: """
            Writes FOLDER/tfidf/{indptr,indices,data}.npy (rows L2-normalised), FOLDER/embedding.npy \
            (float32, n × d, rows L2-normalised) and FOLDER/vocabulary.txt. Row r is the r-th person of \
            the input; ids are not written.
            """)

    @Argument(help: "Clean people (JSON Lines), as written by `kindred clean`.") var input: String
    @Option(help: "Output folder.") var output: String
    @Option(help: "LSA dimensions (0: no embedding).") var dimensions = VectorsRequest(input: "", output: "").dimensions
    @Option(help: "Random seed of the LSA sketch.") var seed = VectorsRequest(input: "", output: "").seed
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the result.") var threads: Int?
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            var request = VectorsRequest(input: input, output: output)
            request.dimensions = dimensions
            request.seed = seed
            request.threads = threads
            let o = try VectorsStage.run(request)
            if json {
                var j = JSONText()
                j.add("people", o.people)
                j.add("features", o.features)
                j.add("nonzeros", o.nonzeros)
                j.add("dimensions", dimensions)
                j.add("lsa_seconds", o.lsaSeconds, digits: 3)
                j.add("seconds", o.seconds, digits: 3)
                print(j.text)
            } else {
                print("vectors: \(o.people) people, \(o.features) features, \(o.nonzeros) non-zeros; LSA d = \(dimensions) in \(fixed(o.lsaSeconds, 2)) s → \(output)")
            }
        }
    }
}
