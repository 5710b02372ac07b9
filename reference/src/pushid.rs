//! The PushID: ZPNs' handle for "this app install, through this vendor, in this environment".
//!
//! ZEGO does not document the format, so the reference picks one (docs/protocol.md):
//!
//! ```text
//! zp1.<vendor>.<environment>.<vendor token>
//! ```
//!
//! `zp1` is the format version; `vendor` is one of `apns fcm hms mi oppo vivo`;
//! `environment` is `development` (APNs sandbox / Android `enableDebug(true)`) or
//! `production`. The vendor token is the rest of the string, verbatim, so tokens that
//! contain dots survive. The relay routes by parsing it; nobody else needs to.

use crate::error::PushIdError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The push vendors ZPNs supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    Apns,
    Fcm,
    Hms,
    Mi,
    Oppo,
    Vivo,
}

impl Vendor {
    pub const ALL: [Vendor; 6] = [Vendor::Apns, Vendor::Fcm, Vendor::Hms, Vendor::Mi, Vendor::Oppo, Vendor::Vivo];

    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Apns => "apns",
            Vendor::Fcm => "fcm",
            Vendor::Hms => "hms",
            Vendor::Mi => "mi",
            Vendor::Oppo => "oppo",
            Vendor::Vivo => "vivo",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which credential set and endpoint a token belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// APNs sandbox; Android debug builds (`enableDebug(true)`).
    Development,
    /// APNs production; Android release builds.
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed PushID. Its string form (`Display` / `FromStr`) is what travels on the wire.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PushId {
    pub vendor: Vendor,
    pub env: Environment,
    pub token: String,
}

impl PushId {
    pub fn new(vendor: Vendor, env: Environment, token: impl Into<String>) -> PushId {
        PushId { vendor, env, token: token.into() }
    }
}

impl fmt::Display for PushId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "zp1.{}.{}.{}", self.vendor, self.env, self.token)
    }
}

impl FromStr for PushId {
    type Err = PushIdError;
    fn from_str(s: &str) -> Result<PushId, PushIdError> {
        let mut parts = s.splitn(4, '.');
        let version = parts.next().unwrap_or_default();
        let Some(v) = version.strip_prefix("zp") else {
            return Err(PushIdError::MissingPrefix);
        };
        if v != "1" {
            return Err(PushIdError::UnsupportedVersion(v.to_owned()));
        }
        let vendor = parts.next().unwrap_or_default();
        let vendor = Vendor::ALL
            .into_iter()
            .find(|x| x.as_str() == vendor)
            .ok_or_else(|| PushIdError::UnknownVendor(vendor.to_owned()))?;
        let env = match parts.next().unwrap_or_default() {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => return Err(PushIdError::UnknownEnvironment(other.to_owned())),
        };
        let token = parts.next().unwrap_or_default();
        if token.is_empty() {
            return Err(PushIdError::EmptyToken);
        }
        Ok(PushId::new(vendor, env, token))
    }
}

impl Serialize for PushId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PushId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PushId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_ids_round_trip_and_keep_dotted_tokens_whole() {
        let id = PushId::new(Vendor::Fcm, Environment::Production, "abc:APA91b.x.y");
        assert_eq!(id.to_string(), "zp1.fcm.production.abc:APA91b.x.y");
        assert_eq!(id.to_string().parse::<PushId>(), Ok(id));
    }

    #[test]
    fn malformed_push_ids_name_the_problem() {
        assert_eq!("abc".parse::<PushId>(), Err(PushIdError::MissingPrefix));
        assert_eq!("zp2.apns.production.t".parse::<PushId>(), Err(PushIdError::UnsupportedVersion("2".into())));
        assert_eq!("zp1.pigeon.production.t".parse::<PushId>(), Err(PushIdError::UnknownVendor("pigeon".into())));
        assert_eq!("zp1.apns.staging.t".parse::<PushId>(), Err(PushIdError::UnknownEnvironment("staging".into())));
        assert_eq!("zp1.apns.production".parse::<PushId>(), Err(PushIdError::EmptyToken));
    }
}
