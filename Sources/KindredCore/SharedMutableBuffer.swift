/// A mutable buffer shared by the workers of one `concurrentPerform` call, each writing a disjoint
/// range. The one place where Kindred opts out of Sendable checking; the caller guarantees that no
/// two workers write the same element and that the buffer outlives the parallel loop.
public struct SharedMutableBuffer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>
    public let count: Int

    public init(_ buffer: UnsafeMutableBufferPointer<Element>) {
        // An empty buffer has no address; a well-aligned placeholder is never dereferenced.
        base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
        count = buffer.count
    }

    @inlinable
    public subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }
}

/// Splits `0..<count` into `chunks` nearly equal ranges (the first ones one longer).
@inlinable
public func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
    let base = count / chunks
    let extra = count % chunks
    let start = chunk * base + min(chunk, extra)
    return start..<(start + base + (chunk < extra ? 1 : 0))
}

/// A read-only buffer shared by the workers of one `concurrentPerform` call. The caller guarantees
/// that nothing writes the memory during the parallel loop and that it outlives the loop.
public struct SharedBuffer<Element>: @unchecked Sendable {
    public let base: UnsafePointer<Element>
    public let count: Int

    public init(_ buffer: UnsafeBufferPointer<Element>) {
        base = buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Element>.alignment)!
        count = buffer.count
    }

    @inlinable
    public subscript(index: Int) -> Element { base[index] }
}
