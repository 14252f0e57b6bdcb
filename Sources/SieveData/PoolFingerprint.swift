/// Computes the fingerprint that identifies a pool's contents.
///
/// The coordinator and workers compare fingerprints before working together,
/// so it must be identical whether or not a process read the ids: it always
/// hashes `samples.jsonl` in full (memory-mapped; it is small next to the
/// signals). For the safetensors files it hashes each relative name, byte
/// size and JSON header, not the tensor data: that is cheap even for
/// terabyte pools, and still catches a different pool or a regenerated one
/// (different shapes, dtypes, metadata or sizes). Hashed, in order: the tag
/// `gradsieve-pool-v1`; `samples.jsonl` size and contents; the number of
/// signals files then, for each, `signals/<name>`, size and header; the same
/// for `validation/`. See `WordHasher` for the hash itself.
enum PoolFingerprint {
    static func compute(samples: MemoryMappedFile, signals: [(name: String, file: SafetensorsFile)],
                        validation: [(name: String, file: SafetensorsFile)]) -> UInt64 {
        var hasher = WordHasher()
        hasher.combine("gradsieve-pool-v1")
        hasher.combine(samples.size)
        // In 8 MiB pieces, each dropped from the resident set once hashed, so a worker's memory
        // does not grow with samples.jsonl (gigabytes for 100M rows). Same hash as in one go.
        hasher.combine(samples.bytes, chunk: 8 << 20) { MemoryMappedFile.release($0) }
        for (directory, files) in [("signals", signals), ("validation", validation)] {
            hasher.combine(files.count)
            for (name, file) in files {
                hasher.combine("\(directory)/\(name)")
                hasher.combine(file.fileSize)
                hasher.combine(file.headerBytes)
            }
        }
        return hasher.value
    }
}
