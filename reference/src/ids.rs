//! Identifiers shared by every part of the system, and the validation rules ZIM documents
//! for them.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

string_id!(
    /// A ZIM user ID: at most 32 bytes of `[0-9A-Za-z]` and the documented symbols.
    UserId
);
string_id!(
    /// A simulated handset. Stable across app kills and reinstalls (it is the hardware).
    DeviceId
);

/// Server-assigned message ID, unique per server (non-zero once accepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub u64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// One client connection as the server shell numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u64);

/// A conversation, named the same way from both sides (peer members are kept sorted).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConvKey {
    /// One-on-one chat between `a` and `b`, with `a < b`.
    Peer { a: UserId, b: UserId },
}

impl ConvKey {
    /// The peer conversation between two users, whichever side names it.
    pub fn peer(x: &UserId, y: &UserId) -> ConvKey {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        ConvKey::Peer { a: a.clone(), b: b.clone() }
    }

    /// Members who receive a message sent by `sender` in this conversation: every member but
    /// the sender. (A conversation with oneself has none; the server refuses to store one.)
    pub fn recipients(&self, sender: &UserId) -> Vec<UserId> {
        match self {
            ConvKey::Peer { a, b } => [a, b].into_iter().filter(|u| *u != sender).cloned().collect(),
        }
    }

    pub fn has_member(&self, user: &UserId) -> bool {
        match self {
            ConvKey::Peer { a, b } => a == user || b == user,
        }
    }
}

impl fmt::Display for ConvKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvKey::Peer { a, b } => write!(f, "peer({a},{b})"),
        }
    }
}

/// The symbols ZIM allows in user IDs besides ASCII letters and digits.
const USER_ID_SYMBOLS: &str = "!#$%&()+-:;<=.>?@[]^_{}|~";

/// Checks a user ID against ZIM's documented rule, naming what is wrong.
pub fn validate_user_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("userID is empty".into());
    }
    if id.len() > 32 {
        return Err(format!("userID is {} bytes, the limit is 32", id.len()));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || USER_ID_SYMBOLS.contains(*c))) {
        return Err(format!("userID contains {c:?}, which ZIM does not allow"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_conversations_are_named_the_same_from_both_sides() {
        let (a, b) = (UserId::from("alice"), UserId::from("bob"));
        assert_eq!(ConvKey::peer(&a, &b), ConvKey::peer(&b, &a));
        assert_eq!(ConvKey::peer(&a, &b).recipients(&a), vec![b.clone()]);
        assert!(ConvKey::peer(&a, &b).has_member(&b));
    }

    #[test]
    fn the_sender_is_never_a_recipient_and_an_outsider_is_not_a_member() {
        let (a, b, c) = (UserId::from("alice"), UserId::from("bob"), UserId::from("carol"));
        let ab = ConvKey::peer(&a, &b);
        assert_eq!(ab.recipients(&b), vec![a.clone()]);
        assert_eq!(ab.recipients(&c), vec![a.clone(), b.clone()]);
        assert!(ab.has_member(&a));
        assert!(!ab.has_member(&c));
        assert_eq!(ConvKey::peer(&a, &a).recipients(&a), Vec::<UserId>::new());
    }

    #[test]
    fn a_peer_conversation_displays_its_members_in_order() {
        let conv = ConvKey::peer(&"zed".into(), &"amy".into());
        assert_eq!(conv.to_string(), "peer(amy,zed)");
    }

    #[test]
    fn a_user_id_of_exactly_32_bytes_is_allowed_and_33_is_not() {
        assert_eq!(validate_user_id(&"a".repeat(32)), Ok(()));
        assert_eq!(validate_user_id(&"a".repeat(33)), Err("userID is 33 bytes, the limit is 32".into()));
    }

    #[test]
    fn user_ids_follow_the_documented_charset_and_length() {
        assert!(validate_user_id("alice_01@x").is_ok());
        assert!(validate_user_id("").is_err());
        assert!(validate_user_id(&"a".repeat(33)).is_err());
        assert!(validate_user_id("has space").is_err());
        assert!(validate_user_id("é").is_err());
    }
}
