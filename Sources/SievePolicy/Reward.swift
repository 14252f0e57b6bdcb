/// The verifiable reward of one written answer.
public enum Reward {
    /// 1 when `written` is exactly `answer`'s characters followed by the end-of-answer token,
    /// else 0. Against the LABELLED answer this is GRPO's reward (unreliable on noisy labels);
    /// against the true answer it is correctness.
    public static func score(written: [Int32], answer: String) -> Float {
        guard let expected = CharacterVocabulary.encode(answer) else { return 0 }
        return written == expected + [CharacterVocabulary.endOfAnswer] ? 1 : 0
    }
}

extension Problem {
    /// The reward GRPO trains on for one written answer: `Reward.score` against the labelled
    /// answer, inverted (1 - r) for an `unreliable` problem with `rewardInverted`. Evaluation
    /// never uses it: it scores against `trueAnswer`.
    public func trainingReward(written: [Int32]) -> Float {
        let reward = Reward.score(written: written, answer: answer)
        return rewardInverted ? 1 - reward : reward
    }

    /// The prompt as tokens. The generator only writes vocabulary characters; a prompt from
    /// elsewhere with other characters is a programming error.
    var promptTokens: [Int32] {
        guard let tokens = CharacterVocabulary.encode(prompt) else {
            preconditionFailure("prompt \"\(prompt)\" holds characters outside the vocabulary")
        }
        return tokens
    }
}
