import Glibc

/// Runs `body(part)` for part in 0..<parts on `parts` threads (the caller's thread runs part 0)
/// and returns when all are done. Used to rank a block of score rows on every core once BLAS has
/// finished with it, so the two thread pools never compete.
///
/// `body` must only touch data that is either read-only or partitioned by `part`.
func runParallel(parts: Int, _ body: (Int) -> Void) {
    guard parts > 1 else {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { escaping in
        let job = ParallelJob(escaping)
        var threads: [pthread_t] = []
        for part in 1..<parts {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(ParallelTask(job: job, part: part)).toOpaque()
            if pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                let task = Unmanaged<ParallelTask>.fromOpaque(raw).takeRetainedValue()
                task.job.body(task.part)
                return nil
            }, context) == 0 {
                threads.append(thread)
            } else {
                // No thread available: run that part here rather than fail.
                Unmanaged<ParallelTask>.fromOpaque(context).release()
                escaping(part)
            }
        }
        escaping(0)
        for thread in threads { pthread_join(thread, nil) }
    }
}

private final class ParallelJob: @unchecked Sendable {
    let body: (Int) -> Void
    init(_ body: @escaping (Int) -> Void) { self.body = body }
}

private final class ParallelTask: @unchecked Sendable {
    let job: ParallelJob
    let part: Int
    init(job: ParallelJob, part: Int) {
        self.job = job
        self.part = part
    }
}
