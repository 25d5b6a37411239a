// Writes the manifest set the apply benchmark uses: lumenctl-bench ROUTES MODELS > file.yaml
import LumenTestSupport

let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
let routes = arguments.first ?? 1000
let models = arguments.dropFirst().first ?? 200
print(Fixtures.largeManifestSet(routes: routes, models: models), terminator: "")
