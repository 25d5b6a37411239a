import Foundation

/// Reads a provider's `apiKeyFile`, only from under the agent's secrets folder: a manifest author
/// must not make the agent send `/etc/shadow` or another user's token to a `baseURL` they chose.
enum SecretFile {
    /// Why a key file was not read; `description` is the warning the compiled state reports (it never holds the key).
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// The key in `path` (trimmed), when the path resolves, symlinks followed, inside `folder`.
    /// A relative `path` is taken relative to `folder`.
    static func read(_ path: String, under folder: String?, provider: String) -> Result<String, Refusal> {
        guard let folder, !folder.isEmpty else {
            return .failure(Refusal(description: "provider \(provider) reads its key from \(path), but this agent has no secrets folder; "
                                    + "start it with --secrets-dir DIR and put the file there (no key is sent)"))
        }
        let outside = Refusal(description: "provider \(provider) reads its key from \(path), which is not under this agent's secrets folder "
                              + "\(folder); move the file there (or start the agent with --secrets-dir) — no key is sent")
        guard !path.contains("\0"), !path.split(separator: "/").contains("..") else { return .failure(outside) }
        let joined = path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path)
        guard let realFolder = realPath(folder) else {
            return .failure(Refusal(description: "provider \(provider) reads its key from \(path), but the secrets folder \(folder) "
                                    + "does not exist; create it (mode 0700) and put the file there (no key is sent)"))
        }
        guard let realFile = realPath(joined) else {
            return .failure(Refusal(description: "provider \(provider) reads its key from \(joined), which this agent cannot read; "
                                    + "check that the file exists under \(folder) (no key is sent)"))
        }
        guard realFile.hasPrefix(realFolder.hasSuffix("/") ? realFolder : realFolder + "/") else { return .failure(outside) }
        guard let text = try? String(contentsOfFile: realFile, encoding: .utf8) else {
            return .failure(Refusal(description: "provider \(provider) reads its key from \(joined), which this agent cannot read; "
                                    + "check its permissions (no key is sent)"))
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            return .failure(Refusal(description: "provider \(provider) reads its key from \(joined), which is empty; write the key there"))
        }
        return .success(key)
    }

    /// The absolute path with every symlink resolved (realpath), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
