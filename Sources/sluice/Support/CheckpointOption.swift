import ArgumentParser
import SluiceEngine
import SluicePipelines

/// `--checkpoint-dir`, `--checkpoint-every` and `--checkpoint-limit` of the streaming analyses:
/// where a long pass records its state, so that a run stopped at any moment resumes there.
struct CheckpointOption: ParsableArguments {
    @Option(
        help: """
            Folder where the pass records its state after whole chunks, so that a run stopped at any moment \
            (a job's time limit, kill -9) resumes from its last checkpoint when run again with the same input \
            and options, with the same result; removed once the outputs are written.
            """)
    var checkpointDir: String?
    @Option(help: "Time between checkpoints, e.g. 5m or 90s (with --checkpoint-dir).")
    var checkpointEvery = "5m"
    @Option(help: "Most bytes the checkpoint files may take at once, e.g. 2GB; a checkpoint that does not fit is skipped (default: no limit).")
    var checkpointLimit: String?

    func validate() throws {
        try Self.validateInterval(checkpointEvery)
        if let checkpointLimit, ByteSize.parse(checkpointLimit) == nil {
            throw ValidationError("--checkpoint-limit must be a size such as 2GB or 500MB, not \(checkpointLimit)")
        }
    }

    /// The checkpoint of the analysis `name` of `input` under `settings` (everything that changes
    /// its result or its chunks), or nil without --checkpoint-dir.
    func checkpoint(name: String, input: String, settings: [String]) -> AnalysisCheckpoint? {
        guard let checkpointDir else { return nil }
        return AnalysisCheckpoint(
            folder: checkpointDir, name: name, interval: Self.interval(checkpointEvery),
            fingerprint: AnalysisCheckpoint.fingerprint(input: input, settings: settings), limit: checkpointLimit.flatMap(ByteSize.parse))
    }

    /// Fails unless `text`, the value of `--checkpoint-every`, is a time such as 5m or 90s.
    static func validateInterval(_ text: String) throws {
        guard DurationText.parse(text).map({ $0 >= 0 }) == true else {
            throw ValidationError("--checkpoint-every must be a time such as 5m or 90s, not \(text)")
        }
    }

    /// The time between checkpoints a validated `--checkpoint-every` gives.
    static func interval(_ text: String) -> Duration { .seconds(DurationText.parse(text) ?? 300) }
}
