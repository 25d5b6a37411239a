#if os(Linux)
import CLumenProcess
import Glibc
#endif
import Foundation

/// Keeps the agent's memory and environment (the cluster token, provider keys) from other
/// processes of its user, its replicas among them.
public enum ProcessPrivacy {
    /// Marks this process not dumpable (`PR_SET_DUMPABLE` 0): `/proc/PID/environ`, `mem`, `maps`
    /// and `fd` become root's, and no process of the same user can ptrace it. Workers are not
    /// affected: the flag is reset when the guard is exec'd. Returns why it failed, or nil.
    @discardableResult
    public static func forbidInspection() -> String? {
        #if os(Linux)
        guard lumen_set_dumpable(0) == 0 else {
            return "lumen-agent: cannot mark the agent non-dumpable (\(String(cString: strerror(errno)))); "
                + "replicas of the same user could read its environment through /proc"
        }
        return nil
        #else
        return nil
        #endif
    }

    /// Whether this process can be inspected by others of its user (dumpable).
    public static var isInspectable: Bool {
        #if os(Linux)
        lumen_is_dumpable() != 0
        #else
        true
        #endif
    }
}
