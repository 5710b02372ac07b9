//! Simulated time as the cores see it. Cores never read a clock: every input carries `now`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the simulation epoch (or since process start on real sockets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    pub const ZERO: Millis = Millis(0);

    /// `self + ms`, saturating (a deadline "never" is `u64::MAX`).
    pub fn plus(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// Derives an independent, stable seed for one named component from the run's master seed,
/// so adding a component never shifts the randomness of the others.
pub fn sub_seed(seed: u64, name: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(name.as_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("sha256 is 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_seeds_are_stable_and_independent() {
        assert_eq!(sub_seed(1, "apns"), sub_seed(1, "apns"));
        assert_ne!(sub_seed(1, "apns"), sub_seed(1, "fcm"));
        assert_ne!(sub_seed(1, "apns"), sub_seed(2, "apns"));
    }

    #[test]
    fn millis_display_reads_as_seconds() {
        assert_eq!(Millis(12_345).to_string(), "12.345s");
        assert_eq!(Millis(u64::MAX).plus(1), Millis(u64::MAX));
    }
}
