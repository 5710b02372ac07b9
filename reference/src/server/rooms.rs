//! Rooms: online-only conversations. A user is in a room while their session lasts (a
//! resumed session stays in); room messages are never stored, never synced and never
//! pushed, only delivered to the members online. Rooms are memory: a restart empties them.

use super::ZimServer;
use crate::error::ZimErrorCode;
use crate::ids::{validate_room_id, ConnId, RoomId, UserId};
use crate::small::VecSet;
use crate::wire::ServerFrame;
use std::collections::{BTreeMap, BTreeSet};

/// Who is in which room.
#[derive(Debug, Default)]
pub(super) struct Rooms {
    members: BTreeMap<RoomId, BTreeSet<UserId>>,
    of_user: BTreeMap<UserId, VecSet<RoomId>>,
}

impl Rooms {
    pub(super) fn members(&self, id: &RoomId) -> Option<&BTreeSet<UserId>> {
        self.members.get(id)
    }

    /// The user leaves every room (their session ended).
    pub(super) fn leave_all(&mut self, user: &UserId) {
        for room in self.of_user.remove(user).unwrap_or_default() {
            self.remove(&room, user);
        }
    }

    fn remove(&mut self, room: &RoomId, user: &UserId) {
        if let Some(m) = self.members.get_mut(room) {
            m.remove(user);
            if m.is_empty() {
                self.members.remove(room);
            }
        }
    }
}

impl ZimServer {
    /// Enters a room, creating it if need be.
    pub(super) fn enter_room(&mut self, conn: ConnId, req: u64, user: &UserId, room_id: RoomId) {
        if let Err(why) = validate_room_id(room_id.as_str()) {
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        self.rooms.members.entry(room_id.clone()).or_default().insert(user.clone());
        self.rooms.of_user.entry(user.clone()).or_default().insert(room_id.clone());
        self.out.frame(conn, ServerFrame::RoomOk { req, room_id });
    }

    pub(super) fn leave_room(&mut self, conn: ConnId, req: u64, user: &UserId, room_id: RoomId) {
        let inside = self.rooms.of_user.get_mut(user).is_some_and(|rooms| rooms.remove(&room_id));
        if !inside {
            let why = format!("{user} is not in room {room_id}");
            return self.out.error(conn, Some(req), ZimErrorCode::NotInRoom, &why);
        }
        self.rooms.remove(&room_id, user);
        self.out.frame(conn, ServerFrame::RoomOk { req, room_id });
    }
}
