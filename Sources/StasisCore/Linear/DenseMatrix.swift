import COpenBLAS

/// A row-major matrix of doubles, the working type of closed-form fits (adapters). Fits run in
/// double precision so that solutions agree with an independent float64 reference to ~1e-6; the
/// fitted weights are stored as float32.
struct DenseMatrix: Equatable {
    let rows: Int
    let columns: Int
    var values: [Double]

    init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "DenseMatrix: \(values.count) values for \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: Array(repeating: 0, count: rows * columns))
    }

    subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    var transposed: DenseMatrix {
        var result = DenseMatrix(zeros: columns, rows)
        for r in 0..<rows {
            for c in 0..<columns { result.values[c * rows + r] = values[r * columns + c] }
        }
        return result
    }

    /// `op(self) · op(other)` through cblas_dgemm, where op transposes when asked.
    func multiplied(transposed transposeSelf: Bool = false, by other: DenseMatrix, otherTransposed: Bool = false) -> DenseMatrix {
        let m = transposeSelf ? columns : rows
        let k = transposeSelf ? rows : columns
        let n = otherTransposed ? other.rows : other.columns
        precondition(k == (otherTransposed ? other.columns : other.rows), "DenseMatrix: inner dimensions differ")
        var result = DenseMatrix(zeros: m, n)
        guard m > 0, n > 0, k > 0 else { return result }
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                result.values.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(CblasRowMajor, transposeSelf ? CblasTrans : CblasNoTrans,
                                otherTransposed ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                                a.baseAddress, Int32(columns), b.baseAddress, Int32(other.columns), 0,
                                c.baseAddress, Int32(n))
                }
            }
        }
        return result
    }

    /// Column means (length `columns`).
    var columnMeans: [Double] {
        var means = Array(repeating: 0.0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns { means[c] += values[r * columns + c] }
        }
        let scale = rows > 0 ? 1 / Double(rows) : 0
        return means.map { $0 * scale }
    }

    /// A copy with `means` subtracted from every row.
    func centered(_ means: [Double]) -> DenseMatrix {
        var result = self
        for r in 0..<rows {
            for c in 0..<columns { result.values[r * columns + c] -= means[c] }
        }
        return result
    }
}

/// The two LAPACK routines the closed-form fits need, wrapped for row-major `DenseMatrix`.
enum Lapack {
    /// Thin SVD: self = u · diag(s) · vt with u rows × r, vt r × columns, r = min(rows, columns),
    /// singular values descending.
    ///
    /// LAPACK is column-major, so the row-major buffer of A is handed over as the column-major
    /// Aᵀ = U′ Σ V′ᵀ; then A = V′ Σ U′ᵀ, and the buffers LAPACK returns for V′ᵀ and U′ are exactly
    /// the row-major buffers of A's u and vt: no copy or transpose is needed.
    static func svd(_ a: DenseMatrix) throws -> (u: DenseMatrix, s: [Double], vt: DenseMatrix) {
        let m = a.rows, n = a.columns, r = min(m, n)
        guard r > 0 else { throw StasisError(.internalError, "svd of an empty \(m) x \(n) matrix") }
        var work = a.values
        var s = Array(repeating: 0.0, count: r)
        var uPrime = Array(repeating: 0.0, count: n * r)   // column-major n × r
        var vtPrime = Array(repeating: 0.0, count: r * m)  // column-major r × m
        var rowsLAPACK = Int32(n), columnsLAPACK = Int32(m), lda = Int32(n), ldu = Int32(n), ldvt = Int32(r)
        var info: Int32 = 0
        var job = CChar(UInt8(ascii: "S"))
        // Workspace query first, then the real call.
        var query = 0.0
        var lwork: Int32 = -1
        dgesvd_(&job, &job, &rowsLAPACK, &columnsLAPACK, &work, &lda, &s, &uPrime, &ldu, &vtPrime, &ldvt,
                &query, &lwork, &info, 1, 1)
        guard info == 0 else { throw StasisError(.internalError, "dgesvd workspace query failed (info \(info))") }
        lwork = Int32(max(1, Int(query)))
        var buffer = Array(repeating: 0.0, count: Int(lwork))
        dgesvd_(&job, &job, &rowsLAPACK, &columnsLAPACK, &work, &lda, &s, &uPrime, &ldu, &vtPrime, &ldvt,
                &buffer, &lwork, &info, 1, 1)
        guard info == 0 else {
            throw StasisError(.internalError, "dgesvd did not converge on a \(m) x \(n) matrix (info \(info))")
        }
        return (DenseMatrix(rows: m, columns: r, values: vtPrime), s, DenseMatrix(rows: r, columns: n, values: uPrime))
    }

    /// Solves G · X = B for symmetric positive definite G (n × n) by Cholesky (dposv); B is
    /// n × k. Returns X (n × k).
    static func solveSymmetricPositiveDefinite(_ g: DenseMatrix, _ b: DenseMatrix) throws -> DenseMatrix {
        let n = g.rows, k = b.columns
        var factor = g.values  // symmetric: row- and column-major are the same
        var rhs = b.transposed.values  // column-major n × k
        var order = Int32(n), count = Int32(k), lda = Int32(n), ldb = Int32(n)
        var info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "L"))
        dposv_(&uplo, &order, &count, &factor, &lda, &rhs, &ldb, &info, 1)
        guard info == 0 else {
            throw StasisError(.invalidArgument,
                info > 0 ? "the normal equations are not positive definite (pivot \(info)); raise the ridge regularisation"
                         : "dposv rejected argument \(-info)")
        }
        return DenseMatrix(rows: k, columns: n, values: rhs).transposed
    }
}
