import ArgumentParser

@main
struct Gradsieve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradsieve",
        abstract: "Select the problems an RL run should train on, scored across TCP-connected workers.",
        discussion: """
        A coordinator divides a pool of problems into fixed shards, workers score them against \
        signals from the model (gradients, success rates), and the coordinator ranks the pool and \
        writes each epoch's curriculum.
        """,
        subcommands: [Select.self, Coordinator.self, Worker.self, Generate.self, Demo.self, Report.self, Bench.self]
    )
}
