/// Helpers that take `UnsafeBufferPointer`s of several arrays at once, so kernels can take their
/// buffers once at the loop boundary (STYLE.md) without a dozen nested closures.

/// Calls `body` with read-only buffers of two arrays.
@inlinable @inline(__always)
public func withBuffers<A, B, R>(
    _ a: [A], _ b: [B],
    _ body: (UnsafeBufferPointer<A>, UnsafeBufferPointer<B>) throws -> R
) rethrows -> R {
    try a.withUnsafeBufferPointer { pa in
        try b.withUnsafeBufferPointer { pb in try body(pa, pb) }
    }
}

/// Calls `body` with read-only buffers of three arrays.
@inlinable @inline(__always)
public func withBuffers<A, B, C, R>(
    _ a: [A], _ b: [B], _ c: [C],
    _ body: (UnsafeBufferPointer<A>, UnsafeBufferPointer<B>, UnsafeBufferPointer<C>) throws -> R
) rethrows -> R {
    try a.withUnsafeBufferPointer { pa in
        try b.withUnsafeBufferPointer { pb in
            try c.withUnsafeBufferPointer { pc in try body(pa, pb, pc) }
        }
    }
}

/// Calls `body` with read-only buffers of four arrays.
@inlinable @inline(__always)
public func withBuffers<A, B, C, D, R>(
    _ a: [A], _ b: [B], _ c: [C], _ d: [D],
    _ body: (UnsafeBufferPointer<A>, UnsafeBufferPointer<B>, UnsafeBufferPointer<C>, UnsafeBufferPointer<D>) throws -> R
) rethrows -> R {
    try withBuffers(a, b, c) { pa, pb, pc in
        try d.withUnsafeBufferPointer { pd in try body(pa, pb, pc, pd) }
    }
}

/// Calls `body` with mutable buffers of two arrays.
@inlinable @inline(__always)
public func withMutableBuffers<A, B, R>(
    _ a: inout [A], _ b: inout [B],
    _ body: (UnsafeMutableBufferPointer<A>, UnsafeMutableBufferPointer<B>) throws -> R
) rethrows -> R {
    try a.withUnsafeMutableBufferPointer { pa in
        try b.withUnsafeMutableBufferPointer { pb in try body(pa, pb) }
    }
}

/// Calls `body` with mutable buffers of three arrays.
@inlinable @inline(__always)
public func withMutableBuffers<A, B, C, R>(
    _ a: inout [A], _ b: inout [B], _ c: inout [C],
    _ body: (UnsafeMutableBufferPointer<A>, UnsafeMutableBufferPointer<B>, UnsafeMutableBufferPointer<C>) throws -> R
) rethrows -> R {
    try a.withUnsafeMutableBufferPointer { pa in
        try b.withUnsafeMutableBufferPointer { pb in
            try c.withUnsafeMutableBufferPointer { pc in try body(pa, pb, pc) }
        }
    }
}

/// Calls `body` with mutable buffers of four arrays.
@inlinable @inline(__always)
public func withMutableBuffers<A, B, C, D, R>(
    _ a: inout [A], _ b: inout [B], _ c: inout [C], _ d: inout [D],
    _ body: (
        UnsafeMutableBufferPointer<A>, UnsafeMutableBufferPointer<B>, UnsafeMutableBufferPointer<C>,
        UnsafeMutableBufferPointer<D>
    ) throws -> R
) rethrows -> R {
    try withMutableBuffers(&a, &b, &c) { pa, pb, pc in
        try d.withUnsafeMutableBufferPointer { pd in try body(pa, pb, pc, pd) }
    }
}
