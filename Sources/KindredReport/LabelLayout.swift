/// Places text labels beside the points of a plot so that no two labels overlap and every label lies
/// inside the plot: a deterministic greedy layout, no I/O.
///
/// Each point (a circle of some radius) gets its label at the first free one of eight candidate
/// positions around it — above, below, right, left, then the four diagonals — never over another label.
/// The text is tried whole, then shortened (a prefix and "…", down to `minimumCharacters`), first clear of
/// every other circle, then over another circle's edge (never its centre); if neither fits, the short form
/// (the caller's number, e.g. the cluster id) is used and listed in the legend; a point whose short form
/// does not fit either is left unlabelled (and listed in the legend too).
/// Points are taken in the order given: put the most important first (the largest clusters).
///
/// Widths are estimated from the characters (`estimatedWidth`), generously, so the rendered text stays
/// inside its box in common sans-serif fonts. Guide: `docs/report-printing.md`.
///
/// ```swift
/// let layout = LabelLayout.place([.init(x: 10, y: 10, radius: 4, text: "3 Nurse", short: "3")],
///                                bounds: .init(x: 0, y: 0, width: 200, height: 100), fontSize: 10)
/// layout.labels[0]?.box  // where "3 Nurse" goes
/// ```
///
/// - Complexity: O(n · c · k) for n points, c candidate positions and text variants and k labels near a
///   candidate (a uniform grid finds them), so about linear in n for labels of similar size.
public enum LabelLayout {
    /// An axis-aligned rectangle (y grows downwards, as in SVG).
    public struct Rect: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double

        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        public var maxX: Double { x + width }
        public var maxY: Double { y + height }

        /// Whether the two rectangles share interior area (touching edges do not count).
        public func intersects(_ other: Rect) -> Bool {
            x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
        }

        /// Whether `other` lies entirely inside this rectangle (edges included).
        public func contains(_ other: Rect) -> Bool {
            other.x >= x && other.y >= y && other.maxX <= maxX && other.maxY <= maxY
        }
    }

    /// One point to label: its centre, the radius of its marker and its label's full and short forms.
    public struct Item: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var radius: Double
        /// The label as it should read ("12 University Lecturer").
        public var text: String
        /// The last resort when `text` cannot fit even shortened ("12"); listed in the legend with `text`.
        public var short: String

        public init(x: Double, y: Double, radius: Double, text: String, short: String) {
            self.x = x
            self.y = y
            self.radius = radius
            self.text = text
            self.short = short
        }
    }

    /// How much of an item's label is shown.
    public enum Form: Sendable, Equatable {
        /// The whole text.
        case full
        /// A prefix of the text and "…".
        case shortened
        /// The short form (listed in the legend).
        case short
    }

    /// A placed label: the text to draw and its box (draw it left-aligned, `box.x`, with its baseline at
    /// `baseline(fontSize:)`).
    public struct Label: Sendable, Equatable {
        public var text: String
        public var box: Rect
        public var form: Form

        /// The y of the text's baseline inside the box.
        public func baseline(fontSize: Double) -> Double { box.y + (box.height + fontSize * 0.7) / 2 }
    }

    /// The layout: per item (same order) its label, or nil when it has none; and the items the legend
    /// must explain (shown by their short form, or not labelled at all), in item order.
    public struct Result: Sendable, Equatable {
        public var labels: [Label?]
        public var legend: [Int]
    }

    /// Lays the labels out.
    /// - Parameters:
    ///   - items: the points, most important first. Items with a non-finite coordinate or radius get no label.
    ///   - bounds: every label lies inside it.
    ///   - fontSize: the text's size, in the plot's units (> 0).
    ///   - minimumCharacters: the shortest prefix kept before "…" (default 8).
    /// - Returns: the labels and the legend.
    public static func place(_ items: [Item], bounds: Rect, fontSize: Double, minimumCharacters: Int = 8) -> Result {
        let fontSize = fontSize.isFinite && fontSize > 0 ? fontSize : 10
        let height = (fontSize * 1.3).rounded(.up)
        let gap = max(1, fontSize * 0.2)
        var labels: [Label?] = Array(repeating: nil, count: items.count)
        guard [bounds.x, bounds.y, bounds.width, bounds.height].allSatisfy(\.isFinite), bounds.width > 0, bounds.height > 0 else {
            return Result(labels: labels, legend: Array(items.indices))
        }
        let cell = max(fontSize * 6, max(bounds.width, bounds.height) / 256)
        var placed = Grid(cell: cell, bounds: bounds)
        var markers = Grid(cell: cell, bounds: bounds)
        var centres = Grid(cell: cell, bounds: bounds)
        let usable = items.map { $0.x.isFinite && $0.y.isFinite && $0.radius.isFinite && $0.radius >= 0 && $0.radius < 1e9 }
        for (i, item) in items.enumerated() where usable[i] {
            // A little room around each circle, so a label clear of it is not read as its label.
            let r = item.radius + gap
            markers.insert(Rect(x: item.x - r, y: item.y - r, width: 2 * r, height: 2 * r), id: i)
            centres.insert(Rect(x: item.x - 1.5, y: item.y - 1.5, width: 3, height: 3), id: i)
        }
        var legend: [Int] = []
        for (i, item) in items.enumerated() {
            guard usable[i] else {
                legend.append(i)
                continue
            }
            var found: Label?
            let all = variants(of: item, minimumCharacters: minimumCharacters)
            let words = all.filter { $0.1 != .short }
            let short = all.filter { $0.1 == .short }
            // In order: the text (whole, then shortened) clear of every other circle; the text over a circle's
            // edge, never its centre; the short form clear, then over an edge. A label over a circle reads as
            // that circle's, so a shorter text clear of circles beats the whole text over one.
            passes: for (texts, obstacles) in [(words, markers), (words, centres), (short, markers), (short, centres)] {
                for (text, form) in texts {
                    let width = estimatedWidth(text, fontSize: fontSize)
                    for box in candidates(item, width: width, height: height, gap: gap)
                    where bounds.contains(box) && !placed.anyIntersects(box) && !obstacles.anyIntersects(box, except: i) {
                        found = Label(text: text, box: box, form: form)
                        break passes
                    }
                }
            }
            if let found {
                placed.insert(found.box, id: i)
                labels[i] = found
                if found.form == .short { legend.append(i) }
            } else {
                legend.append(i)
            }
        }
        return Result(labels: labels, legend: legend)
    }

    /// The text variants tried in order: the full text, shorter prefixes with "…", the short form.
    static func variants(of item: Item, minimumCharacters: Int) -> [(String, Form)] {
        var out: [(String, Form)] = []
        let characters = Array(item.text)
        if !characters.isEmpty { out.append((item.text, .full)) }
        var length = characters.count * 3 / 4
        let floor = max(1, minimumCharacters)
        while length >= floor && length < characters.count {
            let prefix = String(characters[..<length]).trimmingTrailingSpaces
            if !prefix.isEmpty { out.append((prefix + "…", .shortened)) }
            let next = length * 3 / 4
            length = next < floor && length > floor ? floor : next
        }
        if !item.short.isEmpty && item.short != item.text { out.append((item.short, .short)) }
        return out
    }

    /// Candidate boxes around the point: above, below, right, left, then the diagonals.
    static func candidates(_ item: Item, width: Double, height: Double, gap: Double) -> [Rect] {
        let r = item.radius + gap
        let d = r * 0.71  // the diagonal offset of the circle's edge
        let (x, y) = (item.x, item.y)
        return [
            Rect(x: x - width / 2, y: y - r - height, width: width, height: height),
            Rect(x: x - width / 2, y: y + r, width: width, height: height),
            Rect(x: x + r, y: y - height / 2, width: width, height: height),
            Rect(x: x - r - width, y: y - height / 2, width: width, height: height),
            Rect(x: x + d, y: y - d - height, width: width, height: height),
            Rect(x: x - d - width, y: y - d - height, width: width, height: height),
            Rect(x: x + d, y: y + d, width: width, height: height),
            Rect(x: x - d - width, y: y + d, width: width, height: height),
        ]
    }

    /// A generous estimate of the text's advance width in a sans-serif font at `fontSize`: per
    /// character class (narrow, lower case, digits, upper case, wide letters, East Asian and emoji).
    public static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        var em = 0.0
        for ch in text {
            em += width(of: ch)
        }
        return (em * fontSize * 1.05).rounded(.up) + 1
    }

    static func width(of ch: Character) -> Double {
        guard let scalar = ch.unicodeScalars.first else { return 0.6 }
        if ch.unicodeScalars.count > 1 && scalar.properties.isEmojiPresentation { return 1.25 }
        switch scalar.value {
        case 0x20: return 0.34
        case 0x69, 0x6A, 0x6C, 0x2E, 0x2C, 0x3A, 0x3B, 0x27, 0x21, 0x7C, 0x49: return 0.32  // i j l . , : ; ' ! | I
        case 0x66, 0x74, 0x72, 0x28, 0x29, 0x5B, 0x5D, 0x2D, 0x2F: return 0.42  // f t r ( ) [ ] - /
        case 0x6D, 0x77: return 0.92  // m w
        case 0x4D, 0x57: return 1.0  // M W
        case 0x30...0x39: return 0.64
        case 0x41...0x5A: return 0.74
        case 0x61...0x7A: return 0.62
        case 0x00...0x7F: return 0.7
        case 0x0300...0x036F, 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFE00...0xFE0F: return 0  // combining, zero-width, direction, variation
        case 0x0590...0x08FF: return 0.7  // Hebrew, Arabic
        case 0x1100...0x11FF, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60: return 1.05
        case 0x1F000...0x1FAFF, 0x2600...0x27BF: return 1.25  // emoji and symbols
        default: return 0.8
        }
    }

    /// Rectangles bucketed by a uniform grid over the plot's bounds, to find those near a box quickly
    /// (a rectangle is clipped to the bounds first: only the part inside can meet a label).
    struct Grid {
        let cell: Double
        let bounds: Rect
        var buckets: [Int64: [(Rect, Int)]] = [:]

        init(cell: Double, bounds: Rect) {
            self.cell = cell
            self.bounds = bounds
        }

        private func keys(_ r: Rect) -> [Int64] {
            let cells = (bounds.width / cell).rounded(.up), rows = (bounds.height / cell).rounded(.up)
            func index(_ v: Double, _ origin: Double, _ count: Double) -> Int64 { Int64(min(max(((v - origin) / cell).rounded(.down), 0), count)) }
            let x0 = index(r.x, bounds.x, cells), x1 = index(r.maxX, bounds.x, cells)
            let y0 = index(r.y, bounds.y, rows), y1 = index(r.maxY, bounds.y, rows)
            var out: [Int64] = []
            for gx in x0...x1 { for gy in y0...y1 { out.append(gx &* 1_000_003 &+ gy) } }
            return out
        }

        mutating func insert(_ r: Rect, id: Int) {
            guard r.intersects(bounds) else { return }
            for k in keys(r) { buckets[k, default: []].append((r, id)) }
        }

        func anyIntersects(_ r: Rect, except: Int = -1) -> Bool {
            for k in keys(r) {
                for (other, id) in buckets[k] ?? [] where id != except && other.intersects(r) { return true }
            }
            return false
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "-" || last == "," { s = s.dropLast() }
        return String(s)
    }
}
