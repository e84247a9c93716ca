public import SluiceEngine

/// The stage kinds of the `sluice` program: the engine's `fetch` and `cleanup`, and
/// `preprocess`, `digest`, `model`, `corpus`, `command`, `slurm`, `ingest` and `analyze` from here.
public enum PipelineStages {
    /// Every kind; `analysisCheck` (the CLI's) checks `analyze` stages' options when given.
    public static func registry(analysisCheck: AnalyzeStage.ArgumentCheck? = nil) -> StageRegistry {
        StageRegistry.engine
            .adding(PreprocessStage.self)
            .adding(DigestStage.self)
            .adding(ModelStage.self)
            .adding(CorpusStage.self)
            .adding(CommandStage.self)
            .adding(SlurmStage.self)
            .adding(IngestStage.self)
            .adding(PublishStage.self)
            .adding(kind: AnalyzeStage.kind) { header, options in
                try AnalyzeStage(header: header, options: options, check: analysisCheck)
            }
    }
}
