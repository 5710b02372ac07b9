//! Simulated time as the cores see it. Cores never read a clock: every input carries `now`.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// Milliseconds since the simulation epoch (or since process start on real sockets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

/// The simulation epoch, 2026-01-01T00:00:00Z, in unix milliseconds: simulated time 0.
/// Fixed, so unix times derived from it (token expiries, vendor expirations) reproduce.
pub const SIM_EPOCH_UNIX_MS: u64 = 1_767_225_600_000;

impl Millis {
    pub const ZERO: Millis = Millis(0);

    /// This moment in unix seconds, given the unix time (ms) of `Millis::ZERO`.
    pub fn unix_s(self, epoch_unix_ms: u64) -> i64 {
        (epoch_unix_ms.saturating_add(self.0) / 1000) as i64
    }

    /// The moment of unix second `unix_s`, given the unix time (ms) of `Millis::ZERO`
    /// (`ZERO` if it is earlier).
    pub fn from_unix_s(unix_s: i64, epoch_unix_ms: u64) -> Millis {
        Millis((unix_s.max(0) as u64).saturating_mul(1000).saturating_sub(epoch_unix_ms))
    }

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

/// A limit of so many events in any one second (ZIM's sends per client, the REST API's
/// calls per action): the moments of the events of the last second.
#[derive(Clone, Debug, Default)]
pub struct PerSecond(VecDeque<Millis>);

impl PerSecond {
    /// Whether one more event at `now` stays within `limit` in any second; counts it if so.
    pub fn allow(&mut self, now: Millis, limit: usize) -> bool {
        while self.0.front().is_some_and(|t| now.since(*t) >= 1_000) {
            self.0.pop_front();
        }
        if self.0.len() >= limit {
            return false;
        }
        self.0.push_back(now);
        true
    }
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
