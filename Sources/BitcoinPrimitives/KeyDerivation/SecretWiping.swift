import CShims

extension Array where Element == UInt8 {
    /// Overwrites the bytes with zeros in a way the compiler may not remove. Use on temporary
    /// copies of secrets before they are released (the best Swift arrays allow: copies the
    /// array made of itself earlier are not reached).
    mutating func secureZero() {
        withUnsafeMutableBytes { paychan_secure_zero($0.baseAddress, $0.count) }
    }
}
