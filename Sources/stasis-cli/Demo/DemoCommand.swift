import ArgumentParser
import Glibc
import StasisCore

extension Stasis {
    /// `stasis demo`: the model-upgrade story end to end on the built-in WordNet corpus.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a real model upgrade on built-in data: train v1, upgrade to v2 without re-encoding, adapt a legacy gallery, backfill.",
            discussion: """
                Stages: (1) a d-Simplex space, v1 trained on the old model's features (WordLlama), the gallery \
                indexed once; (2) v2 trained on the new model's features (MiniLM) with more classes, aligned \
                with v1, its queries served against the untouched v1 gallery, with the compatibility matrix and \
                the gate verdict; (3) a legacy gallery of raw old embeddings served through a backward adapter, \
                then backfilled in priority order against random order; (4) real queries with their hits before \
                and after; (5) demo.html, upgrade-report.html and demo.json written to --output. Every number is \
                computed by the run. The exit code is 0 when the demo ran, whatever the verdicts (they are \
                printed); with --strict it is 2 when a gate fails.

                Example:
                  stasis demo --output /tmp/stasis-demo
                  stasis demo --quick --output /tmp/demo-quick --json
                """)

        @Option(help: "Folder of the built-in corpus (default: $STASIS_DEMO_DATA, ./examples/data/wordnet, or next to the executable).")
        var data: String?
        @Option(help: "Folder for the models, index, reports and demo.json (created if missing).")
        var output: String = "stasis-demo"
        @Flag(help: "A shortened run for tests: 30 items per class, 4 epochs, 600 pairs, a 4-step backfill.")
        var quick = false
        @Option(help: "Keep at most this many items per class (default: all).")
        var perClass: Int?
        @Option(help: "Training epochs per version (default 20; 4 with --quick).")
        var epochs: Int?
        @Option(help: "Gallery items encoded by both models: v2's alignment sample and the legacy adapter's pairs (default 2000; 600 with --quick).")
        var pairs: Int?
        @Option(help: "Backfill curve steps (default 10; 4 with --quick).")
        var steps: Int?
        @Option(help: "Feature of both heads: raw (default) or softmax.")
        var feature: String = "raw"
        @Option(help: "Logit scale of both heads.")
        var logitScale: Double = 10
        @Option(help: "Alignment of v2 with v1: hoc (default), cl2r or none.")
        var alignment: String = "hoc"
        @Option(help: "HOC similarity scale mu.")
        var alignmentScale: Double = 20
        @Option(help: "Hidden layer widths of the v2 head, comma-separated; 'none' for linear (v1 is linear).")
        var hidden: String = "2048"
        @Flag(help: "No linear skip around v2's hidden layers (a plain MLP head).")
        var noResidual = false
        @Flag(help: "Train v2 on labelled rows only (no unlabelled paired sample in its alignment term).")
        var noPairedAlignment = false
        @Option(help: "Training seed.")
        var seed: UInt64 = 0
        @Flag(help: "Skip stage 3 (the legacy gallery).")
        var skipLegacy = false
        @Option(help: "Threads (0 = all processors).")
        var threads: Int = 0
        @Flag(help: "Exit with status 2 when a gate fails.")
        var strict = false
        @Flag(help: "Print demo.json to stdout instead of the tables.")
        var json = false
        @Flag(help: "No progress output.")
        var quiet = false

        func run() throws {
            do {
                let summary = try runDemo()
                if strict && !summary.upgrade.gatePassed { throw ExitCode(2) }
            } catch let error as StasisError {
                reportFailure(error)
            }
        }

        private func runDemo() throws -> DemoSummary {
            try ThreadSettings.set(threads)
            for (name, value) in [("--per-class", perClass), ("--epochs", epochs), ("--pairs", pairs), ("--steps", steps)] {
                if let value, value < 1 { throw StasisError(.invalidArgument, "\(name) must be at least 1, got \(value)") }
            }
            let folder = try dataFolder()
            let progress = DemoProgress(quiet: quiet || json)
            let limit = perClass ?? (quick ? 30 : nil)
            let corpus = try DemoData.load(from: folder, perClass: limit)
            try makeFolder(output)
            if !progress.quiet {
                print("Stasis \(LibraryVersion.string) upgrade demo on \(corpus.texts.count) WordNet items in \(corpus.classNames.count) classes "
                      + "(\(corpus.gallery.count) gallery, \(corpus.queries.count) queries) from \(folder)")
            }

            var recipe = DemoUpgrade.Recipe()
            recipe.epochs = epochs ?? (quick ? 4 : 20)
            recipe.seed = seed
            guard let feature = TrainingOptions.FeatureKind(rawValue: feature) else {
                throw StasisError(.invalidArgument, "--feature must be softmax or raw, got '\(self.feature)'")
            }
            guard let alignment = TrainingOptions.Alignment(rawValue: alignment) else {
                throw StasisError(.invalidArgument, "--alignment must be hoc, cl2r or none, got '\(self.alignment)'")
            }
            guard logitScale.isFinite, logitScale > 0 else {
                throw StasisError(.invalidArgument, "--logit-scale must be finite and > 0, got \(logitScale)")
            }
            (recipe.feature, recipe.alignment, recipe.logitScale) = (feature, alignment, logitScale)
            recipe.alignmentScale = alignmentScale
            recipe.v2Hidden = hidden == "none" ? [] : try hidden.split(separator: ",").map {
                guard let width = Int($0.filter { $0 != " " }), width > 0 else {
                    throw StasisError(.invalidArgument, "--hidden: '\($0)' is not a width")
                }
                return width
            }
            recipe.pairs = noPairedAlignment ? 0 : pairCount
            recipe.v2Residual = !noResidual
            let upgrade = try DemoUpgrade.run(corpus, recipe: recipe, progress: progress)
            let legacy = skipLegacy ? nil : try DemoLegacy.run(corpus, pairCount: pairCount,
                                                                steps: steps ?? (quick ? 4 : 10), progress: progress)
            progress.stage("4/5", "Real queries, top hits in the v1 gallery before and after the upgrade")
            let examples = try DemoExample.pick(corpus, upgrade: upgrade)

            progress.stage("5/5", "Reports")
            var files = [
                "space": "space.safetensors", "v1": "encoder-v1.safetensors", "v2": "encoder-v2.safetensors",
                "index": "gallery-v1.index", "report": "upgrade-report.html", "reportJSON": "upgrade-report.json",
                "page": "demo.html", "summary": "demo.json",
            ]
            try SpaceFile.save(upgrade.space, to: path("space.safetensors"))
            try EncoderFile.save(upgrade.v1, to: path("encoder-v1.safetensors"))
            try EncoderFile.save(upgrade.v2, to: path("encoder-v2.safetensors"))
            try upgrade.index.save(to: path("gallery-v1.index"))
            try upgrade.report.writeHTML(to: path("upgrade-report.html"))
            try upgrade.report.writeJSON(to: path("upgrade-report.json"))
            if let legacy {
                files["adapter"] = "adapter-v2-to-v1.safetensors"
                try AdapterFile.save(legacy.backward, to: path("adapter-v2-to-v1.safetensors"))
            }
            let summary = makeSummary(corpus, folder, limit, recipe, upgrade, legacy, examples, files, progress.elapsed)
            let summaryJSON = try summary.json()
            try AtomicFile.write(summaryJSON, to: path("demo.json"))
            try AtomicFile.write(text: DemoPage(summary: summary, command: commandLine()).render(), to: path("demo.html"))

            if json {
                print(String(decoding: summaryJSON, as: UTF8.self), terminator: "")
            } else if !quiet {
                printSummary(summary, examples)
            }
            return summary
        }

        private func makeSummary(
            _ corpus: DemoData, _ folder: String, _ limit: Int?, _ recipe: DemoUpgrade.Recipe, _ upgrade: DemoUpgrade,
            _ legacy: DemoLegacy?, _ examples: [DemoExample], _ files: [String: String], _ seconds: Double
        ) -> DemoSummary {
            let roleKeys: [DemoData.Role: String] = [.both: "both", .v2Only: "v2Only", .unseen: "unseen"]
            var byRole: [String: DemoSummary.Cells] = [:]
            for (role, report) in upgrade.byRole { byRole[roleKeys[role] ?? "\(role)"] = DemoSummary.Cells(report) }
            let mapMatrix = upgrade.report.matrices["map"] ?? [[nil]]
            let map = DemoSummary.Cells(oldOld: mapMatrix[0][0] ?? .nan, newOld: mapMatrix.count > 1 ? mapMatrix[1][0] ?? .nan : .nan,
                                        newNew: mapMatrix.count > 1 && mapMatrix[1].count > 1 ? mapMatrix[1][1] ?? .nan : .nan)
            let upgradeSummary = DemoSummary.Upgrade(
                spaceKind: upgrade.space.kind.rawValue, spaceClasses: upgrade.space.classCount, dimension: upgrade.space.dimension,
                epochs: recipe.epochs, v2Hidden: recipe.v2Hidden,
                v2Residual: recipe.v2Residual && !recipe.v2Hidden.isEmpty, alignment: recipe.alignment.rawValue, pairs: recipe.pairs,
                v1TrainRows: upgrade.v1TrainRows, v2TrainRows: upgrade.v2TrainRows,
                v1Temperature: upgrade.v1.temperature, v2Temperature: upgrade.v2.temperature, metric: upgrade.report.metric,
                top1: DemoSummary.Cells(upgrade.report), map: map, byRole: byRole, servedTop1: upgrade.servedTop1,
                gatePassed: upgrade.report.gate.passed, gateFailing: upgrade.report.gate.failing)
            let legacySummary = legacy.map { l -> DemoSummary.Legacy in
                let policies = l.policies.map { DemoSummary.Policy(name: $0.name, auc: $0.auc, fractions: $0.curve.fractions, values: $0.curve.values) }
                let best = policies.filter { $0.name != "random" }.max { $0.auc < $1.auc }
                let random = policies.first { $0.name == "random" }
                return DemoSummary.Legacy(
                    pairs: l.pairs, adapter: l.adapterKind, adapterValidationMeanCosine: l.adapterValidation.meanCosine,
                    queries: l.measuredQueries, calibrationQueries: l.calibrationQueries,
                    top1: DemoSummary.Cells(oldOld: l.oldOld.top1, newOld: l.newOldAdapted.top1, newNew: l.newNew.top1),
                    servedTop1: l.servedTop1, policies: policies, bestPolicy: best?.name ?? "random",
                    gainOverRandom: (best?.auc ?? 0) - (random?.auc ?? 0))
            }
            let data = DemoSummary.Data(
                folder: folder, items: corpus.texts.count, classes: corpus.classNames.count, queries: corpus.queries.count,
                gallery: corpus.gallery.count, perClass: limit, v1Classes: DemoData.v1Classes, v2Classes: DemoData.v2Classes,
                oldModel: corpus.oldName, newModel: corpus.newName)
            return DemoSummary(data: data, upgrade: upgradeSummary, legacy: legacySummary, examples: examples, files: files, seconds: seconds)
        }

        private func printSummary(_ s: DemoSummary, _ examples: [DemoExample]) {
            let F = DemoFormat.self
            for example in examples {
                print("\n      “\(F.clip(example.text, 100))”  [\(example.className), \(example.role)]")
                for (name, hits) in [("before (v1)", example.before), ("after  (v2)", example.after)] {
                    let marks = hits.map { ($0.sameClass ? "✓ " : "✗ ") + F.clip($0.text, 60) }
                    print("        \(name): " + (marks.first ?? "-"))
                    for mark in marks.dropFirst() { print("                     " + mark) }
                }
            }
            print("\nSummary: top-1 (%) of the queries against the whole gallery")
            var rows = [["queries of", "old→old", "new→old", "new→new", "new→old − old→old", "ECC"]]
            for (key, name) in DemoSummary.roleNames {
                if let c = s.upgrade.byRole[key] {
                    rows.append([name, F.percent(c.oldOld), F.percent(c.newOld), F.percent(c.newNew), F.points(c.newOld - c.oldOld), c.ecc ? "holds" : "fails"])
                }
            }
            let all = s.upgrade.top1
            rows.append(["all queries", F.percent(all.oldOld), F.percent(all.newOld), F.percent(all.newNew), F.points(all.newOld - all.oldOld),
                         all.ecc ? "holds" : "fails"])
            print(F.table(rows))
            print(s.upgrade.gatePassed
                ? "      Gate: PASS. v2 queries may search the untouched v1 gallery (served through the index: \(F.percent(s.upgrade.servedTop1))%)."
                : "      Gate: FAIL (cell \(s.upgrade.gateFailing.joined(separator: ", ")), all queries). Over all queries v2 does not beat v1 on the v1 gallery:\n"
                  + "      keep v1 queries on it, or backfill before switching (stage 3 measures the backfill).")
            if let l = s.legacy {
                print("\nLegacy gallery (raw old embeddings, \(l.queries) queries):")
                var rows = [["", "top-1 %"], ["old model on the old gallery", F.percent(l.top1.oldOld)],
                            ["new model through the adapter, at once", F.percent(l.top1.newOld) + " (" + F.points(l.top1.newOld - l.top1.oldOld) + ")"],
                            ["new model after a full backfill", F.percent(l.top1.newNew)]]
                for p in l.policies { rows.append(["backfill order \(p.name): AUC", F.percent(p.auc)]) }
                print(F.table(rows))
                print(l.gainOverRandom > 0
                    ? "      Backfill: the \(l.bestPolicy) order beats random order by \(F.points(l.gainOverRandom)) AUC."
                    : "      Backfill: no priority order beats random order on this data (best \(l.bestPolicy), \(F.points(l.gainOverRandom)) AUC).")
            }
            print("\nReport: \(absolute(path("demo.html")))  (\(F.seconds(s.seconds)))")
        }

        // MARK: files

        private func path(_ name: String) -> String { output + "/" + name }

        private var pairCount: Int { pairs ?? (quick ? 600 : 2000) }

        private func dataFolder() throws -> String {
            if let data { return data }
            var candidates: [String] = []
            if let env = getenv("STASIS_DEMO_DATA") { candidates.append(String(cString: env)) }
            candidates.append("examples/data/wordnet")
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            if n > 0 {
                let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let bin = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                candidates += [bin + "/../examples/data/wordnet", bin + "/../share/stasis/demo/wordnet"]
            }
            for folder in candidates where access(folder + "/texts.txt", R_OK) == 0 { return folder }
            throw StasisError(.notFound, "the built-in corpus was not found (looked in \(candidates.joined(separator: ", "))); pass --data <folder with texts.txt>")
        }

        private func makeFolder(_ folder: String) throws {
            var st = stat()
            if stat(folder, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else { throw StasisError(.invalidArgument, "--output '\(folder)' exists and is not a folder") }
                return
            }
            guard mkdir(folder, 0o755) == 0 else {
                throw StasisError(.io, "cannot create '\(folder)': \(String(cString: strerror(errno)))")
            }
        }

        private func absolute(_ file: String) -> String {
            guard let resolved = realpath(file, nil) else { return file }
            defer { free(resolved) }
            return String(cString: resolved)
        }

        private func commandLine() -> String {
            (["stasis"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        }
    }
}
