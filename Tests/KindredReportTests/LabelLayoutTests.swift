import KindredReport
import PropertyBased
import Testing

/// The invariants every layout must keep: labels inside the bounds, no two labels overlapping, the
/// legend listing exactly the items not shown by their full or shortened text.
private func checkInvariants(_ result: LabelLayout.Result, items: [LabelLayout.Item], bounds: LabelLayout.Rect) {
    #expect(result.labels.count == items.count)
    let placed = result.labels.enumerated().compactMap { i, label in label.map { (i, $0) } }
    for (i, label) in placed {
        #expect(bounds.contains(label.box), "label \(i) \(label.box) outside \(bounds)")
        #expect(label.box.width > 0 && label.box.height > 0)
    }
    for a in 0..<placed.count {
        for b in (a + 1)..<placed.count {
            #expect(!placed[a].1.box.intersects(placed[b].1.box), "labels \(placed[a].0) and \(placed[b].0) overlap")
        }
    }
    let expectedLegend = result.labels.enumerated().filter { $0.element == nil || $0.element?.form == .short }.map(\.offset)
    #expect(result.legend == expectedLegend)
}

@Suite("Map label layout")
struct LabelLayoutTests {
    let bounds = LabelLayout.Rect(x: 0, y: 0, width: 900, height: 560)

    @Test("a lone point gets its full label above it, centred")
    func lonePoint() throws {
        let items = [LabelLayout.Item(x: 450, y: 280, radius: 10, text: "12 University Lecturer", short: "12")]
        let result = LabelLayout.place(items, bounds: bounds, fontSize: 12)
        let label = try #require(result.labels[0])
        #expect(label.text == "12 University Lecturer" && label.form == .full)
        #expect(label.box.maxY <= 280 - 10)
        #expect(abs((label.box.x + label.box.width / 2) - 450) < 0.001)
        #expect(result.legend.isEmpty)
    }

    @Test("two close points (the demo's lecturer and teacher) get labels that do not overlap")
    func closePoints() {
        let items = [
            LabelLayout.Item(x: 400, y: 300, radius: 14, text: "31 University Lecturer", short: "31"),
            LabelLayout.Item(x: 430, y: 305, radius: 14, text: "7 Secondary School Teacher", short: "7"),
        ]
        let result = LabelLayout.place(items, bounds: bounds, fontSize: 12)
        #expect(result.labels.allSatisfy { $0?.form == .full })
        checkInvariants(result, items: items, bounds: bounds)
    }

    @Test("a point at the edge gets its label inside the plot, on the free side")
    func edge() throws {
        let items = [LabelLayout.Item(x: 895, y: 3, radius: 3, text: "3 Very Long Occupation Title Indeed", short: "3")]
        let result = LabelLayout.place(items, bounds: bounds, fontSize: 12)
        let label = try #require(result.labels[0])
        #expect(bounds.contains(label.box))
        #expect(label.box.maxX <= 895)
    }

    @Test("labels that cannot fit are shortened, then numbered and listed in the legend")
    func crowded() {
        // Thirty points close together in a plot narrower than any full label.
        let small = LabelLayout.Rect(x: 0, y: 0, width: 140, height: 200)
        let items = (0..<30).map { i in
            LabelLayout.Item(x: 20 + Double(i % 4) * 30, y: 20 + Double(i / 4) * 22, radius: 2, text: "\(i) Chartered Management Accountant", short: String(i))
        }
        let result = LabelLayout.place(items, bounds: small, fontSize: 10)
        checkInvariants(result, items: items, bounds: small)
        let forms = result.labels.compactMap { $0?.form }
        #expect(!forms.contains(.full))
        #expect(forms.contains(.shortened))
        #expect(!result.legend.isEmpty)
        let shortened = result.labels.compactMap { $0 }.filter { $0.form == .shortened }
        #expect(shortened.allSatisfy { $0.text.hasSuffix("…") && $0.text.count >= 9 })
    }

    @Test("points with coordinates that are not numbers, or an empty plot, get no label and do not crash")
    func hostileNumbers() {
        let items = [
            LabelLayout.Item(x: .nan, y: 10, radius: 3, text: "1 a", short: "1"),
            LabelLayout.Item(x: 10, y: .infinity, radius: 3, text: "2 b", short: "2"),
            LabelLayout.Item(x: 10, y: 10, radius: .nan, text: "3 c", short: "3"),
            LabelLayout.Item(x: 10, y: 10, radius: 1e300, text: "4 d", short: "4"),
            LabelLayout.Item(x: 100, y: 100, radius: 3, text: "", short: ""),
        ]
        let result = LabelLayout.place(items, bounds: bounds, fontSize: 12)
        #expect(result.labels.allSatisfy { $0 == nil })
        #expect(result.legend == [0, 1, 2, 3, 4])
        let none = LabelLayout.place(items, bounds: .init(x: 0, y: 0, width: .nan, height: 10), fontSize: 12)
        #expect(none.labels.allSatisfy { $0 == nil } && none.legend.count == items.count)
    }

    @Test("width estimates grow with the text and count emoji and East Asian characters wide")
    func widths() {
        let w = { LabelLayout.estimatedWidth($0, fontSize: 10) }
        #expect(w("") < w("a") && w("a") < w("ab"))
        #expect(w("iiii") < w("MMMM"))
        #expect(w("👩🏽‍🔬") >= 12)
        #expect(w("看护") > w("ab"))
    }

    @Test("random point sets: labels never overlap, stay inside the plot, and the layout is deterministic")
    func property() async {
        let point = zip(Gen.double(in: -30...930), Gen.double(in: -30...590), Gen.double(in: 0...30), Gen.int(in: 0...60), Gen.int(in: 0...3))
        await propertyCheck(count: 60, input: point.array(of: 0...120), Gen.double(in: 6...24)) { points, fontSize in
            let alphabets = ["abcdefghij klmnop", "ABCDEFGHIJ", "עברית ערבית", "👩🏽‍🔬🚒看护"]
            let items = points.enumerated().map { i, p in
                let letters = Array(alphabets[p.4])
                let text = String((0..<p.3).map { letters[($0 * 7 + i) % letters.count] })
                return LabelLayout.Item(x: p.0, y: p.1, radius: p.2, text: "\(i) " + text, short: String(i))
            }
            let result = LabelLayout.place(items, bounds: bounds, fontSize: fontSize)
            checkInvariants(result, items: items, bounds: bounds)
            #expect(LabelLayout.place(items, bounds: bounds, fontSize: fontSize) == result)
        }
    }
}
