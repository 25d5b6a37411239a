import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal while a full-screen view owns it: the alternate screen, no cursor, keys read one at
/// a time without echo. `restore()` puts everything back and is safe to call more than once.
final class TerminalScreen {
    private var savedMode: termios?
    private var entered = false

    /// Whether keys can be read: standard input is a terminal.
    let readsKeys = isatty(STDIN_FILENO) == 1

    /// Columns and rows of the terminal on standard output, if it is one.
    static func size() -> (columns: Int, rows: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Cbreak mode (no line buffering, no echo) keeps ISIG, so Ctrl-C still raises SIGINT and the
    /// signal path quits the same way everywhere.
    func enter() {
        guard !entered else { return }
        entered = true
        if readsKeys {
            var mode = termios()
            if tcgetattr(STDIN_FILENO, &mode) == 0 {
                savedMode = mode
                mode.c_lflag &= ~tcflag_t(ICANON | ECHO)
                withUnsafeMutableBytes(of: &mode.c_cc) { controls in
                    controls[Int(VMIN)] = 1
                    controls[Int(VTIME)] = 0
                }
                tcsetattr(STDIN_FILENO, TCSANOW, &mode)
            }
        }
        // Alternate screen, cursor hidden, cleared.
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J\u{1B}[H")
    }

    func restore() {
        guard entered else { return }
        entered = false
        // Styles reset, cursor shown, main screen back.
        write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        if var mode = savedMode {
            tcsetattr(STDIN_FILENO, TCSANOW, &mode)
            savedMode = nil
        }
    }

    /// Draws `lines` over the last frame from the top-left corner; each line clears what was left
    /// to its right and the rest of the screen is cleared, so nothing flickers or lingers.
    func draw(_ lines: [String]) {
        write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
