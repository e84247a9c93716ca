public import SluiceEngine

/// The stages a pipeline file declares, built: `fetch` and `cleanup` from the engine,
/// `preprocess`, `command` and `analyze` from here.
public enum PipelineStages {
    public static func make(_ config: PipelineConfig) -> [any Stage] {
        config.stages.map { spec -> any Stage in
            switch spec.kind {
            case .fetch: FetchStage(spec: spec)
            case .preprocess: PreprocessStage(spec: spec)
            case .command: CommandStage(spec: spec)
            case .analyze: AnalyzeStage(spec: spec)
            case .cleanup: CleanupStage(spec: spec)
            }
        }
    }

    /// Closes what the stages hold open (HTTP connections).
    public static func shutdown(_ stages: [any Stage]) async {
        for case let fetch as FetchStage in stages { await fetch.shutdown() }
    }
}
