import LumenAgent

await AgentCommand.runFromCommandLine()
