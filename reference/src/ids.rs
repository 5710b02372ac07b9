//! Identifiers shared by every part of the system, and the validation rules ZIM documents
//! for them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// The text is shared (`Arc<str>`): an ID is copied into every index, event and push
        /// that names it, and a copy is a reference count, not an allocation.
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(SharedStr).map(Self)
            }
        }

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(Arc::from(s.into()))
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
                Self(Arc::from(s))
            }
        }
    };
}

/// Reads an ID's text straight into its shared allocation (serde's own `Arc<str>` reads
/// a `Box<str>` first and copies it).
struct SharedStr;

impl serde::de::Visitor<'_> for SharedStr {
    type Value = Arc<str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Arc<str>, E> {
        Ok(Arc::from(v))
    }
}

string_id!(
    /// A ZIM user ID: at most 32 bytes of `[0-9A-Za-z]` and the documented symbols.
    UserId
);
string_id!(
    /// A simulated handset. Stable across app kills and reinstalls (it is the hardware).
    DeviceId
);
string_id!(
    /// A ZIM group ID: at most 32 bytes of the user ID charset, never starting with `#`
    /// (IDs the server generates start with `#`).
    GroupId
);
string_id!(
    /// A ZIM room ID: at most 128 bytes of the user ID charset.
    RoomId
);

/// `ZIMConversationType`, with ZIM's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationType {
    #[default]
    Peer = 0,
    Room = 1,
    Group = 2,
}

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

/// A conversation, named the same way by every member (peer members are kept sorted).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConvKey {
    /// One-on-one chat between `a` and `b`, with `a < b`.
    Peer {
        a: UserId,
        b: UserId,
    },
    Group {
        id: GroupId,
    },
    Room {
        id: RoomId,
    },
}

impl ConvKey {
    /// The peer conversation between two users, whichever side names it.
    pub fn peer(x: &UserId, y: &UserId) -> ConvKey {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        ConvKey::Peer { a: a.clone(), b: b.clone() }
    }

    /// The conversation `sender` names `to` with `kind` (`toConversationID`,
    /// `conversationType`): for a peer chat, `to` is the other user.
    pub fn named(sender: &UserId, to: &str, kind: ConversationType) -> ConvKey {
        match kind {
            ConversationType::Peer => ConvKey::peer(sender, &UserId::from(to)),
            ConversationType::Group => ConvKey::Group { id: GroupId::from(to) },
            ConversationType::Room => ConvKey::Room { id: RoomId::from(to) },
        }
    }

    pub fn kind(&self) -> ConversationType {
        match self {
            ConvKey::Peer { .. } => ConversationType::Peer,
            ConvKey::Group { .. } => ConversationType::Group,
            ConvKey::Room { .. } => ConversationType::Room,
        }
    }

    /// The conversation's ID as `viewer` names it (`conversationID`): the other user of a
    /// peer chat, the group or room ID otherwise.
    pub fn id_for(&self, viewer: &UserId) -> &str {
        match self {
            ConvKey::Peer { a, b } => if a == viewer { b } else { a }.as_str(),
            ConvKey::Group { id } => id.as_str(),
            ConvKey::Room { id } => id.as_str(),
        }
    }

    /// Members of a peer chat who receive a message `sender` wrote there: the other one.
    /// (A chat with oneself has none; the server refuses to store one.) Group and room
    /// recipients are the server's to know: this says none.
    pub fn recipients(&self, sender: &UserId) -> Vec<UserId> {
        match self {
            ConvKey::Peer { a, b } => [a, b].into_iter().filter(|u| *u != sender).cloned().collect(),
            ConvKey::Group { .. } | ConvKey::Room { .. } => Vec::new(),
        }
    }

    /// Whether `user` is a member of this peer chat (groups and rooms: see the server).
    pub fn has_member(&self, user: &UserId) -> bool {
        match self {
            ConvKey::Peer { a, b } => a == user || b == user,
            ConvKey::Group { .. } | ConvKey::Room { .. } => false,
        }
    }
}

impl fmt::Display for ConvKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvKey::Peer { a, b } => write!(f, "peer({a},{b})"),
            ConvKey::Group { id } => write!(f, "group({id})"),
            ConvKey::Room { id } => write!(f, "room({id})"),
        }
    }
}

/// The symbols ZIM allows in user IDs besides ASCII letters and digits.
const USER_ID_SYMBOLS: &str = "!#$%&()+-:;<=.>?@[]^_{}|~";

/// Checks a user ID against ZIM's documented rule, naming what is wrong.
pub fn validate_user_id(id: &str) -> Result<(), String> {
    validate_id("userID", id, 32)
}

/// Checks a group ID: the user ID rule, and no leading `#` (the server's own IDs).
pub fn validate_group_id(id: &str) -> Result<(), String> {
    validate_id("groupID", id, 32)?;
    if id.starts_with('#') {
        return Err("groupID starts with '#', which only server-generated IDs do".into());
    }
    Ok(())
}

/// Checks a room ID (reference policy: the user ID charset, at most 128 bytes).
pub fn validate_room_id(id: &str) -> Result<(), String> {
    validate_id("roomID", id, 128)
}

fn validate_id(what: &str, id: &str, max: usize) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if id.len() > max {
        return Err(format!("{what} is {} bytes, the limit is {max}", id.len()));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || USER_ID_SYMBOLS.contains(*c))) {
        return Err(format!("{what} contains {c:?}, which ZIM does not allow"));
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
    fn group_ids_follow_the_user_id_rule_and_never_start_with_a_hash() {
        assert_eq!(validate_group_id("team-1"), Ok(()));
        assert_eq!(validate_group_id(&"g".repeat(32)), Ok(()));
        assert!(validate_group_id(&"g".repeat(33)).unwrap_err().contains("limit is 32"));
        assert!(validate_group_id("#abc").unwrap_err().contains("starts with '#'"));
        assert!(validate_group_id("a b").unwrap_err().contains("' '"));
        assert_eq!(validate_room_id(&"r".repeat(128)), Ok(()));
        assert!(validate_room_id(&"r".repeat(129)).is_err());
    }

    #[test]
    fn a_conversation_is_named_by_its_id_and_type_and_names_itself_back() {
        let (a, b) = (UserId::from("alice"), UserId::from("bob"));
        let peer = ConvKey::named(&a, "bob", ConversationType::Peer);
        assert_eq!(peer, ConvKey::peer(&b, &a));
        assert_eq!((peer.id_for(&a), peer.id_for(&b)), ("bob", "alice"));
        let group = ConvKey::named(&a, "team", ConversationType::Group);
        assert_eq!((group.kind(), group.id_for(&b)), (ConversationType::Group, "team"));
        assert_eq!(ConvKey::named(&a, "lobby", ConversationType::Room).to_string(), "room(lobby)");
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
