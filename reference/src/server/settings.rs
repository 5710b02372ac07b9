//! What users set about their notifications: do-not-disturb per conversation, each
//! install's icon badge, and the user's offline-push rule. All are durable (they survive a
//! restart).
//!
//! Reference policy (docs/policies.md): ZEGO keeps the badge on the ZPNs server; zimsim's
//! SDK reports it through its ZIM session, and the server keeps it per PushID (one per
//! install), next to the binding. A badge never goes below zero: a negative report is
//! refused (6000001), and counts saturate instead of wrapping.

use super::sessions::Install;
use super::{remove_indexed, ServerEvent, ZimServer};
use crate::error::ZimErrorCode;
use crate::ids::{ConnId, ConvKey, UserId};
use crate::pushid::PushId;
use crate::small::VecSet;
use crate::wire::{NotificationStatus, OfflinePushRule, ServerFrame};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub(super) struct Settings {
    /// user -> muted conversations: looked up per recipient on the push path without
    /// cloning a key.
    muted: BTreeMap<UserId, VecSet<ConvKey>>,
    badges: BTreeMap<PushId, u32>,
    push_rules: BTreeMap<UserId, OfflinePushRule>,
}

impl Settings {
    pub(super) fn is_muted(&self, user: &UserId, conv: &ConvKey) -> bool {
        self.muted.get(user).is_some_and(|convs| convs.contains(conv))
    }

    pub(super) fn push_rule(&self, user: &UserId) -> Option<&OfflinePushRule> {
        self.push_rules.get(user)
    }

    /// Adds `increment` to the install's badge and returns the new count (a mutant's
    /// `forget` keeps only the increment).
    pub(super) fn add_to_badge(&mut self, push_id: &PushId, increment: u32, forget: bool) -> u32 {
        let badge = self.badges.entry(push_id.clone()).or_default();
        *badge = if forget { increment } else { badge.saturating_add(increment) };
        *badge
    }
}

impl ZimServer {
    pub(super) fn set_notification_status(
        &mut self,
        conn: ConnId,
        req: u64,
        user: &UserId,
        conv: ConvKey,
        status: NotificationStatus,
    ) {
        match status {
            NotificationStatus::DoNotDisturb => {
                self.settings.muted.entry(user.clone()).or_default().insert(conv.clone());
            }
            NotificationStatus::Notify => remove_indexed(&mut self.settings.muted, user, &conv),
        }
        self.out.event(ServerEvent::NotificationStatusSet { user: user.clone(), conv, status });
        self.out.frame(conn, ServerFrame::SettingOk { req });
    }

    /// `setBadge`: the badge of every PushID the session's install bound for the user.
    pub(super) fn set_badge(&mut self, conn: ConnId, req: u64, at: &Install, badge: i64) {
        let Ok(badge) = u32::try_from(badge) else {
            let why = format!("badge {badge} must be between 0 and {}", u32::MAX);
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        };
        for push_id in self.bindings.of_device(&at.user, &at.device) {
            self.settings.badges.insert(push_id.clone(), badge);
            self.out.event(ServerEvent::BadgeSet { user: at.user.clone(), push_id, badge });
        }
        self.out.frame(conn, ServerFrame::SettingOk { req });
    }

    /// `updateUserOfflinePushRule`: replaces the user's rule (an empty one removes it) and
    /// tells the user's other sessions.
    pub(super) fn set_push_rule(&mut self, conn: ConnId, req: u64, user: &UserId, rule: OfflinePushRule) {
        if rule == OfflinePushRule::default() {
            self.settings.push_rules.remove(user);
        } else {
            self.settings.push_rules.insert(user.clone(), rule.clone());
        }
        self.out.event(ServerEvent::PushRuleSet { user: user.clone(), rule: rule.clone() });
        self.out.frame(conn, ServerFrame::SettingOk { req });
        let others: Vec<ConnId> = self.sessions.of(user).filter_map(|(_, s)| s.conn).filter(|c| *c != conn).collect();
        for c in others {
            self.out.frame(c, ServerFrame::UserRuleUpdated { rule: rule.clone() });
        }
    }
}
