extension Bool {
    /// 1 for true, 0 for false, without a branch. Hot loops that count or compact by a condition
    /// that is as good as random need it: the compiler turns `condition ? 1 : 0` back into a
    /// branch (8.6 ns a value in a micro-benchmark of the median pass filter, against 3 ns).
    @inlinable @inline(__always)
    public var bit: UInt8 { unsafeBitCast(self, to: UInt8.self) }
}
