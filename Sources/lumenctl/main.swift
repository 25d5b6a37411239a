import Foundation
import LumenCtl

Lumenctl.bootstrapLogging(environment: ProcessInfo.processInfo.environment)
exit(Lumenctl.run(Array(CommandLine.arguments.dropFirst()), console: .process()))
