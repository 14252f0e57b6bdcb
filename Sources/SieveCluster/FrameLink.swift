import SieveCore
import SieveSeal
import SieveUV
import SieveWire

/// A TCP connection with its frame reassembly: bytes in, whole decoded messages out.
///
/// A link made `sealable` (the cluster has a token) reads through a `FrameOpener`, which hands
/// the frames to the decoder one at a time: plain during the handshake, sealed once the core
/// says `startSealing` (docs/protocol.md section 8), from the frame after the one being handled
/// then. Without a token the link reads straight into the decoder, as it always did.
final class FrameLink {
    let connection: TCPConnection
    private var decoder: FrameDecoder
    private var failed = false
    /// Cuts (and, once sealed, opens) the frames of a sealable link; nil without a token.
    private var opener: FrameOpener?
    /// Seals what the link sends once the handshake has given it keys.
    private var sealer: FrameSealer?
    /// Memory for sealing, shared by the links of one loop (`SealingScratch`).
    private let scratch: SealingScratch

    /// `sealable`: the cluster has a token, so the link will be sealed after the handshake;
    /// `scratch`: the sealing memory of the service's loop, shared by its links.
    init(connection: TCPConnection, maximumFrameLength: Int, sealable: Bool = false, scratch: SealingScratch = SealingScratch()) {
        self.connection = connection
        self.scratch = scratch
        decoder = FrameDecoder(maximumFrameLength: maximumFrameLength)
        if sealable { opener = FrameOpener(maximumFrameLength: maximumFrameLength) }
        // Reads go straight into the decoder's (or the opener's) buffer: a large frame is never
        // copied into it.
        connection.readSpace = { [weak self] in
            guard let self, !self.failed else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
            if self.opener != nil { return self.opener!.spaceForNextRead() }
            return self.decoder.spaceForNextRead()
        }
    }

    /// Feeds bytes and calls `deliver` per message, or `reject` once on the first bad frame,
    /// after which the link ignores what else arrives (the caller closes it).
    func receive(_ bytes: UnsafeRawBufferPointer, deliver: (Message, UInt32) -> Void, reject: (WireError) -> Void) {
        guard !failed else { return }
        do {
            guard opener != nil else {
                try decoder.append(bytes) { message, requestID in
                    deliver(message, requestID)
                    return !failed
                }
                return
            }
            opener!.append(bytes)
            // One frame at a time: `deliver` may switch the opener to sealed frames (through
            // `startSealing`), and the next frame must then be opened, not passed on.
            while !failed, try opener!.withNextFrame({ decoder.append($0) }) != nil {
                while !failed, let (message, requestID) = try decoder.nextMessage() {
                    deliver(message, requestID)
                }
            }
        } catch {
            failed = true
            reject(error as? WireError ?? WireError(code: .malformedField, message: "\(error)"))
        }
    }

    /// From now on every frame sent is sealed with `keys`, and every frame received after the
    /// one being delivered is opened with them. `side` is this end of the connection.
    func startSealing(_ keys: SessionKeys, side: SessionKeys.Side) {
        precondition(opener != nil, "startSealing on a link made without a token")
        sealer = keys.sealer(for: side)
        opener!.startOpening(key: keys.receivingKey(for: side))
    }

    func send(_ message: Message, requestID: UInt32) {
        guard sealer != nil else {
            connection.write(message.encodedForWriting(requestID: requestID))
            return
        }
        do {
            try sealer!.seal(message, requestID: requestID, using: scratch) { connection.write($0) }
        } catch {
            // Every counter used (2^64 frames): nothing more may be sealed with this key.
            failed = true
            connection.close()
        }
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
