import ArgumentParser
import StasisCore

extension Stasis.IndexCommand {
    /// `stasis index compact`: rebuilds an index file without the slots of removed and replaced
    /// vectors (docs/durability.md, "Compaction").
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild an index file from its live vectors, reclaiming removed and replaced slots.",
            discussion: """
                Examples:
                  stasis index compact gallery.stasis
                  stasis index compact gallery.stasis --json
                """)

        @Argument(help: "Index file, rewritten atomically.")
        var index: String

        @Flag(help: "Print {\"slotsReclaimed\", \"bytesReclaimed\", \"count\"} as JSON instead of a line of text.")
        var json = false

        func run() throws {
            do {
                let opened = try VersionedIndex.open(index)
                let report = try opened.compact()
                try opened.save(to: index)
                if json {
                    return try printJSON(CompactionJSON(
                        slotsReclaimed: report.slotsReclaimed, bytesReclaimed: report.bytesReclaimed, count: report.liveCount))
                }
                print("\(index): reclaimed \(report.slotsReclaimed) slots, \(report.bytesReclaimed) bytes; \(report.liveCount) vectors")
            } catch let error as StasisError {
                reportFailure(error)
            }
        }
    }

    /// `stasis index checkpoint`: folds a write-ahead log into its index file (recovery after a
    /// crash of the process that wrote them, or routine maintenance while it is stopped).
    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a write-ahead log into its index file and restart the log empty.",
            discussion: """
                The log must not be in use by a running process (it is locked while attached).
                Examples:
                  stasis index checkpoint gallery.stasis --wal gallery.wal
                """)

        @Argument(help: "Index file, rewritten atomically.")
        var index: String

        @Option(help: "The index's write-ahead log.")
        var wal: String

        @Flag(help: "Print the written file's header as JSON (as `stasis inspect --json`) instead of a line of text.")
        var json = false

        func run() throws {
            do {
                let opened = try VersionedIndex.open(index)
                let before = opened.lastWALSequence
                try opened.enableWAL(path: wal, syncMode: .everyCall)
                let replayed = opened.lastWALSequence - before
                try opened.checkpoint(to: index)
                opened.disableWAL()
                if json { return printJSON(bytes: try IndexFile.inspectJSON(index)) }
                print("\(index): replayed \(replayed) logged changes from \(wal); \(opened.count) vectors")
            } catch let error as StasisError {
                reportFailure(error)
            }
        }
    }
}

private struct CompactionJSON: Encodable {
    var slotsReclaimed: Int
    var bytesReclaimed: Int
    var count: Int
}
