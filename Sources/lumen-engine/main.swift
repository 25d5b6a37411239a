import LumenEngine
import NIOCore
import NIOPosix

// Run Swift concurrency on NIO's event loops, so a request does not hop between thread pools.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await EngineCommand.runFromCommandLine()
