// The GRPO regime of the built-in policy, in one process: how test accuracy moves when the
// warm start, the curriculum (the whole pool, a random or a selected subset), the passes, the
// batch and the learning rate change. It reports greedy test accuracy per tier, which the
// demo's metrics do not. Settings come from the environment (defaults in brackets):
//
//   CKPT     warm-start checkpoint to read, or to write with WARM=1 [warm.ckpt]
//   WARM=1   run the warm-up first: WPROBLEMS [20000] clean problems, WSTEPS [2000] steps,
//            WLR [3e-3], WIDTH / LAYERS (model shape) [the default config]
//   EVALONLY=1  print per-tier greedy accuracy on 1000 clean test problems and stop
//   MODE     full | random | band | gradalign [full]: the epoch's curriculum is the whole pool
//            (shuffled), BUDGET random rows, BUDGET rows with 0 < success < 1, or the BUDGET
//            rows whose projected GRPO gradient has the largest cosine with the summed
//            validation gradient (PROJ dimensions [256], 128 validation problems)
//            PRECOND=1: GradAlign's optimizer-aware variant (its use_optimizer option, as in LESS):
//            the summed FULL validation gradient is divided by Adam's step scale sqrt(v_hat) + eps
//            before projection; before the first step v_hat is estimated from the validation
//            gradients as the second moment of a batch mean (PRECOND=est always estimates)
//   EPOCHS [4], BUDGET [256], PASSES [4], BATCH [32], LR [1e-4], G rollouts [8]
//   B2 [0.999], EPS [1e-8], WD [0] (AdamW), RAMP linear learning-rate warm-up steps [0]
//   FREEZE=emb | block0  AdamW with the embeddings' gradients zeroed (block0: block 0's qkv too)
//   NSGD=eta  train with normalized gradient ascent, theta += eta * g / |g|, instead of AdamW
//   PROBE=1   no training: one GRPO gradient g on the first PB [256] pool problems, then the
//            mean reward of 64 fresh rollouts per problem (same problems) and of 16 per test
//            problem, and greedy test accuracy, at theta + eta * g / |g| for several eta; also
//            each tensor's share of |g|^2
//   POOL [4096], NOISE label noise [0.2], LOW low-utility share [0.1], TEST problems [2048]
//   SEED of the curriculum draws [1], TASKSEED of the pool, validation and test problems [1]
//
// Every epoch takes BUDGET x PASSES / BATCH steps, whatever the mode (as `demo --compare`).
import Foundation
import SievePolicy

let env = ProcessInfo.processInfo.environment
func number(_ key: String, _ fallback: Double) -> Double { env[key].flatMap(Double.init) ?? fallback }
let checkpoint = env["CKPT"] ?? "warm.ckpt"
let learningRate = Float(number("LR", 1e-4)), batch = Int(number("BATCH", 32)), rollouts = Int(number("G", 8))
let poolSize = Int(number("POOL", 4096)), testSize = Int(number("TEST", 2048))
let tasks = TaskConfig(seed: UInt64(number("TASKSEED", 1)), labelNoise: number("NOISE", 0.2), lowUtilityShare: number("LOW", 0.1))

let policy: Policy
if env["WARM"] != nil {
    var recipe = WarmUpRecipe.standard
    recipe.problems = 0..<Int(number("WPROBLEMS", 20_000))
    recipe.steps = Int(number("WSTEPS", 2000))
    recipe.learningRate = Float(number("WLR", 3e-3))
    if let width = env["WIDTH"].flatMap(Int.init) { recipe.config.width = width }
    if let layers = env["LAYERS"].flatMap(Int.init) { recipe.config.layers = layers }
    let started = Date()
    policy = recipe.run(threads: 2)
    try policy.save(to: checkpoint)
    print("warm-up \(Int(Date().timeIntervalSince(started))) s -> \(checkpoint)")
} else {
    policy = try Policy.load(from: checkpoint)
}
if env["EVALONLY"] != nil {
    let test = ArithmeticTasks.problems(.test, 0..<1000, config: .clean)
    print("tiers", Evaluation.accuracyByTier(policy: policy, problems: test).map { String(format: "%.2f", $0) },
          String(format: "all %.3f", Evaluation.accuracy(policy: policy, problems: test)))
    exit(0)
}

let test = ArithmeticTasks.problems(.test, 0..<testSize, config: tasks)
let pool = ArithmeticTasks.problems(.train, 0..<poolSize, config: tasks)
func report(_ step: Int, _ reward: Double) {
    let tiers = Evaluation.accuracyByTier(policy: policy, problems: test).map { String(format: "%.2f", $0) }.joined(separator: " ")
    let sampled = GRPO.meanReward(policy: policy, problems: Array(test.prefix(256)), rollouts: 8, seed: 99, epoch: 0, threads: 2)
    print(String(format: "step %4d  train reward %.3f  greedy %.4f  sampled %.3f  tiers %@", step, reward,
                 Evaluation.accuracy(policy: policy, problems: test), sampled, tiers))
    fflush(stdout)
}

struct Draws: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}

if env["PROBE"] != nil {
    // Is the GRPO gradient an ascent direction? One gradient on a batch, then the mean reward of
    // 64 fresh rollouts per problem at theta + eta * g / |g|, on the same batch and on test problems.
    let batchProblems = Array(pool.prefix(Int(number("PB", 256))))
    var g = [Float](repeating: 0, count: policy.parameters.count)
    GRPO.gradientSum(policy: policy, problems: batchProblems, rollouts: 8, seed: 7, epoch: 1, into: &g, threads: 2)
    let norm = l2(g)
    let start = policy.parameters
    for (name, range) in ParameterLayout(policy.config).namedTensors {
        let gn = range.reduce(0.0) { $0 + Double(g[$1]) * Double(g[$1]) }.squareRoot()
        let pn = range.reduce(0.0) { $0 + Double(start[$1]) * Double(start[$1]) }.squareRoot()
        print(String(format: "  %-36@ n %6d  |g| %.4f (%.1f%%)  |theta| %.2f", name, range.count, gn, 100 * gn * gn / Double(norm * norm), pn))
    }
    let probeTest = Array(test.prefix(512))
    for eta in [-0.3, -0.1, 0, 0.03, 0.1, 0.3, 1.0] {
        for i in start.indices { policy.parameters[i] = start[i] + Float(eta) * g[i] / norm }
        let onBatch = GRPO.meanReward(policy: policy, problems: batchProblems, rollouts: 64, seed: 11, epoch: 0, threads: 2)
        let onTest = GRPO.meanReward(policy: policy, problems: probeTest, rollouts: 16, seed: 11, epoch: 0, threads: 2)
        print(String(format: "eta %5.2f  batch reward %.4f  test sampled %.4f  greedy %.4f", eta, onBatch, onTest,
                     Evaluation.accuracy(policy: policy, problems: probeTest)))
        fflush(stdout)
    }
    exit(0)
}
if env["OVERLAP"] != nil {
    // how many test problems' questions also appear in the pool (and in the warm-up problems), per tier
    let poolQuestions = Set(pool.map(\.prompt))
    let warm = WarmUpRecipe.standard
    var clean = warm.tasks; clean.labelNoise = 0; clean.lowUtilityShare = 0
    let warmQuestions = Set(ArithmeticTasks.problems(.train, warm.problems, config: clean).map(\.prompt))
    for tier in 0..<5 {
        let inTier = test.filter { $0.tier == tier }
        print("tier \(tier): \(inTier.count) test problems, \(inTier.filter { poolQuestions.contains($0.prompt) }.count) in the pool, "
              + "\(inTier.filter { warmQuestions.contains($0.prompt) }.count) in the warm-up problems, \(Set(inTier.map(\.prompt)).count) distinct")
    }
    exit(0)
}
/// The Euclidean norm of a gradient, accumulated in Double.
func l2(_ g: [Float]) -> Float { Float(g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()) }

let mode = env["MODE"] ?? "full"
let budget = Int(number("BUDGET", 256)), epochs = Int(number("EPOCHS", 4)), passes = Int(number("PASSES", 4))
let dimension = Int(number("PROJ", 256))
var draws = Draws(state: UInt64(number("SEED", 1)) &* 0x9E37_79B9_7F4A_7C15 | 1)
var optimizer = AdamW(parameterCount: policy.parameters.count, learningRate: learningRate, beta2: Float(number("B2", 0.999)),
                      epsilon: Float(number("EPS", 1e-8)), weightDecay: Float(number("WD", 0)))
let stepsPerEpoch = (budget * passes + batch - 1) / batch
let ramp = number("RAMP", 0)
let normalizedStep = env["NSGD"].map { _ in Float(number("NSGD", 0.03)) }
let frozen: [Range<Int>] = {
    guard let which = env["FREEZE"] else { return [] }  // emb: both embeddings; block0: also block 0's qkv
    let layout = ParameterLayout(policy.config)
    let embeddings = [layout.tokenEmbedding, layout.positionEmbedding]
    return which == "block0" ? embeddings + [layout.blocks[0].qkvWeight, layout.blocks[0].qkvBias] : embeddings
}()
let customStep = normalizedStep != nil || !frozen.isEmpty
let started = Date()
var step = 0
report(0, 0)
for epoch in stride(from: 1, through: epochs, by: 1) {
    var curriculum = Array(0..<poolSize)
    curriculum.shuffle(using: &draws)
    switch mode {
    case "full":
        break
    case "random":
        curriculum = Array(curriculum.prefix(budget))
    case "band", "gradalign":
        let projection = GradientProjection(seed: 1, config: policy.config, outputDimension: dimension)
        let signals = GRPO.signals(policy: policy, problems: pool, rollouts: rollouts, seed: 5, epoch: UInt64(epoch),
                                   projection: projection, threads: 2)
        if mode == "band" {
            let mixed = curriculum.filter { signals[$0].success > 0 && signals[$0].success < 1 }
            curriculum = Array((mixed + curriculum.filter { !mixed.contains($0) }).prefix(budget))
        } else {
            let validation = ArithmeticTasks.problems(.validation, 0..<128, config: tasks)
            var reference = [Double](repeating: 0, count: dimension)
            if env["PRECOND"] != nil {
                // GradAlign's use_optimizer / LESS: the first-order change of validation reward under an
                // Adam step along g_i is <g_val / s, g_i>, s = sqrt(v_hat) + eps.
                var full = [Float](repeating: 0, count: policy.parameters.count)
                var squares = [Double](repeating: 0, count: policy.parameters.count)
                for v in validation {
                    var one = [Float](repeating: 0, count: policy.parameters.count)
                    GRPO.gradientSum(policy: policy, problems: [v], rollouts: rollouts, seed: 5, epoch: UInt64(epoch), into: &one, threads: 2)
                    for i in one.indices { full[i] += one[i]; squares[i] += Double(one[i]) * Double(one[i]) }
                }
                let scale: [Float]
                if let s = optimizer.stepScale, env["PRECOND"] != "est" {
                    scale = s
                } else {
                    // before any step: Adam's v of a batch mean, estimated from the validation gradients
                    let n = Double(validation.count), b = Double(batch)
                    scale = full.indices.map { i in
                        let mean = Double(full[i]) / n
                        return Float((mean * mean + (squares[i] / n - mean * mean) / b).squareRoot()) + 1e-8
                    }
                }
                for i in full.indices { full[i] /= scale[i] }
                let projected = projection.project(full)
                for k in 0..<dimension { reference[k] = Double(projected[k]) }
            } else {
            for g in GRPO.validationGradients(policy: policy, problems: validation, rollouts: rollouts, seed: 5,
                                              epoch: UInt64(epoch), projection: projection, threads: 2) {
                for k in 0..<dimension { reference[k] += Double(g[k]) }
            }
            }
            let score = signals.map { s -> Double in
                var dot = 0.0, norm = 0.0
                for k in 0..<dimension {
                    dot += Double(s.projectedGradient[k]) * reference[k]
                    norm += Double(s.projectedGradient[k]) * Double(s.projectedGradient[k])
                }
                return norm > 0 ? dot / norm.squareRoot() : -.infinity
            }
            curriculum = Array((0..<poolSize).sorted { score[$0] > score[$1] || (score[$0] == score[$1] && $0 < $1) }.prefix(budget))
        }
        let tiers = curriculum.map { pool[$0].tier }
        print("  epoch \(epoch) curriculum by tier (low-utility, 0...4):", (-1...4).map { t in tiers.filter { $0 == t }.count },
              "noisy labels:", curriculum.filter { pool[$0].answer != pool[$0].trueAnswer }.count)
    default:
        fatalError("MODE must be full, random, band or gradalign")
    }
    var rewardSum = 0.0
    for k in 0..<stepsPerEpoch {
        step += 1
        if ramp > 0 { optimizer.learningRate = learningRate * Float(min(1, Double(step) / ramp)) }
        let problems = (k * batch..<(k + 1) * batch).map { pool[curriculum[$0 % curriculum.count]] }
        guard customStep else {
            rewardSum += GRPO.trainStep(policy: policy, problems: problems, rollouts: rollouts, seed: 7,
                                        epoch: UInt64(step), optimizer: &optimizer, threads: 2)
            continue
        }
        var g = [Float](repeating: 0, count: policy.parameters.count)
        let (sum, count) = GRPO.gradientSum(policy: policy, problems: problems, rollouts: rollouts, seed: 7,
                                            epoch: UInt64(step), into: &g, threads: 2)
        rewardSum += sum / Double(count)
        if let eta = normalizedStep {
            // normalized gradient ascent: theta += eta * g / |g|
            let norm = l2(g)
            if norm > 0 { for i in g.indices { policy.parameters[i] += eta * g[i] / norm } }
        } else {
            // AdamW on the batch mean with the frozen tensors' gradients zeroed
            for r in frozen { for i in r { g[i] = 0 } }
            for i in g.indices { g[i] /= Float(problems.count) }
            optimizer.ascend(parameters: &policy.parameters, direction: g)
        }
    }
    report(step, rewardSum / Double(stepsPerEpoch))
}
print("seconds \(Int(Date().timeIntervalSince(started)))")
