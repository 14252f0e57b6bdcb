import Foundation
import XCTest

/// Runs the real `gradsieve` binary as child processes, in a scratch directory per test.
struct Harness {
    let root: URL

    init(_ name: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gradsieve-it-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static var binary: String {
        // The test bundle sits next to the products in .build/<configuration>/.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("gradsieve")
            if FileManager.default.isExecutableFile(atPath: candidate.path), !candidate.hasDirectoryPath { return candidate.path }
            directory.deleteLastPathComponent()
        }
        return ".build/debug/gradsieve"
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts `gradsieve arguments...` without waiting.
    func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        try start(executable: Self.binary, arguments)
    }

    /// Starts `executable arguments...` without waiting.
    func start(executable: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Reads the child's stdout and stderr to their ends at the same time (stderr on another
    /// thread: a child that fills one pipe while the other is being read to its end would
    /// block forever), then waits for its exit.
    ///
    /// A child still running after `timeout` seconds is killed (SIGKILL), so a hang fails the
    /// test that waits for it instead of hanging the suite: its status is then the signal's and
    /// its stderr ends with a line that says so.
    func finish(_ started: (Process, Pipe, Pipe), timeout: Double = 600) -> Result {
        let (process, out, err) = started
        let stderr = PipeReader(err)
        let watchdog = DispatchWorkItem {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        var errorText = String(decoding: stderr.wait(), as: UTF8.self)
        if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL {
            errorText += "\n[harness] killed: still running after \(timeout) s"
        }
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: errorText)
    }

    @discardableResult
    func run(_ arguments: [String], timeout: Double = 600) throws -> Result {
        finish(try start(arguments), timeout: timeout)
    }

    func read(_ relative: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relative))
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path(relative))
    }

    /// A free loopback port: bind to 0, read it, release it.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Reads a pipe to its end on a thread of its own; `wait` returns what it read.
final class PipeReader: @unchecked Sendable {
    // `data` is written by the reading thread before `done` is signalled and read only after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
