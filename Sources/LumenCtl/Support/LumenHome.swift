import Foundation

/// Where the control store lives: `--home`, else `LUMEN_HOME`, else `~/.lumen`.
enum LumenHome {
    static func resolve(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return expand(flag) }
        if let home = environment["LUMEN_HOME"], !home.isEmpty { return expand(home) }
        let userHome = environment["HOME"] ?? NSHomeDirectory()
        return (userHome as NSString).appendingPathComponent(".lumen")
    }

    private static func expand(_ path: String) -> String {
        (path as NSString).expandingTildeInPath
    }
}
