import Foundation
import Synchronization
import XCTest

/// A child process whose stderr the test can wait on, line by line, while it runs.
final class WatchedProcess {
    let process = Process()
    /// The stderr read so far; appended on Foundation's reading thread.
    private let text = LogText()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [text] handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            text.value.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var log: String {
        text.value.withLock { $0 }
    }

    /// Waits until stderr contains `marker`; fails the test after `seconds`.
    @discardableResult
    func waitFor(_ marker: String, seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(marker) { return true }
            if !process.isRunning && !log.contains(marker) { break }
            usleep(20_000)
        }
        XCTFail("no \"\(marker)\" in the log:\n\(log)", file: file, line: line)
        return false
    }

    /// Waits for the exit; returns the status (after `seconds`, kills it and fails).
    func wait(seconds: Double = 60, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            XCTFail("still running after \(seconds) s:\n\(log)", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    var isRunning: Bool { process.isRunning }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Text shared between the thread that reads a pipe and the test's thread.
final class LogText: Sendable {
    let value = Mutex("")
}
