import ArgumentParser

/// The `sluice` command: parses arguments and hands work to the library; no logic of its own.
@main
struct Sluice: ParsableCommand {
    static func main() {
        ProcessMemory.keepFreedMemory()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A storage-bounded streaming pipeline for single-cell and other omics data.",
        discussion: """
            Start with `sluice inspect FILE` on a new file, or `sluice demo` to see a whole run on \
            data Sluice makes itself.
            """,
        subcommands: [InspectCommand.self, PreprocessCommand.self, ConvertCommand.self, BenchCommand.self, DemoCommand.self])
}
