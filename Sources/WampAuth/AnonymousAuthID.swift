/// The authid the router gives an anonymous session, in the form of Crossbar's
/// `generate_serial_number()`: six groups of four characters from a 27-character alphabet
/// without look-alikes, e.g. `YRAC-EL4X-FQQE-AW4T-WNUV-VN6T` (at least 114 bits of entropy).
public enum AnonymousAuthID {
    static let alphabet = Array("345679ACEFGHJKLMNPQRSTUVWXY")

    public static func generate(random: AuthRandom) -> String {
        // Two random bytes per character: 65,536 mod 27 leaves a bias of 7 in 65,536, far below
        // anything an attacker could use, and no rejection loop that a bad source could stall.
        let bytes = random.bytes(48)
        var groups: [String] = []
        for group in 0..<6 {
            var characters: [Character] = []
            for position in 0..<4 {
                let index = (group * 4 + position) * 2
                let value = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                characters.append(alphabet[value % alphabet.count])
            }
            groups.append(String(characters))
        }
        return groups.joined(separator: "-")
    }
}
