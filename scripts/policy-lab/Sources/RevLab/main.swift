// The reversed-addition task in one process (docs/results.md): the warm-up's transition, and
// how held-out accuracy moves under GRPO on the mixed pool, on its clean target part alone, or
// on an oracle pick. Settings from the environment (defaults in brackets):
//
//   MODE      warm | grpo [grpo]
//   CKPT      checkpoint to write (warm) or read (grpo) [rev.ckpt]
//   warm:     WSTEPS [3000], WLR [3e-3], BAND low,high [0.2,0.35], SHARES target,easy,hard,distractor [2,1,0,2]
//   grpo:     ARM full | clean | noisyonly [full], STEPS [128], BATCH [32], LR [3e-4], G [8],
//             NOISE [0.2], PSHARES pool shares [4,1,1,2], EVAL every EVAL steps [32], TEST [1024],
//             TASKSEED [1]
import Foundation
import SievePolicy

let env = ProcessInfo.processInfo.environment
func number(_ key: String, _ fallback: Double) -> Double { env[key].flatMap(Double.init) ?? fallback }
func list(_ key: String, _ fallback: [Double]) -> [Double] { env[key].map { $0.split(separator: ",").compactMap { Double($0) } } ?? fallback }
let checkpoint = env["CKPT"] ?? "rev.ckpt"
let mode = env["MODE"] ?? "grpo"

func components(_ policy: Policy, _ problems: [Problem]) -> String {
    TaskComponent.allCases.map { c -> String in
        let part = problems.filter { $0.component == c }
        guard !part.isEmpty else { return "\(c.rawValue) -" }
        return String(format: "%@ %.2f", c.rawValue, Evaluation.accuracy(policy: policy, problems: part))
    }.joined(separator: "  ")
}

if mode == "warm" {
    var recipe = WarmUpRecipe.reversedAddition
    recipe.steps = Int(number("WSTEPS", 3000))
    recipe.learningRate = Float(number("WLR", 3e-3))
    recipe.policySeed = UInt64(number("PSEED", 1))
    recipe.tasks.componentShares = list("SHARES", [2, 1, 0, 2])
    let band = list("BAND", [0.2, 0.35])
    recipe.band = band[0]...band[1]
    recipe.checkEvery = Int(number("CHECK", 50))
    recipe.preSteps = Int(number("PRE", 0))
    recipe.preShares = list("PRESHARES", [0, 1, 0, 1])
    let started = Date()
    let outcome = recipe.train(threads: 2) { step, accuracy in
        print(String(format: "warm step %5d  validation greedy %.3f  %.0f s", step, accuracy, Date().timeIntervalSince(started)))
        fflush(stdout)
    }
    try outcome.policy.save(to: checkpoint)
    let pool = ArithmeticTasks.problems(.train, 0..<2000, config: TaskConfig(task: .reversedAddition, seed: 9, labelNoise: 0, componentShares: [1, 1, 1, 1]))
    print("stopped at \(outcome.steps) in band \(outcome.inBand); greedy by component:", components(outcome.policy, pool))
    exit(0)
}

let policy = try Policy.load(from: checkpoint)
let tasks = TaskConfig(task: .reversedAddition, seed: UInt64(number("TASKSEED", 1)), labelNoise: number("NOISE", 0.2),
                       componentShares: list("PSHARES", [4, 1, 1, 2]))
let test = ArithmeticTasks.problems(.test, 0..<Int(number("TEST", 1024)), config: tasks)
var pool = ArithmeticTasks.problems(.train, 0..<16384, config: tasks)
switch env["ARM"] ?? "full" {
case "clean": pool = pool.filter { $0.component == .target }
case "noisyonly": pool = pool.filter { $0.component == .unreliable }
default: break
}
let steps = Int(number("STEPS", 128)), batch = Int(number("BATCH", 32)), every = Int(number("EVAL", 32))
var optimizer = AdamW(parameterCount: policy.parameters.count, learningRate: Float(number("LR", 3e-4)))
func report(_ step: Int, _ reward: Double) {
    let sampled = Evaluation.sampledCorrect(policy: policy, problems: test, samples: 8, seed: 99, threads: 2)
    let byTier = Evaluation.accuracyByTier(policy: policy, problems: test).prefix(4).map { String(format: "%.2f", $0) }.joined(separator: " ")
    print(String(format: "step %4d  train reward %.3f  test greedy %.3f  sampled %.3f  carries %@", step, reward,
                 Evaluation.accuracy(policy: policy, problems: test), Double(sampled.reduce(0, +)) / Double(test.count * 8), byTier))
    fflush(stdout)
}
let started = Date()
report(0, 0)
var rewards = 0.0
for step in 0..<steps {
    let rows = (0..<batch).map { pool[(step * batch + $0) % pool.count] }
    rewards += GRPO.trainStep(policy: policy, problems: rows, rollouts: Int(number("G", 8)), seed: 7, epoch: UInt64(step), optimizer: &optimizer, threads: 2)
    if (step + 1) % every == 0 { report(step + 1, rewards / Double(every)); rewards = 0 }
}
print(String(format: "%.0f s", Date().timeIntervalSince(started)))
