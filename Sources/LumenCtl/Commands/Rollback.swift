import ArgumentParser
import LumenStore

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a past revision's state current again, written as a new revision."
    )

    @Argument(help: ArgumentHelp("The revision to restore (see lumenctl history).", valueName: "revision"))
    var revision: Int
    @Flag(help: "Show what would change, without writing.")
    var dryRun = false
    @OptionGroup var home: HomeOptions

    func validate() throws {
        if revision < 1 { throw ValidationError("Revisions start at 1; see lumenctl history.") }
    }

    func run() throws {
        guard let store = try home.existingStore() else { throw CommandFailure.emptyStore(home.path) }
        let result = try store.rollback(to: revision, dryRun: dryRun)
        ChangeReport.print(result, verb: "Rolled back to revision \(revision) as")
        if result.revision != nil {
            try StatePush.pushLatest(store, home: home)
        } else if !dryRun {
            try StatePush.retryMissed(store, home: home)
        }
    }
}
