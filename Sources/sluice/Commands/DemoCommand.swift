import ArgumentParser

/// `sluice demo`: placeholder filled in below.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run a small end-to-end demo.")
}
