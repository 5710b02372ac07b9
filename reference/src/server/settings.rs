//! What users set about their notifications: do-not-disturb per conversation and each
//! install's icon badge. Both are durable (they survive a restart).
//!
//! Reference policy (docs/policies.md): ZEGO keeps the badge on the ZPNs server; zimsim's
//! SDK reports it through its ZIM session, and the server keeps it per PushID (one per
//! install), next to the binding. A badge never goes below zero: a negative report is
//! refused (6000001), and counts saturate instead of wrapping.

use super::{remove_indexed, ServerEvent, ZimServer};
use crate::error::ZimErrorCode;
use crate::ids::{ConnId, ConvKey, UserId};
use crate::pushid::PushId;
use crate::wire::{NotificationStatus, ServerFrame};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub(super) struct Settings {
    /// user -> muted conversations: looked up per recipient on the push path without
    /// cloning a key.
    muted: BTreeMap<UserId, BTreeSet<ConvKey>>,
    badges: BTreeMap<PushId, u32>,
}

impl Settings {
    pub(super) fn is_muted(&self, user: &UserId, conv: &ConvKey) -> bool {
        self.muted.get(user).is_some_and(|convs| convs.contains(conv))
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
    pub(super) fn set_badge(&mut self, conn: ConnId, req: u64, user: &UserId, badge: i64) {
        let Ok(badge) = u32::try_from(badge) else {
            let why = format!("badge {badge} must be between 0 and {}", u32::MAX);
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        };
        let device = self.sessions.device_of(user).cloned();
        for push_id in device.map(|d| self.bindings.of_device(user, &d)).unwrap_or_default() {
            self.settings.badges.insert(push_id.clone(), badge);
            self.out.event(ServerEvent::BadgeSet { user: user.clone(), push_id, badge });
        }
        self.out.frame(conn, ServerFrame::SettingOk { req });
    }
}
