import LumenAgent
import NIOCore
import NIOPosix

// `lumen-agent __guard …` is the worker guard: it must run before any thread starts, and never returns.
ProcessGuard.runIfRequested()
// Run Swift concurrency on NIO's event loops, so a request does not hop between thread pools.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await AgentCommand.runFromCommandLine()
