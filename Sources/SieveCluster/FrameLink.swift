import SieveCore
import SieveUV
import SieveWire

/// A TCP connection with its frame reassembly: bytes in, whole decoded messages out.
final class FrameLink {
    let connection: TCPConnection
    private var decoder: FrameDecoder
    private var failed = false

    init(connection: TCPConnection, maximumFrameLength: Int) {
        self.connection = connection
        decoder = FrameDecoder(maximumFrameLength: maximumFrameLength)
        // Reads go straight into the decoder's buffer: a large frame is never copied into it.
        connection.readSpace = { [weak self] in
            guard let self, !self.failed else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
            return self.decoder.spaceForNextRead()
        }
    }

    /// Feeds bytes and calls `deliver` per message, or `reject` once on the first bad frame,
    /// after which the link ignores what else arrives (the caller closes it).
    func receive(_ bytes: UnsafeRawBufferPointer, deliver: (Message, UInt32) -> Void, reject: (WireError) -> Void) {
        guard !failed else { return }
        do {
            try decoder.append(bytes) { message, requestID in
                deliver(message, requestID)
                return !failed
            }
        } catch {
            failed = true
            reject(error as? WireError ?? WireError(code: .malformedField, message: "\(error)"))
        }
    }

    func send(_ message: Message, requestID: UInt32) {
        connection.write(message.encodedForWriting(requestID: requestID))
    }

    func stop() { failed = true }
}

extension TCPConnection {
    /// Writes a frame: one buffer, or, for a frame with large arrays, one vectored write of its
    /// segments, the arrays sent from their own memory (no copy into a frame).
    public func write(_ frame: OutgoingFrame) {
        switch frame {
        case .contiguous(let bytes):
            write(bytes)
        case .segments(let segments):
            write(segments.map { segment -> WriteBuffer in
                switch segment {
                case .bytes(let bytes): WriteBuffer(bytes)
                case .f64s(let values): WriteBuffer(values)
                case .u64s(let values): WriteBuffer(values)
                }
            })
        }
    }
}
