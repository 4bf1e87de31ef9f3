import BitcoinPrimitives

extension OutPoint {
    /// Whether this outpoint sorts before `other` by `(txid.displayHex, index)`, without building
    /// strings (sorting a wallet of a few thousand outputs by hex strings took most of each
    /// funding): display order is the internal byte order reversed, and lowercase hex of equal
    /// length sorts as its bytes.
    func precedesInDisplayOrder(_ other: OutPoint) -> Bool {
        let (x, y) = (txid.internalBytes, other.txid.internalBytes)
        var i = min(x.count, y.count)
        while i > 0 {
            i -= 1
            if x[i] != y[i] { return x[i] < y[i] }
        }
        return index < other.index
    }
}
