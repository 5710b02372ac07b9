//! Groups: create, join, leave, dismiss, with an owner and a member limit. Groups are
//! durable (they survive a restart). Each member reads the group's stored messages from the
//! moment they joined to the moment they left (`store::Span`): joining shows no earlier
//! history, as ZIM's default.
//!
//! Reference policies (docs/policies.md): members named at creation must have logged in
//! before (6000204 otherwise); when the owner leaves, the member with the smallest user ID
//! becomes owner; when the last member leaves, the group is dismissed.

use super::{ServerEvent, ZimServer};
use crate::error::ZimErrorCode;
use crate::ids::{validate_group_id, validate_user_id, ConnId, ConvKey, GroupId, UserId};
use crate::wire::{GroupChange, ServerFrame};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug)]
struct Group {
    owner: UserId,
    members: BTreeSet<UserId>,
}

/// Every group.
#[derive(Debug, Default)]
pub(super) struct Groups {
    groups: BTreeMap<GroupId, Group>,
    /// Numbers the IDs the server generates (`#1`, `#2`, ...).
    generated: u64,
}

impl Groups {
    pub(super) fn members(&self, id: &GroupId) -> Option<&BTreeSet<UserId>> {
        self.groups.get(id).map(|g| &g.members)
    }
}

type GroupResult = Result<GroupId, (ZimErrorCode, String)>;

impl ZimServer {
    pub(super) fn create_group(
        &mut self,
        conn: ConnId,
        req: u64,
        owner: &UserId,
        id: Option<GroupId>,
        members: Vec<UserId>,
    ) {
        let result = self.try_create_group(owner, id, members);
        self.answer_group(conn, req, result);
    }

    fn try_create_group(&mut self, owner: &UserId, id: Option<GroupId>, members: Vec<UserId>) -> GroupResult {
        let id = match id {
            Some(id) => {
                validate_group_id(id.as_str()).map_err(|why| (ZimErrorCode::ParamInvalid, why))?;
                id
            }
            None => loop {
                self.groups.generated += 1;
                let id = GroupId::new(format!("#{}", self.groups.generated));
                if !self.groups.groups.contains_key(&id) {
                    break id;
                }
            },
        };
        if self.groups.groups.contains_key(&id) {
            return Err((ZimErrorCode::GroupAlreadyExists, format!("group {id} already exists")));
        }
        let mut all = BTreeSet::from([owner.clone()]);
        for m in members {
            validate_user_id(m.as_str()).map_err(|why| (ZimErrorCode::ParamInvalid, why))?;
            if !self.store.knows(&m) {
                return Err((ZimErrorCode::TargetDoesNotExist, format!("user {m} has never logged in")));
            }
            all.insert(m);
        }
        if all.len() > self.config.group_member_limit {
            let why = format!("{} members; the limit is {}", all.len(), self.config.group_member_limit);
            return Err((ZimErrorCode::GroupMemberLimit, why));
        }
        self.groups.groups.insert(id.clone(), Group { owner: owner.clone(), members: BTreeSet::new() });
        self.add_members(&id, all.into_iter().collect());
        Ok(id)
    }

    pub(super) fn join_group(&mut self, conn: ConnId, req: u64, user: &UserId, id: GroupId) {
        let result = match self.groups.groups.get(&id) {
            None => Err((ZimErrorCode::GroupDoesNotExist, format!("group {id} does not exist"))),
            Some(g) if g.members.contains(user) => {
                Err((ZimErrorCode::AlreadyInGroup, format!("{user} is already in group {id}")))
            }
            Some(g) if g.members.len() >= self.config.group_member_limit => {
                let why = format!("group {id} has reached its limit of {} members", self.config.group_member_limit);
                Err((ZimErrorCode::GroupMemberLimit, why))
            }
            Some(_) => {
                self.add_members(&id, vec![user.clone()]);
                Ok(id)
            }
        };
        self.answer_group(conn, req, result);
    }

    pub(super) fn leave_group(&mut self, conn: ConnId, req: u64, user: &UserId, id: GroupId) {
        let result = self.member_check(&id, user).map(|_| {
            self.remove_member(&id, user);
            id
        });
        self.answer_group(conn, req, result);
    }

    pub(super) fn dismiss_group(&mut self, conn: ConnId, req: u64, user: &UserId, id: GroupId) {
        let result = self.member_check(&id, user).and_then(|owner| {
            if owner != *user {
                return Err((ZimErrorCode::NoAuthority, format!("only the owner ({owner}) may dismiss group {id}")));
            }
            self.dismiss(&id);
            Ok(id)
        });
        self.answer_group(conn, req, result);
    }

    /// The group's owner, if it exists and `user` is a member.
    pub(super) fn member_check(&self, id: &GroupId, user: &UserId) -> Result<UserId, (ZimErrorCode, String)> {
        match self.groups.groups.get(id) {
            None => Err((ZimErrorCode::GroupDoesNotExist, format!("group {id} does not exist"))),
            Some(g) if !g.members.contains(user) => {
                Err((ZimErrorCode::NotInGroup, format!("{user} is not a member of group {id}")))
            }
            Some(g) => Ok(g.owner.clone()),
        }
    }

    fn answer_group(&mut self, conn: ConnId, req: u64, result: GroupResult) {
        match result {
            Ok(group_id) => self.out.frame(conn, ServerFrame::GroupOk { req, group_id }),
            Err((code, why)) => self.out.error(conn, Some(req), code, &why),
        }
    }

    fn add_members(&mut self, id: &GroupId, users: Vec<UserId>) {
        let conv = ConvKey::Group { id: id.clone() };
        let group = self.groups.groups.get_mut(id).expect("caller checked the group exists");
        group.members.extend(users.iter().cloned());
        for u in &users {
            self.store.open_span(u, &conv);
        }
        self.group_changed(id, GroupChange::Joined { users }, &[]);
    }

    fn remove_member(&mut self, id: &GroupId, user: &UserId) {
        let group = self.groups.groups.get_mut(id).expect("caller checked the membership");
        group.members.remove(user);
        if group.members.is_empty() {
            group.members.insert(user.clone()); // told like every member
            return self.dismiss(id);
        }
        if group.owner == *user {
            group.owner = group.members.first().expect("not empty").clone();
        }
        self.store.close_span(user, &ConvKey::Group { id: id.clone() });
        self.group_changed(id, GroupChange::Left { users: vec![user.clone()] }, std::slice::from_ref(user));
    }

    fn dismiss(&mut self, id: &GroupId) {
        let conv = ConvKey::Group { id: id.clone() };
        let group = self.groups.groups.remove(id).expect("caller checked the group exists");
        for u in &group.members {
            self.store.close_span(u, &conv);
        }
        let told: Vec<UserId> = group.members.into_iter().collect();
        self.out.event(ServerEvent::GroupChanged { group_id: id.clone(), change: GroupChange::Dismissed });
        for user in &told {
            self.frame_to_user(
                user,
                ServerFrame::GroupChanged { group_id: id.clone(), change: GroupChange::Dismissed },
            );
        }
    }

    /// Records a membership change and tells the members online (and `also`, who just left).
    fn group_changed(&mut self, id: &GroupId, change: GroupChange, also: &[UserId]) {
        self.out.event(ServerEvent::GroupChanged { group_id: id.clone(), change: change.clone() });
        let members = self.groups.members(id).cloned().unwrap_or_default();
        for user in members.iter().chain(also) {
            // Only a member online gets a frame: building one (it may list every member)
            // for each member offline made a large group's creation quadratic.
            if self.sessions.of(user).any(|(_, s)| s.conn.is_some()) {
                self.frame_to_user(user, ServerFrame::GroupChanged { group_id: id.clone(), change: change.clone() });
            }
        }
    }
}
