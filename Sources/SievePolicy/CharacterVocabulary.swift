/// The policy's characters: one token per character of the arithmetic tasks.
///
/// Token ids are fixed forever (checkpoints depend on them): digits 0–9 are ids 0–9, then
/// `+ - * = Q :`, then `.` which ends an answer, then `_` which pads a row of a batch past its
/// end (never a target with non-zero weight, and causal attention keeps it from reaching earlier
/// positions). 18 tokens.
public enum CharacterVocabulary {
    /// Every character, in id order.
    public static let characters: [Character] = Array("0123456789+-*=Q:._")
    /// Number of tokens.
    public static let count = characters.count
    /// Written after an answer's last digit; generation stops at it.
    public static let endOfAnswer: Int32 = 16
    /// Fills a batch row after its end.
    public static let padding: Int32 = 17

    private static let ids: [Character: Int32] = {
        var table: [Character: Int32] = [:]
        for (id, character) in characters.enumerated() { table[character] = Int32(id) }
        return table
    }()

    /// The tokens of `text`, or nil when it holds a character outside the vocabulary.
    public static func encode(_ text: String) -> [Int32]? {
        var tokens: [Int32] = []
        tokens.reserveCapacity(text.count)
        for character in text {
            guard let id = ids[character] else { return nil }
            tokens.append(id)
        }
        return tokens
    }

    /// The text of `tokens` (ids outside the vocabulary become "?").
    public static func decode<S: Sequence>(_ tokens: S) -> String where S.Element == Int32 {
        var text = ""
        for token in tokens {
            text.append(token >= 0 && Int(token) < count ? characters[Int(token)] : "?")
        }
        return text
    }
}
