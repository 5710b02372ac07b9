//! The SDK's local database: per-user read positions with gap tracking, seen message IDs,
//! the pending logout and whose login last left the device. It is what survives an app kill
//! (`ClientSdk::persisted`).

use super::*;

/// Per-conversation read position with gap tracking: `contiguous` is the highest seq such
/// that every seq up to it is held; `ahead` holds seqs received beyond a gap. Sync always
/// restarts from `contiguous`, so a message that arrives out of order never hides a gap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ConvCursor {
    pub(super) contiguous: u64,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(super) ahead: BTreeSet<u64>,
}

impl ConvCursor {
    pub(super) fn mark(&mut self, seq: u64) {
        if seq <= self.contiguous {
            return;
        }
        self.ahead.insert(seq);
        while self.ahead.remove(&(self.contiguous + 1)) {
            self.contiguous += 1;
        }
    }
}

/// The SDK's local database: what survives an app kill.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LocalStore {
    /// Per user (an install can be shared by several accounts over time).
    pub(super) users: BTreeMap<UserId, UserStore>,
    /// A logout the app asked for that the server has not confirmed yet. Kept on disk so
    /// that an app killed before the server heard it (or offline until then) completes it
    /// on its next launch, before anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pending_logout: Option<PendingLogout>,
    /// Whose login last left for the server from here (it may have been accepted even if the
    /// app never heard back), until a logout or kick-out ends it: whose binding the server
    /// may hold, and while the app runs, the only user whose notifications it is handed (one
    /// install serves one user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_login: Option<UserId>,
    /// The messages the app was last told of by a notification callback, oldest first (at
    /// most [`NOTIFIED_KEPT`]): a vendor's redelivery or a relay's retry raises none again.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub(super) notified: VecDeque<MessageId>,
}

/// How many notified message IDs the store keeps: duplicates arrive within a relay's retry
/// deadline or a vendor's redelivery, long before this many newer notifications.
pub(super) const NOTIFIED_KEPT: usize = 256;

impl LocalStore {
    /// Records that the app was told of `id`; false if it already was.
    pub(super) fn notify_once(&mut self, id: MessageId) -> bool {
        if self.notified.contains(&id) {
            return false;
        }
        if self.notified.len() == NOTIFIED_KEPT {
            self.notified.pop_front();
        }
        self.notified.push_back(id);
        true
    }
}

/// The session a pending logout must end; its token gets the session needed to say so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PendingLogout {
    pub(super) user: UserId,
    pub(super) token: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct UserStore {
    #[serde(with = "cursor_pairs")]
    pub(super) cursors: BTreeMap<ConvKey, ConvCursor>,
    pub(super) seen: BTreeSet<MessageId>,
}

/// JSON object keys must be strings and a [`ConvKey`] is a tagged struct, so the cursors are
/// stored as a list of `[conv, cursor]` pairs (as a map, `persisted()` could not serialize).
mod cursor_pairs {
    use super::{BTreeMap, ConvCursor, ConvKey};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(map: &BTreeMap<ConvKey, ConvCursor>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<ConvKey, ConvCursor>, D::Error> {
        Ok(Vec::<(ConvKey, ConvCursor)>::deserialize(d)?.into_iter().collect())
    }
}

impl UserStore {
    /// Records a message; true if it is new to this install.
    pub(super) fn admit(&mut self, m: &Message) -> bool {
        // Room and command messages have no place in a sequence: nothing to sync them by.
        if m.is_stored() {
            self.cursors.entry(m.conv.clone()).or_default().mark(m.seq);
        }
        self.seen.insert(m.id)
    }

    pub(super) fn cursors(&self) -> Vec<Cursor> {
        self.cursors.iter().map(|(conv, c)| Cursor { conv: conv.clone(), seq: c.contiguous }).collect()
    }
}
