import XCTest
@testable import SieveCore
import SieveWire

/// GreeDi through the core: the candidates are split into parts fixed by the data, each part's
/// picks are checked (the right count, distinct, rows of that part only), and once every part is
/// in, the final greedy over their union is requested.
final class GreeDiCoreTests: XCTestCase {
    func makeCore() -> CoordinatorCore {
        let parameters = MethodParameters(budget: 2, diversity: true, poolFactor: 2, partitions: 2)
        let configuration = RunConfiguration(method: .random, parameters: parameters, epochs: 1, expectWorkers: 1, shardRows: 4,
                                             dataPath: "/d", runID: "g")
        return CoordinatorCore(configuration: configuration, shape: PoolShape(rows: 8, validationRows: 0, dimension: 2, fingerprint: 3))
    }

    func parts(_ directives: [CoordinatorDirective]) -> [PartAssignment] {
        directives.compactMap { if case let .send(_, .assignPart(p), _) = $0 { return p }; return nil }
    }

    func join(_ core: inout CoordinatorCore, _ id: ConnectionID) -> [CoordinatorDirective] {
        _ = core.handle(.connected(id, peer: "p\(id)"))
        _ = core.handle(.received(id, .hello(Hello(workerName: "w\(id)", productVersion: "t", slots: 4, dataPath: "")), requestID: 1))
        return core.handle(.received(id, .ready(Ready(fingerprint: 3, rows: 8, dimension: 2)), requestID: 0))
    }

    func testPartPicksAreCheckedAndTheFinalGreedyRunsOverTheirUnion() throws {
        var core = makeCore()
        let assigned = parts(join(&core, 1))
        XCTAssertEqual(assigned.count, 2, "4 candidates (budget 2 x pool factor 2) in 2 parts")
        let candidates = Set(assigned.flatMap(\.rows))
        XCTAssertEqual(candidates.count, 4)
        XCTAssertEqual(Set(assigned[0].rows).intersection(assigned[1].rows), [], "parts are disjoint")
        XCTAssertEqual(assigned.map(\.budget), [2, 2])

        // A row of the other part is refused, and the worker is closed; its part goes out again.
        let first = assigned[0], second = assigned[1]
        let foreign = core.handle(.received(1, .partPicks(PartPicks(epoch: 1, part: first.part, attempt: first.attempt,
                                                                      picks: [first.rows[0], second.rows[0]], value: 1)), requestID: 0))
        XCTAssertTrue(foreign.contains { if case let .send(1, .error(e), _) = $0 { return e.message.contains("distinct rows of the part") }; return false },
                      "\(foreign)")
        let again = parts(join(&core, 2))
        XCTAssertEqual(Set(again.map(\.part)), [first.part, second.part])
        // Duplicates are refused too.
        let retry = try XCTUnwrap(again.first { $0.part == first.part })
        let duplicate = core.handle(.received(2, .partPicks(PartPicks(epoch: 1, part: retry.part, attempt: retry.attempt,
                                                                        picks: [retry.rows[0], retry.rows[0]], value: 1)), requestID: 0))
        XCTAssertTrue(duplicate.contains { if case .send(2, .error, _) = $0 { return true }; return false })

        // Good picks for both parts: the final greedy is asked for over their union.
        let third = parts(join(&core, 3))
        var final: FinalGreedyRequest?
        for part in third {
            let out = core.handle(.received(3, .partPicks(PartPicks(epoch: 1, part: part.part, attempt: part.attempt,
                                                                     picks: Array(part.rows.prefix(2)), value: 1)), requestID: 0))
            for case let .finalGreedy(request) in out { final = request }
        }
        let request = try XCTUnwrap(final)
        let picked: [UInt64] = third.flatMap { Array($0.rows.prefix(2)) }
        XCTAssertEqual(Set(request.union.map { UInt64($0) }), Set(picked))
        XCTAssertEqual(Set(request.candidates.map { UInt64($0) }), candidates)
        XCTAssertEqual(request.budget, 2)
        XCTAssertNil(request.weights, "a pool on disk: no weights")
    }
}
