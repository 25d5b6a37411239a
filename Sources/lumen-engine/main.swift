import LumenEngine

await EngineCommand.runFromCommandLine()
