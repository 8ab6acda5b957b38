//! `check --shard I/N`: which targets belong to shard I of N. A target's shard comes from a
//! stable hash of its id (64-bit FNV-1a of the id's UTF-8 bytes), the same on every machine and
//! in every release, so N runners that each take one shard cover every target exactly once and
//! never write the same file.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Shard `index` of `count` (1 ≤ index ≤ count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Why a `--shard` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected I/N, two whole numbers such as 2/4")]
    Shape,
    #[error("the number of shards must be at least 1")]
    NoShards,
    #[error("shard {index} does not exist: shards are numbered 1 to {count}")]
    OutOfRange { index: u32, count: u32 },
    /// The single state file of an earlier release: only a run over every target may migrate
    /// and remove it, and a shard writes no other shard's files.
    #[error("{} holds the alert state of an earlier release, which only a run over every target migrates\n  help: run `policy-watch check` once without --shard, then split the runs", path.display())]
    Unmigrated { path: PathBuf },
}

impl Shard {
    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index == 0 || index > count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether the target `id` belongs to this shard.
    pub fn holds(&self, id: &str) -> bool {
        of(id, self.count) == self.index
    }

    /// Whether this shard is only a part of the targets (`1/1` is all of them).
    pub fn is_part(&self) -> bool {
        self.count > 1
    }
}

/// The shard (1..=count) that the target `id` belongs to when there are `count` shards.
pub fn of(id: &str, count: u32) -> u32 {
    (fnv1a(id.as_bytes()) % u64::from(count.max(1))) as u32 + 1
}

/// 64-bit FNV-1a: small, fixed by its definition, and well spread over short ids.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (i, n) = s.split_once('/').ok_or(ShardError::Shape)?;
        let number = |t: &str| {
            // Digits only: no sign, no blank, no `+1`.
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ShardError::Shape);
            }
            t.parse::<u32>().map_err(|_| ShardError::Shape)
        };
        Shard::new(number(i)?, number(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_as_published() {
        // The reference values of the FNV-1a 64-bit definition: the shard of an id may never
        // change between releases or machines.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_id_is_in_exactly_one_shard() {
        for count in 1..=7 {
            let shards: Vec<Shard> = (1..=count).map(|i| Shard::new(i, count).unwrap()).collect();
            for n in 0..500 {
                let id = format!("vendor-{n}-privacy");
                assert_eq!(shards.iter().filter(|s| s.holds(&id)).count(), 1, "{id}");
            }
        }
    }

    #[test]
    fn ids_spread_over_the_shards() {
        let mut counts = [0u32; 4];
        for n in 0..4000 {
            counts[of(&format!("target-{n}"), 4) as usize - 1] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..=1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        assert_eq!("2/4".parse::<Shard>().unwrap().to_string(), "2/4");
        assert_eq!("1/1".parse::<Shard>(), Shard::new(1, 1));
        for bad in [
            "", "1", "1/", "/2", "a/b", "1/2/3", "-1/2", "+1/2", " 1/2", "1.0/2",
        ] {
            assert_eq!(bad.parse::<Shard>(), Err(ShardError::Shape), "{bad:?}");
        }
        assert_eq!(
            "0/3".parse::<Shard>(),
            Err(ShardError::OutOfRange { index: 0, count: 3 })
        );
        assert_eq!(
            "4/3".parse::<Shard>(),
            Err(ShardError::OutOfRange { index: 4, count: 3 })
        );
        assert_eq!("1/0".parse::<Shard>(), Err(ShardError::NoShards));
        assert_eq!("1/99999999999".parse::<Shard>(), Err(ShardError::Shape));
    }
}
