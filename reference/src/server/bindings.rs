//! User <-> PushID bindings: who a push for a user goes to.
//!
//! Reference policy: a PushID has at most one owner. Binding it to a new user unbinds the
//! previous one, and an install has one current PushID of each kind (its alert PushID and,
//! on iOS with VoIP, its VoIP PushID), so binding a newer one of a kind from the same
//! install replaces the older of that kind only.

use super::{remove_indexed, Outbox, ServerEvent, UnbindReason};
use crate::ids::{DeviceId, UserId};
use crate::pushid::PushId;
use crate::small::VecSet;
use crate::wire::Platform;
use std::collections::BTreeMap;

/// Who a PushID is bound to, and which install registered it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Binding {
    user: UserId,
    device: DeviceId,
    /// The install's platform (custom offline-push rules are by platform).
    platform: Platform,
}

/// Every binding, indexed three ways so no lookup scans them all.
#[derive(Debug, Default)]
pub(super) struct Bindings {
    /// PushID -> owner and the install it belongs to; at most one owner per PushID.
    by_push_id: BTreeMap<PushId, Binding>,
    /// owner -> PushIDs, so routing a push costs O(log n).
    of_user: BTreeMap<UserId, VecSet<PushId>>,
    /// install -> PushIDs it registered, so a login finds other users' bindings there.
    from_device: BTreeMap<DeviceId, VecSet<PushId>>,
}

impl Bindings {
    pub(super) fn owner(&self, push_id: &PushId) -> Option<&UserId> {
        self.by_push_id.get(push_id).map(|b| &b.user)
    }

    /// Every PushID bound to `user`.
    pub(super) fn of(&self, user: &UserId) -> impl Iterator<Item = &PushId> {
        self.of_user.get(user).into_iter().flatten()
    }

    /// The user's PushIDs registered by `device`.
    pub(super) fn of_device(&self, user: &UserId, device: &DeviceId) -> Vec<PushId> {
        self.of(user).filter(|p| self.by_push_id.get(*p).is_some_and(|b| b.device == *device)).cloned().collect()
    }

    /// Every PushID bound to `user`, with the install that registered it and its platform.
    pub(super) fn installs_of(&self, user: &UserId) -> impl Iterator<Item = (&PushId, &DeviceId, Platform)> {
        self.of(user).filter_map(|p| self.by_push_id.get(p).map(|b| (p, &b.device, b.platform)))
    }

    /// The user's PushIDs registered by other installs on a platform `replaced` says a
    /// login from `device` replaces.
    pub(super) fn replaced_by(
        &self,
        user: &UserId,
        device: &DeviceId,
        replaced: impl Fn(Platform) -> bool,
    ) -> Vec<PushId> {
        let gone = |b: &Binding| b.device != *device && replaced(b.platform);
        self.of(user).filter(|p| self.by_push_id.get(*p).is_some_and(gone)).cloned().collect()
    }

    /// PushIDs registered by `device` and bound to anyone but `user`.
    pub(super) fn registered_on_for_others(&self, device: &DeviceId, user: &UserId) -> Vec<PushId> {
        let theirs = |p: &&PushId| self.by_push_id.get(*p).is_some_and(|b| b.user != *user);
        self.from_device.get(device).into_iter().flatten().filter(theirs).cloned().collect()
    }

    /// Binds `push_id` to `user` on `device`, taking it from any previous owner; the
    /// install's older PushIDs of the same kind for this user are unbound. (`stale_index` is a deliberate
    /// defect for a mutant: the previous owner keeps routing to it, silently.)
    pub(super) fn bind(
        &mut self,
        user: &UserId,
        device: &DeviceId,
        platform: Platform,
        push_id: PushId,
        stale_index: bool,
        out: &mut Outbox,
    ) {
        let binding = Binding { user: user.clone(), device: device.clone(), platform };
        if let Some(b) = self.by_push_id.get(&push_id) {
            if *b == binding {
                return;
            }
            // A PushID names one install, and a user's other installs were unbound when this
            // session logged in: a binding held by anyone else is another user's.
            if stale_index {
                let old = self.by_push_id.remove(&push_id).expect("checked");
                remove_indexed(&mut self.from_device, &old.device, &push_id);
            } else {
                self.unbind(&push_id, UnbindReason::UserSwitch, out);
            }
        }
        for old in self.of_device(user, device).into_iter().filter(|old| old.kind == push_id.kind) {
            self.unbind(&old, UnbindReason::Replaced, out);
        }
        self.by_push_id.insert(push_id.clone(), binding);
        self.of_user.entry(user.clone()).or_default().insert(push_id.clone());
        self.from_device.entry(device.clone()).or_default().insert(push_id.clone());
        out.event(ServerEvent::Bound { user: user.clone(), push_id });
    }

    pub(super) fn unbind(&mut self, push_id: &PushId, reason: UnbindReason, out: &mut Outbox) {
        if let Some(Binding { user, device, .. }) = self.by_push_id.remove(push_id) {
            remove_indexed(&mut self.of_user, &user, push_id);
            remove_indexed(&mut self.from_device, &device, push_id);
            out.event(ServerEvent::Unbound { user, push_id: push_id.clone(), reason });
        }
    }
}
