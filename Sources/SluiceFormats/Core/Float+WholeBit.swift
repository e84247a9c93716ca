extension Float {
    /// For a value ≥ 0: 1 when it is a whole number, 0 when it has a fraction — without a branch
    /// or the call to `truncf` that `rounded(.towardZero)` is on baseline x86-64. Exact: below
    /// 2²³, adding and subtracting 2²³ rounds to the nearest whole number; from 2²³ on every
    /// Float is whole.
    @inlinable @inline(__always)
    public var wholeBit: UInt8 {
        let magic: Float = 8_388_608
        return (self >= magic).bit | ((self + magic) - magic == self).bit
    }

    /// 1 for a count-like value (≥ 0 and finite), 0 for a negative, NaN or infinite one; NaN
    /// fails both comparisons.
    @inlinable @inline(__always)
    public var nonNegativeFiniteBit: UInt8 { (self >= 0).bit & (self < .infinity).bit }
}
