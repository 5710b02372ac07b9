//! The app calls that need a session (sends, group and room requests): refused locally when
//! they break a documented rule, queued while the SDK reconnects, failed with a code when
//! no session will carry them, and answered exactly once each.

use super::*;

/// A group or room request awaiting the server's answer.
#[derive(Clone, Debug)]
pub(super) enum Request {
    Group { op: &'static str, group_id: Option<GroupId> },
    Room { op: &'static str, room_id: RoomId },
    Setting { op: &'static str },
}

impl Request {
    fn of(call: &AppCall) -> Option<Request> {
        Some(match call {
            AppCall::CreateGroup { group_id, .. } => Request::Group { op: "create", group_id: group_id.clone() },
            AppCall::JoinGroup { group_id } => Request::Group { op: "join", group_id: Some(group_id.clone()) },
            AppCall::LeaveGroup { group_id } => Request::Group { op: "leave", group_id: Some(group_id.clone()) },
            AppCall::DismissGroup { group_id } => Request::Group { op: "dismiss", group_id: Some(group_id.clone()) },
            AppCall::EnterRoom { room_id } => Request::Room { op: "enter", room_id: room_id.clone() },
            AppCall::LeaveRoom { room_id } => Request::Room { op: "leave", room_id: room_id.clone() },
            AppCall::SetNotificationStatus { .. } => Request::Setting { op: "notification_status" },
            AppCall::SetBadge { .. } => Request::Setting { op: "badge" },
            AppCall::UpdateOfflinePushRule { .. } => Request::Setting { op: "push_rule" },
            _ => return None,
        })
    }

    /// The app's event for this request's outcome (`code` 0: done).
    fn result(self, code: u32, message: String, group_id: Option<GroupId>) -> AppEvent {
        match self {
            Request::Group { op, group_id: asked } => {
                AppEvent::GroupResult { op: op.into(), group_id: group_id.or(asked), code, message }
            }
            Request::Room { op, room_id } => AppEvent::RoomResult { op: op.into(), room_id, code, message },
            Request::Setting { op } => AppEvent::SettingResult { op: op.into(), code, message },
        }
    }
}

impl ReferenceSdk {
    /// A send or a group / room call from the app.
    pub(super) fn on_session_call(&mut self, now: Millis, call: AppCall) {
        // Logged in, or logged in and reconnecting (RECONNECTING is not DISCONNECTED: the
        // app is still logged in, so the call waits for the session).
        let (user, waiting) = match &self.zim {
            Zim::LoggedIn { user, .. } => (user.clone(), false),
            Zim::Connecting { user, resumed: true, .. } if !self.logging_out() => (user.clone(), true),
            _ => return self.fail(call, ZimErrorCode::UserIsNotLogged, "not logged in".into()),
        };
        if let AppCall::SetBadge { badge } = call {
            if badge < 0 {
                return self.fail(call, ZimErrorCode::ParamInvalid, format!("badge {badge} is negative"));
            }
        }
        if let Some(message) = call.outgoing() {
            // Refused here, nothing sent: an oversized frame would cost the connection.
            if let Err(why) = check_send(&user, &message, limits::TEXT_MAX_BYTES) {
                return self.fail(call, ZimErrorCode::ParamInvalid, why);
            }
            if !self.recent_sends.allow(now, limits::SENDS_PER_SECOND) {
                let why = format!("more than {} sends within a second", limits::SENDS_PER_SECOND);
                return self.fail(call, ZimErrorCode::ClientRateLimited, why);
            }
        }
        if waiting {
            self.outbox.push_back(call);
        } else {
            self.dispatch(call);
        }
    }

    /// Puts a checked call on the wire.
    pub(super) fn dispatch(&mut self, call: AppCall) {
        let req = self.req();
        let frame = match (call.outgoing(), Request::of(&call)) {
            (Some(message), _) => {
                self.sends.insert(req, message.to.clone());
                ClientFrame::Send { req, message }
            }
            (None, Some(request)) => {
                self.requests.insert(req, request);
                match call {
                    AppCall::CreateGroup { group_id, name, members } => {
                        ClientFrame::CreateGroup { req, group_id, name, members }
                    }
                    AppCall::JoinGroup { group_id } => ClientFrame::JoinGroup { req, group_id },
                    AppCall::LeaveGroup { group_id } => ClientFrame::LeaveGroup { req, group_id },
                    AppCall::DismissGroup { group_id } => ClientFrame::DismissGroup { req, group_id },
                    AppCall::EnterRoom { room_id } => ClientFrame::EnterRoom { req, room_id },
                    AppCall::LeaveRoom { room_id } => ClientFrame::LeaveRoom { req, room_id },
                    AppCall::SetNotificationStatus { to, conv_type, status } => {
                        ClientFrame::SetNotificationStatus { req, to, conv_type, status }
                    }
                    AppCall::SetBadge { badge } => ClientFrame::SetBadge { req, badge },
                    AppCall::UpdateOfflinePushRule { rule } => ClientFrame::UpdateOfflinePushRule { req, rule },
                    _ => unreachable!("Request::of names only group and room calls"),
                }
            }
            (None, None) => return,
        };
        self.send(frame);
    }

    /// Reports a session call that will not be carried out.
    pub(super) fn fail(&mut self, call: AppCall, code: ZimErrorCode, message: String) {
        let event = match (call.outgoing(), Request::of(&call)) {
            (Some(m), _) => AppEvent::SendFailed { to: m.to, code: code.code(), message },
            (None, Some(request)) => request.result(code.code(), message, None),
            (None, None) => return,
        };
        self.emit(event);
    }

    /// The link dropped: what was in flight on it has an unknown outcome.
    pub(super) fn fail_in_flight(&mut self) {
        let message = || "the connection closed before the server answered".to_owned();
        let code = ZimErrorCode::DisconnectedWhileSending.code();
        for (_, to) in std::mem::take(&mut self.sends) {
            self.emit(AppEvent::SendFailed { to, code, message: message() });
        }
        for (_, request) in std::mem::take(&mut self.requests) {
            self.emit(request.result(code, message(), None));
        }
        for _ in std::mem::take(&mut self.renewals) {
            self.emit(AppEvent::TokenRenewed { code, message: message() });
        }
    }

    /// The session never came back for what waited in the outbox.
    pub(super) fn fail_outbox(&mut self) {
        for call in std::mem::take(&mut self.outbox) {
            self.fail(call, ZimErrorCode::UserIsNotLogged, "logged out before the connection came back".into());
        }
    }

    /// A group or room request's answer, success (`group_id` for a group) or error.
    pub(super) fn answer_request(
        &mut self,
        req: u64,
        outcome: Result<Option<GroupId>, (ZimErrorCode, String)>,
    ) -> bool {
        let Some(request) = self.requests.remove(&req) else { return false };
        let event = match outcome {
            Ok(group_id) => request.result(0, String::new(), group_id),
            Err((code, message)) => request.result(code.code(), message, None),
        };
        self.emit(event);
        true
    }
}
