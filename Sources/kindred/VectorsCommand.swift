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
    @Option(help: "LSA dimensions (0: no embedding).") var dimensions = 128
    @Option(help: "Random seed of the LSA sketch.") var seed: UInt64 = 0
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the result.") var threads: Int?
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            guard dimensions >= 0 else { throw KindredError.usage("--dimensions must be ≥ 0") }
            let started = ContinuousClock.now
            let people = try GraphStage.readPeople(path: input)
            var vectorizer = PeopleVectorizer()
            let vectors = vectorizer.fitTransform(people)
            try makeFolder(output)
            let tfidf = joinPath(output, "tfidf")
            try makeFolder(tfidf)
            try NumpyFormat.write(vectors.offsets.map { Int64($0) }, shape: [vectors.offsets.count], to: joinPath(tfidf, "indptr.npy"))
            try NumpyFormat.write(vectors.columns.map { Int32(bitPattern: $0) }, shape: [vectors.columns.count], to: joinPath(tfidf, "indices.npy"))
            try NumpyFormat.write(vectors.values, shape: [vectors.values.count], to: joinPath(tfidf, "data.npy"))
            let vocabulary = try AtomicFileWriter(path: joinPath(output, "vocabulary.txt"))
            try vocabulary.write(vectorizer.vocabulary.joined(separator: "\n") + "\n")
            try vocabulary.commit()
            var lsaSeconds = 0.0
            if dimensions > 0 {
                let clock = ContinuousClock.now
                let model = LSAModel.fit(vectors, dimensions: dimensions, seed: seed, threads: threads)
                let embedding = model.embed(vectors, threads: threads)
                lsaSeconds = elapsed(since: clock)
                try NumpyFormat.write(embedding.values, shape: [embedding.rows, embedding.columns], to: joinPath(output, "embedding.npy"))
            }
            let seconds = elapsed(since: started)
            if json {
                var j = JSONText()
                j.add("people", people.count)
                j.add("features", vectors.columnCount)
                j.add("nonzeros", vectors.values.count)
                j.add("dimensions", dimensions)
                j.add("lsa_seconds", lsaSeconds, digits: 3)
                j.add("seconds", seconds, digits: 3)
                print(j.text)
            } else {
                print("vectors: \(people.count) people, \(vectors.columnCount) features, \(vectors.values.count) non-zeros; LSA d = \(dimensions) in \(fixed(lsaSeconds, 2)) s → \(output)")
            }
        }
    }
}
