//! The fuzzer's inputs: a small deterministic generator (xorshift, so that a seed replays) and
//! mutations of seed files — bytes flipped, inserted, deleted, repeated and spliced, and the
//! tokens of the format under test dropped in (nesting, huge numbers, odd dates, `..`, links).

/// xorshift64*: enough for picking mutations, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Tokens worth dropping into any text format.
const COMMON: &[&str] = &[
    "\0",
    "\u{feff}",
    "\u{202e}",
    "\x1b[31m",
    "\r\n",
    "\\",
    "\"",
    "'",
    "../",
    "/etc/passwd",
    "%00",
    "-1",
    "0",
    "18446744073709551616",
    "-9223372036854775809",
    "1e999",
    "NaN",
    "9999-12-31T23:59:59Z",
    "-009999-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2025-06-01T00:00:00Z",
    "\u{10ffff}",
    "😀",
];

/// Mutates `data` in place: one to a few mutations, with `dict` (the format's own tokens) as
/// well as [`COMMON`] to splice in. The result stays within `max` bytes.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, dict: &[&str], others: &[Vec<u8>], max: usize) {
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(11) {
            0 if len > 0 => {
                // Flip a bit.
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                // An interesting byte.
                let i = rng.below(len);
                data[i] = *rng.pick(&[0u8, 0xff, 0x7f, 0x80, b'"', b'{', b'[', b'<', b'>', b'\n']);
            }
            2 if len > 0 => {
                // Delete a range.
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                data.drain(at..at + n);
            }
            3 if len > 0 => {
                // Repeat a range (deep nesting, long runs).
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(32));
                let piece = data[at..at + n].to_vec();
                let most = if rng.chance(8) { 2000 } else { 8 };
                let times = 1 + rng.below(most);
                let mut rep = Vec::with_capacity(piece.len() * times);
                for _ in 0..times {
                    rep.extend_from_slice(&piece);
                }
                data.splice(at..at, rep);
            }
            4..=6 => {
                // A token of the format.
                let tok = if dict.is_empty() || rng.chance(3) {
                    rng.pick(COMMON)
                } else {
                    rng.pick(dict)
                };
                let at = rng.below(len + 1);
                data.splice(at..at, tok.bytes());
            }
            7 if len > 0 => {
                // Replace a range with a token (a value swapped for another).
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(16));
                let tok = rng.pick(if dict.is_empty() { COMMON } else { dict });
                data.splice(at..at + n, tok.bytes());
            }
            8 if !others.is_empty() => {
                // Splice in a piece of another seed.
                let other = rng.pick(others);
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - from).min(256));
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            9 if len > 1 => {
                // Truncate: a transfer cut short, a file half written.
                data.truncate(rng.below(len));
            }
            _ => {
                // A run of random bytes.
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
        }
        if data.len() > max {
            data.truncate(max);
        }
    }
}
