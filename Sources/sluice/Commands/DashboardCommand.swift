import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceDashboard
import SluiceEngine
import UnixSignals

/// `sluice dashboard`: the live dashboard of a run, from any shell.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a live web dashboard of a run (running or finished), read from its ledger.",
        discussion: """
            The page shows items done, failed and to do, each stage's progress, the disk per area \
            against its quota, the running tasks, the workers and the failures, kept current by \
            Server-Sent Events; an item's stages, outputs and log on request. /metrics serves \
            Prometheus metrics. The HTTP API is described in docs/dashboard-api.yaml.

            It listens on 127.0.0.1 unless --address says otherwise; any other address needs \
            --token-file. It is read-only unless --allow-control: then it can stop the run's \
            processes on this host, retry failed items, and — given the pipeline file — take \
            new items (POST /api/items), which a run started with --wait, or `sluice worker \
            --wait`, picks up. Ctrl-C stops the dashboard, never the run. \
            `sluice run --serve` serves the same page from inside the run.
            """)

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @OptionGroup var dashboard: DashboardOptions

    func run() async throws {
        let access = try dashboard.access()
        let (workspace, ledger, config) = try await WorkspaceArgument.resolve(target)
        let server = DashboardServer(
            source: DashboardSource(workspace: workspace, ledger: ledger, config: config), access: access,
            onListening: { DashboardOptions.announce($0, access: access) })
        var logger = Logger(label: "sluice.dashboard")
        logger.logLevel = .critical
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
        try await group.run()
    }
}
