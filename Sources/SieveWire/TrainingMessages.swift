// The messages of training through the cluster (the built-in policy's live runs):
// assignTask, taskResult and weights.

/// What a task computes.
public enum TaskKind: UInt8, Sendable, CaseIterable {
    /// The summed GRPO gradients of the rows (train problems), then their reward sum and count.
    case gradient = 1
    /// Greedy-decoding correctness of the rows (test problems): correct count, count.
    case evaluation = 2
}

/// Coordinator → worker: one data-parallel share of a training step or of an evaluation.
/// Tasks are fixed blocks of the batch (or test set), never shaped by the worker count.
public struct TaskAssignment: Equatable, Sendable {
    public var epoch: UInt32
    public var task: UInt32
    public var attempt: UInt32
    public var kind: TaskKind
    /// Seeds the step's rollouts; the weights are those of the latest `weights` message.
    public var step: UInt32
    public var rows: [UInt64]

    public init(epoch: UInt32, task: UInt32, attempt: UInt32, kind: TaskKind, step: UInt32, rows: [UInt64]) {
        self.epoch = epoch
        self.task = task
        self.attempt = attempt
        self.kind = kind
        self.step = step
        self.rows = rows
    }
}

extension TaskAssignment: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u32(task)
        writer.u32(attempt)
        writer.u8(kind.rawValue)
        writer.u32(step)
        writer.u64Array(rows)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        let epoch = try reader.u32("epoch"), task = try reader.u32("task"), attempt = try reader.u32("attempt")
        let raw = try reader.u8("kind")
        guard let kind = TaskKind(rawValue: raw) else { throw reader.malformed("kind", "unknown task kind \(raw)") }
        self.init(epoch: epoch, task: task, attempt: attempt, kind: kind, step: try reader.u32("step"), rows: try reader.u64Array("rows"))
    }
}

/// Worker → coordinator: a task's result (see ``TaskKind`` for the layout of `values`).
public struct TaskResult: Equatable, Sendable {
    public var epoch: UInt32
    public var task: UInt32
    public var attempt: UInt32
    public var values: [Double]

    public init(epoch: UInt32, task: UInt32, attempt: UInt32, values: [Double]) {
        self.epoch = epoch
        self.task = task
        self.attempt = attempt
        self.values = values
    }
}

extension TaskResult: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u32(task)
        writer.u32(attempt)
        writer.f64Array(values)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(epoch: try reader.u32("epoch"), task: try reader.u32("task"), attempt: try reader.u32("attempt"),
                  values: try reader.f64Array("values"))
    }
}

/// Coordinator → worker: the policy's weights after an optimizer step; later signals and tasks
/// use them. `epoch` seeds the rollouts of the signals computed with these weights.
public struct Weights: Equatable, Sendable {
    public var version: UInt32
    public var epoch: UInt32
    public var values: [Double]

    public init(version: UInt32, epoch: UInt32, values: [Double]) {
        self.version = version
        self.epoch = epoch
        self.values = values
    }
}

extension Weights: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(version)
        writer.u32(epoch)
        writer.f64Array(values)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(version: try reader.u32("version"), epoch: try reader.u32("epoch"), values: try reader.f64Array("values"))
    }
}
