import ArgumentParser

@main
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A storage-bounded streaming pipeline for single-cell and other omics data.")
}
