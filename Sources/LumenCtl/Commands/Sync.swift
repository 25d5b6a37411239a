import ArgumentParser
import LumenStore

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push the newest revision to every node again (after a node was down, say)."
    )

    @OptionGroup var home: HomeOptions

    func run() throws {
        guard let store = try home.existingStore() else { throw CommandFailure.emptyStore(home.path) }
        guard try store.latestRevision() != nil else { throw CommandFailure.emptyStore(home.path) }
        try StatePush.pushLatest(store, home: home)
    }
}
