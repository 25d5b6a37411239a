public import Foundation

/// Headless Chromium, for tests that look at a page as a person would.
public enum Chromium {
    public static let path: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser",
                          "/usr/bin/google-chrome", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Renders `page` at 1200×2000 to `output`; gives up after a minute.
    /// The project's `artifacts/` folder, where tests keep what a person should be able to look at.
    public static func artifacts(file: String = #filePath) throws -> URL {
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        let artifacts = folder.appendingPathComponent("artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        return artifacts
    }

    public static func screenshot(_ chromium: String, page: String, to output: String, home: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2000",
                             "--screenshot=\(output)", URL(fileURLWithPath: page).absoluteString]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            throw Failure(description: "chromium did not finish the screenshot of \(page) within 60 s")
        }
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: output) else {
            throw Failure(description: "chromium exited with \(process.terminationStatus) without writing \(output)")
        }
    }
}
