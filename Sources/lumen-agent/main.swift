import Foundation
import LumenAgent
import NIOCore
import NIOPosix

// `lumen-agent __guard …` is the worker guard: it must run before any thread starts, and never returns.
ProcessGuard.runIfRequested()
// Before any secret is read: a replica of the same user must not read the agent's /proc/PID/environ or memory.
if let problem = ProcessPrivacy.forbidInspection() {
    FileHandle.standardError.write(Data((problem + "\n").utf8))
}
// Run Swift concurrency on NIO's event loops, so a request does not hop between thread pools.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await AgentCommand.runFromCommandLine()
