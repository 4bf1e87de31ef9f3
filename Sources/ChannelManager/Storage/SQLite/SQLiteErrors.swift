import GRDB

extension StoreError {
    /// A `StoreError` for whatever GRDB or SQLite threw. A `StoreError` passes through;
    /// corruption reported by SQLite is `.corrupt`; anything else is `.io`.
    static func from(_ error: any Error, _ context: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is CancellationError { return StoreError(.io, "\(context): the task was cancelled") }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return StoreError(.corrupt, "\(context): \(error)")
            default:
                return StoreError(.io, "\(context): \(error)")
            }
        }
        return StoreError(.io, "\(context): \(error)")
    }
}
