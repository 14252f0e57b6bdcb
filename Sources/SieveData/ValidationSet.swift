/// Checks the optional trusted validation set, `DATA/validation/*.safetensors`:
/// each file needs `grad` [m, d] in a float dtype, with d equal to the
/// training d and one dtype across the validation files (it may differ from
/// the training dtype). Other tensors in these files are ignored. Files are
/// concatenated in file-name order.
struct ValidationSet {
    let rowsPerFile: [Int]
    let gradType: DType?

    init(files: [SafetensorsFile], trainingDimension: Int?, firstSignalsFile: String) throws {
        var rows: [Int] = []
        var type: DType?
        for file in files {
            guard let grad = file.tensors[PoolTensor.grad] else {
                throw DataError(file: file.path, field: PoolTensor.grad, message: "missing tensor (every validation file needs it)")
            }
            guard grad.dtype.isFloat else {
                throw DataError(file: file.path, field: PoolTensor.grad, message: "dtype must be F32, F16 or BF16, not \(grad.dtype.rawValue)")
            }
            guard grad.shape.count == 2 else {
                throw DataError(file: file.path, field: PoolTensor.grad, message: "shape must be [m, d], found \(grad.shapeText)")
            }
            guard let trainingDimension else {
                throw DataError(file: file.path, field: PoolTensor.grad, message: "validation grad given but the training signals have no grad")
            }
            guard grad.shape[1] == trainingDimension else {
                throw DataError(file: file.path, field: PoolTensor.grad,
                                message: "d = \(grad.shape[1]) differs from the training d = \(trainingDimension) in \(firstSignalsFile)")
            }
            if let type, type != grad.dtype {
                throw DataError(file: file.path, field: PoolTensor.grad,
                                message: "dtype \(grad.dtype.rawValue) differs from \(type.rawValue) in \(files[0].path)")
            }
            type = grad.dtype
            rows.append(grad.shape[0])
        }
        rowsPerFile = rows
        gradType = type
    }
}
