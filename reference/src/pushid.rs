//! The PushID: ZPNs' handle for "this app install, through this vendor, in this environment".
//!
//! ZEGO does not document the format, so the reference picks one (docs/protocol.md):
//!
//! ```text
//! zp1.<vendor>.<environment>.<vendor token>          an alert token
//! zp1.apns.voip.<environment>.<PushKit token>        an iOS VoIP token
//! ```
//!
//! `zp1` is the format version; `vendor` is one of `apns fcm hms mi oppo vivo`;
//! `environment` is `development` (APNs sandbox / Android `enableDebug(true)`) or
//! `production`. The vendor token is the rest of the string, verbatim, so tokens that
//! contain dots survive. A `voip` segment after the vendor marks a PushKit (VoIP) token,
//! which only APNs issues; an alert PushID has none, so its form is unchanged. The relay
//! routes by parsing it (vendor, environment, and for APNs the push type and topic);
//! the server reads only its kind, to keep one binding of each kind per install.

use crate::error::PushIdError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

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

/// Which kind of device token a PushID carries: the ordinary one every vendor issues, or
/// the separate token iOS's PushKit gives an app for VoIP pushes (APNs only). APNs takes a
/// `voip` push only to a VoIP token on the `<bundle>.voip` topic, and any other push only
/// to an alert token on the bare bundle ID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    #[default]
    Alert,
    Voip,
}

impl TokenKind {
    /// For `skip_serializing_if`: the alert kind is left out, so records and frames of
    /// installs that never use VoIP read as they did before VoIP existed.
    pub fn is_alert(&self) -> bool {
        *self == TokenKind::Alert
    }
}

/// A parsed PushID. Its string form (`Display` / `FromStr`) is what travels on the wire.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PushId {
    pub vendor: Vendor,
    pub env: Environment,
    /// Shared, as IDs are: a PushID is copied into every index and push that names it.
    pub token: Arc<str>,
    /// Last, so that alert PushIDs keep the order they had before VoIP existed.
    pub kind: TokenKind,
}

impl PushId {
    /// The PushID of an alert token.
    pub fn new(vendor: Vendor, env: Environment, token: impl Into<String>) -> PushId {
        PushId { vendor, env, token: Arc::from(token.into()), kind: TokenKind::Alert }
    }

    /// The PushID of an iOS VoIP (PushKit) token, which only APNs issues.
    pub fn voip(env: Environment, token: impl Into<String>) -> PushId {
        PushId { kind: TokenKind::Voip, ..PushId::new(Vendor::Apns, env, token) }
    }

    pub fn is_voip(&self) -> bool {
        self.kind == TokenKind::Voip
    }
}

impl fmt::Display for PushId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TokenKind::Alert => write!(f, "zp1.{}.{}.{}", self.vendor, self.env, self.token),
            TokenKind::Voip => write!(f, "zp1.{}.voip.{}.{}", self.vendor, self.env, self.token),
        }
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
        let env = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default();
        // `voip` is no environment: it marks a VoIP token, and the environment follows.
        let (kind, env, token) = match env {
            "voip" => {
                let (env, token) = rest.split_once('.').unwrap_or((rest, ""));
                (TokenKind::Voip, env, token)
            }
            env => (TokenKind::Alert, env, rest),
        };
        let env = match env {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => return Err(PushIdError::UnknownEnvironment(other.to_owned())),
        };
        if kind == TokenKind::Voip && vendor != Vendor::Apns {
            return Err(PushIdError::VoipNotApns(vendor.as_str().to_owned()));
        }
        if token.is_empty() {
            return Err(PushIdError::EmptyToken);
        }
        Ok(PushId { kind, ..PushId::new(vendor, env, token) })
    }
}

impl Serialize for PushId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PushId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PushId, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = PushId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a PushID string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PushId, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Text)
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
        assert_eq!("zp1.apns.voip.production".parse::<PushId>(), Err(PushIdError::EmptyToken));
        assert_eq!("zp1.apns.voip.staging.t".parse::<PushId>(), Err(PushIdError::UnknownEnvironment("staging".into())));
        assert_eq!("zp1.fcm.voip.production.t".parse::<PushId>(), Err(PushIdError::VoipNotApns("fcm".into())));
    }

    #[test]
    fn a_voip_push_id_names_its_kind_after_the_vendor_and_an_alert_push_id_reads_as_before() {
        let voip = PushId::voip(Environment::Development, "ab12");
        assert_eq!(voip.to_string(), "zp1.apns.voip.development.ab12");
        assert_eq!(voip.to_string().parse::<PushId>(), Ok(voip.clone()));
        assert!(voip.is_voip());
        let alert = PushId::new(Vendor::Apns, Environment::Development, "ab12");
        assert_eq!(alert.to_string(), "zp1.apns.development.ab12");
        assert_eq!("zp1.apns.development.ab12".parse::<PushId>().map(|p| p.kind), Ok(TokenKind::Alert));
        assert_ne!(alert, voip, "the same token string of the other kind is another PushID");
    }
}
