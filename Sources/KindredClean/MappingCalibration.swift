/// What a mapping's confidence means: the share of mappings in each confidence band that landed on the
/// right occupation, measured on held-out data, so an analyst can read "0.85" as "about half of these
/// are right" instead of guessing. The mapping report shows each band's count in the run beside it.
///
/// Measured by `scripts/eval-clean` (seed 1, 2026-12-04): 4,000 noisy O*NET 29.2 alternate titles (typos,
/// case and punctuation, abbreviations, all three), half of them variants that the dictionary lists and
/// half held out of it, cleaned against O*NET's occupation titles plus the other half of the alternates.
/// A title is right when it maps to its own O*NET-SOC code (O*NET lists 6,902 alternate titles under more
/// than one code, so even exact matches are not always right). Other dictionaries and other data will
/// differ: rerun `scripts/eval-clean` to measure yours.
public struct MappingCalibration: Sendable {
    /// One confidence band and its measured precision.
    public struct Band: Sendable {
        /// Confidence from (inclusive) … to (exclusive; the last band includes 1).
        public var from: Double
        public var to: Double
        /// Share of mappings in the band that were right (all test titles).
        public var precision: Double
        /// The same for titles whose variant the dictionary lists, and for held-out variants.
        public var precisionListed: Double
        public var precisionHeldOut: Double
        /// Test titles mapped in this band.
        public var titles: Int
    }

    /// The bands, ascending. Mappings below the first band's `from` are not made (left as typed).
    public let bands: [Band]
    /// Where the figures come from.
    public let source: String

    /// The band of a confidence, if any (nil for 0: left as typed).
    public func band(of confidence: Double) -> Int? {
        guard confidence > 0 else { return nil }
        for (i, b) in bands.enumerated() where confidence >= b.from && (confidence < b.to || i == bands.count - 1) { return i }
        return nil
    }

    /// The measurement on O*NET 29.2 described above.
    public static let onet = MappingCalibration(
        bands: [
            Band(from: 0.80, to: 0.90, precision: 0.551, precisionListed: 0.872, precisionHeldOut: 0.406, titles: 501),
            Band(from: 0.90, to: 0.97, precision: 0.706, precisionListed: 0.884, precisionHeldOut: 0.246, titles: 1353),
            Band(from: 0.97, to: 1.00, precision: 0.741, precisionListed: 0.890, precisionHeldOut: 0.083, titles: 788),
        ],
        source: "scripts/eval-clean, seed 1: 4,000 noisy O*NET 29.2 titles, half held out of the dictionary; 1,358 (34%) left as typed")
}
