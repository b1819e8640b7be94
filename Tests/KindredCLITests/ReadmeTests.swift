import Foundation
import Testing

/// The README stays true: every `kindred COMMAND … --flag` it shows is a flag that command takes, and
/// every repository path it names exists.
@Suite("README") struct ReadmeTests {
    static let readme = (try? String(contentsOf: CLI.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// Every `--flag` written after `kindred COMMAND` on the same line of a code span or block.
    static func flagsByCommand() -> [String: Set<String>] {
        let commands = ["synth", "clean", "graph", "cluster", "evaluate", "run", "runs", "convert", "knn", "vectors", "similar", "project", "ids"]
        var found: [String: Set<String>] = [:]
        var inBlock = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            // The code on this line: the whole line in a block, else each `span`.
            let pieces = inBlock ? [line] : line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            for piece in pieces {
                let words = piece.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                var command: String?
                for (i, word) in words.enumerated() {
                    if word.hasSuffix("kindred"), i + 1 < words.count, commands.contains(words[i + 1]) { command = words[i + 1]; continue }
                    guard let command, word.hasPrefix("--"), word.count > 2 else { continue }
                    let flag = String(word.prefix { $0 == "-" || $0.isLetter || $0.isNumber }).split(separator: "=").first.map(String.init) ?? word
                    found[command, default: []].insert(flag)
                }
            }
        }
        return found
    }

    @Test("every flag the README shows for a command is in that command's --help")
    func flags() throws {
        let found = Self.flagsByCommand()
        #expect(found.values.reduce(0) { $0 + $1.count } >= 20, "the README shows commands with flags")
        for (command, flags) in found.sorted(by: { $0.key < $1.key }) {
            let help = try CLI.run([command, "--help"])
            #expect(help.status == 0)
            for flag in flags.sorted() where flag != "--help" && flag != "--version" {
                #expect(help.stdout.contains(flag + " ") || help.stdout.contains(flag + "\n") || help.stdout.contains(flag + ","),
                        "README: `kindred \(command) \(flag)` is not in `kindred \(command) --help`")
            }
        }
    }

    @Test("every repository path the README names exists")
    func paths() {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\w/.-])((?:scripts|datasets|docs|Sources|Tests|Benchmarks|\.ci)/[A-Za-z0-9_./+-]*[A-Za-z0-9_+-])"#)
        let text = Self.readme
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(matches.count >= 10)
        for match in matches {
            let path = String(text[Range(match.range(at: 1), in: text)!])
            if path.contains("*") || path.contains("KEY") { continue }
            #expect(FileManager.default.fileExists(atPath: CLI.repoRoot.appendingPathComponent(path).path), "README names \(path), which does not exist")
        }
    }
}
