import ArgumentParser
import SieveData

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic pool in the data contract's layout.",
        discussion: """
        Example:
          gradsieve generate --out pool --rows 20000 --dim 256 --dtype f16 --validation 64 --seed 1
        Rows fall into clusters of gradient directions; the validation set comes from a few \
        "trusted" clusters, so gradalign has a real signal to find.
        """)

    @Option(help: "Directory to write (samples.jsonl, signals/, validation/).")
    var out: String

    @Option(help: "Training rows.")
    var rows: Int

    @Option(help: "Gradient dimension d.")
    var dim: Int

    @Option(help: "Gradient dtype: f32, f16 or bf16.")
    var dtype: String = "f32"

    @Option(help: "Validation rows.")
    var validation: Int = 64

    @Option(help: "Random seed; the same seed writes the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Rows per signals file.")
    var rowsPerFile: Int = 65_536

    @Flag(help: "Overwrite a pool already in OUT.")
    var force = false

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be positive, not \(rows)") }
        guard dim > 0 else { throw ValidationError("--dim must be positive, not \(dim)") }
        guard validation >= 0 else { throw ValidationError("--validation must not be negative") }
        guard rowsPerFile > 0 else { throw ValidationError("--rows-per-file must be positive") }
        guard elementType != nil else { throw ValidationError("--dtype \(dtype) is not f32, f16 or bf16") }
    }

    var elementType: DType? {
        switch dtype.lowercased() {
        case "f32": return .f32
        case "f16": return .f16
        case "bf16": return .bf16
        default: return nil
        }
    }

    func run() throws {
        let generator = PoolGenerator(rows: rows, dimension: dim, dtype: elementType!, validationRows: validation,
                                      seed: seed, rowsPerFile: rowsPerFile, overwrite: force)
        try generator.write(to: out)
        print("wrote \(rows) rows (d = \(dim), \(dtype)) and \(validation) validation rows to \(out)")
    }
}
