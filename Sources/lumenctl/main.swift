import Foundation
import LumenCtl

exit(Lumenctl.run(Array(CommandLine.arguments.dropFirst()), console: .process()))
