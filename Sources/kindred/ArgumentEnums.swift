import ArgumentParser
import KindredCommunity
import KindredCore
import KindredPeople
import KindredPipeline
import KindredProjection
import KindredReport
import KindredSimilarity

// Choices taken on the command line are the library's own enumerations: the parser lists the
// allowed values in help and in its error (exit 2), and no command checks strings by hand.
extension SearchMethod: ExpressibleByArgument {}
extension Symmetrization: ExpressibleByArgument {}
extension CommunityAlgorithm: ExpressibleByArgument {}
extension ProjectionMethod: ExpressibleByArgument {}
extension PeopleFormat: ExpressibleByArgument {}
extension RunLog.Format: ExpressibleByArgument {}
extension DateOrder: ExpressibleByArgument {}
extension PageSize: ExpressibleByArgument {}

/// What `kindred project` does with a bad record.
enum BadRecordAction: String, CaseIterable, ExpressibleByArgument {
    case quarantine, fail
}
