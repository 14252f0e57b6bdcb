import ArgumentParser
import SieveCore
import SieveCluster
import SieveSelect

/// Flags shared by `select` and `coordinator`: what to compute and where to write it.
struct RunOptions: ParsableArguments {
    @Option(help: "The pool directory (samples.jsonl, signals/, validation/).")
    var data: String

    @Option(help: "Selection method: \(SelectionMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: String = "gradalign"

    @Option(help: "How many problems the curriculum holds (default 1000; limr keeps rows by --threshold unless given).")
    var budget: Int?

    @Option(help: "limr: keep rows whose score is at least this (when no --budget is given).")
    var threshold: Double = 0.6

    @Option(help: "limr in follow mode on epochs without `rewards`: epochs of success history before limr scores (the epochs before draw randomly, with --seed).")
    var limrHistoryEpochs: Int = 2

    @Option(help: "Seed of the random and gainrl draws (and of limr's draws while it builds a history).")
    var seed: UInt64 = 1

    @Option(help: "accuracy-band: keep rows with success above this.")
    var low: Double = 0

    @Option(help: "accuracy-band: keep rows with success below this.")
    var high: Double = 1

    @Option(name: .customLong("gainrl-n"), help: "gainrl: step scale n of the centre's move.")
    var gainrlN: Double = 500

    @Option(name: .customLong("gainrl-alpha"), help: "gainrl: alpha inside tanh.")
    var gainrlAlpha: Double = 2

    @Option(name: .customLong("gainrl-beta"), help: "gainrl: target accuracy beta.")
    var gainrlBeta: Double = 0.5

    @Option(name: .customLong("gainrl-sigma"), help: "gainrl: width sigma of the Gaussian over ranks.")
    var gainrlSigma: Double = 1000

    @Option(name: .customLong("gainrl-max-shift"), help: "gainrl: the most the centre moves between epochs (n_max).")
    var gainrlMaxShift: Double = 1000

    @Option(help: "Representativeness step: none or facility-location.")
    var diversity: String = "none"

    @Option(help: "facility-location: candidates = pool factor x budget top rows.")
    var poolFactor: Int = 4

    @Option(help: "facility-location: GreeDi parts (fixed by the data, never by the worker count); each returns min(part, budget, ceil(2 x budget / parts)) picks. 1: central lazy greedy.")
    var partitions: Int = 8

    @Option(help: "Output directory for run.json and epoch-NNNN/.")
    var out: String

    @Flag(help: "Overwrite a run already in OUT.")
    var force = false

    @Flag(help: "Follow an external trainer: wait for DATA/epochs/NNNN/COMPLETE and select from that epoch's signals, epoch after epoch, until --epochs or until the trainer writes DATA/epochs/DONE (or SIGTERM).")
    var follow = false

    @Flag(help: "Continue the run journaled in OUT (after a crash or SIGTERM); finished shards are not recomputed.")
    var resume = false

    @Option(help: "Rows per training shard (fixed by the data, never by the worker count).")
    var shardRows: Int = 4096

    @Option(help: "Rows per validation shard.")
    var validationShardRows: Int = 4096

    @Option(name: .customLong("epochs"), help: "Epochs to run (default 1; with --follow, until the trainer writes DATA/epochs/DONE).")
    var epochsOption: Int?

    /// The epochs to run: `--epochs`, else 1, else (follow mode) until the trainer is done.
    var epochs: Int { epochsOption ?? (follow ? Int.max : 1) }

    @Option(help: "Per-row score files of each epoch: jsonl (scores.jsonl), npy (scores.npy, the same table as a NumPy structured array), both, or none.")
    var scoresFormat: String = "jsonl"

    @Option(help: "Fail the run when its workers have not all joined after this many seconds (default: wait for ever, saying every 10 s what it waits for).")
    var joinTimeout: Double?

    @Option(help: "Heartbeat interval the coordinator asks workers for, in milliseconds.")
    var heartbeatMillis: UInt32 = 1000

    @Option(help: "Declare a silent worker lost after this many seconds.")
    var workerTimeout: Double = 30

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: String = "info"

    @Option(help: "Log format: text or json (one object per line).")
    var logFormat: String = "text"

    @Option(help: "Write Prometheus text-format metrics here (node_exporter textfile convention), refreshed every second.")
    var metricsFile: String?

    @Option(help: "File holding the cluster token; workers must prove they hold it (HMAC). Without one the coordinator listens on loopback only.")
    var tokenFile: String?

    @Option(help: "Close a connection that has not completed the handshake within this many seconds.")
    var handshakeTimeout: Double = 10

    @Option(help: "Refuse connections beyond this many.")
    var maxConnections: Int = 256

    @Option(help: "On SIGTERM, wait this long for shards in flight before stopping.")
    var drainSeconds: Double = 30

    func validate() throws {
        guard let chosen = SelectionMethod(rawValue: method) else {
            throw ValidationError("--method \(method) is not one of: \(SelectionMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let budget, budget <= 0 { throw ValidationError("--budget must be positive, not \(budget)") }
        guard ["none", "facility-location"].contains(diversity) else {
            throw ValidationError("--diversity \(diversity) is not none or facility-location")
        }
        if diversity != "none" && chosen == .limr && budget == nil {
            throw ValidationError("--diversity facility-location with limr needs --budget")
        }
        guard limrHistoryEpochs >= 1 else { throw ValidationError("--limr-history-epochs must be at least 1, not \(limrHistoryEpochs)") }
        guard poolFactor >= 1 else { throw ValidationError("--pool-factor must be at least 1") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard low < high else { throw ValidationError("--low \(low) must be below --high \(high)") }
        guard gainrlSigma > 0 else { throw ValidationError("--gainrl-sigma must be positive") }
        guard gainrlMaxShift >= 0 else { throw ValidationError("--gainrl-max-shift must not be negative") }
        guard shardRows > 0 else { throw ValidationError("--shard-rows must be positive, not \(shardRows)") }
        guard validationShardRows > 0 else { throw ValidationError("--validation-shard-rows must be positive") }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, not \(epochs)") }
        guard ScoresFormat(rawValue: scoresFormat) != nil else {
            throw ValidationError("--scores-format \(scoresFormat) is not one of \(ScoresFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let joinTimeout { guard joinTimeout > 0 else { throw ValidationError("--join-timeout must be positive, not \(joinTimeout)") } }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format \(logFormat) is not text or json") }
        guard !(resume && force) else { throw ValidationError("--resume and --force contradict each other: pick one") }
        guard workerTimeout > 0 else { throw ValidationError("--worker-timeout must be positive") }
        guard LogSetup.level(logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not debug, info, warning or error") }
    }
}

extension RunOptions {
    var selectionMethod: SelectionMethod { SelectionMethod(rawValue: method)! }

    var methodParameters: MethodParameters {
        MethodParameters(
            budget: budget ?? (selectionMethod.budgetByDefault ? 1000 : nil), threshold: threshold, seed: seed,
            low: low, high: high,
            gainrl: GainRLParameters(n: gainrlN, alpha: gainrlAlpha, beta: gainrlBeta, sigma: gainrlSigma, maxShift: gainrlMaxShift),
            diversity: diversity == "facility-location", poolFactor: poolFactor, partitions: partitions,
            limrHistoryEpochs: limrHistoryEpochs)
    }

    /// The parameters as run.json records them: name and JSON value.
    var recordedParameters: [(String, String)] {
        let p = methodParameters
        var list: [(String, String)] = [("budget", p.budget.map { "\($0)" } ?? "null")]
        switch selectionMethod {
        case .limr:
            list.append(("threshold", "\(threshold)"))
            // Followed epochs may carry no rewards: limr then builds a history, drawing with the seed first.
            if follow { list += [("limr_history_epochs", "\(limrHistoryEpochs)"), ("seed", "\(seed)")] }
        case .gainrl:
            list += [("seed", "\(seed)"), ("gainrl_n", "\(gainrlN)"), ("gainrl_alpha", "\(gainrlAlpha)"),
                     ("gainrl_beta", "\(gainrlBeta)"), ("gainrl_sigma", "\(gainrlSigma)"), ("gainrl_max_shift", "\(gainrlMaxShift)")]
        case .accuracyBand: list += [("low", "\(low)"), ("high", "\(high)")]
        case .random: list.append(("seed", "\(seed)"))
        default: break
        }
        list.append(("diversity", "\"\(diversity)\""))
        if p.diversity { list += [("pool_factor", "\(poolFactor)"), ("partitions", "\(partitions)")] }
        list += [("epochs", epochsOption == nil && follow ? "null" : "\(epochs)"), ("shard_rows", "\(shardRows)"), ("validation_shard_rows", "\(validationShardRows)")]
        return list
    }
}
