//! The server REST API (see [`crate::server_api`] for the contract): each request is
//! authenticated (app, timestamp within 10 minutes, signature), held to its action's rate
//! limit, then served. Sends go through the same acceptance and routing as a client's, so a
//! message from the app's backend is stored, delivered, synced and pushed like any other.
//!
//! Reference policies (docs/policies.md): the sender (`FromUserId`) needs a valid user ID
//! but need not have logged in (an app's system account); a refusal of the conversation
//! (not a group member, for instance) answers with the ZIM error code; each recipient a
//! peer send cannot reach is listed in `ErrorList` while the others are still served.

use super::{ServerOutput, UnbindReason, ZimServer};
use crate::core::{ApiRequest, ApiResponse};
use crate::error::ZimErrorCode;
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::{validate_user_id, ConversationType, UserId};
use crate::server_api::{
    codes, signature, Action, Answer, ItemError, MessageBody as ApiBody, OnlineState, SendGroupMessage,
    SendPeerMessage, MAX_CLOCK_SKEW_S, MAX_USERS_PER_CALL, SIGNATURE_VERSION,
};
use crate::time::{Millis, PerSecond};
use crate::wire::{check_send, DeadToken, MessageBody, Outgoing, PushConfig};
use std::collections::BTreeMap;

/// When each action was last called, for its per-second limit (memory: a restart forgets).
#[derive(Debug, Default)]
pub(super) struct ApiCalls(BTreeMap<Action, PerSecond>);

impl ApiCalls {
    fn allow(&mut self, action: Action, now: Millis) -> bool {
        self.0.entry(action).or_default().allow(now, action.per_second())
    }
}

/// A refusal: the code and the one line that names the problem.
type Refusal = (u32, String);

impl ZimServer {
    pub(super) fn api(&mut self, now: Millis, ApiRequest { id, request }: ApiRequest) {
        if request.path == DeadToken::PATH {
            return self.dead_token(id, &request);
        }
        self.api_requests += 1;
        let request_id = format!("zimsim-{}", self.api_requests);
        let answer = match self.api_answer(&request, now) {
            Ok(answer) => answer,
            Err((code, message)) => Answer { code, message, ..Answer::default() },
        };
        let answer = Answer { request_id, ..answer };
        let body = serde_json::to_value(&answer).expect("an answer serializes");
        self.out.0.push_back(ServerOutput::Respond(ApiResponse { id, response: HttpResponse::json(200, &body) }));
    }

    /// The relay's report of a dead token: unbind it, whoever holds it. A report for a
    /// PushID no longer bound (a resent report, a token already replaced) changes nothing.
    fn dead_token(&mut self, id: u64, request: &HttpRequest) {
        let response = match DeadToken::from_http(request) {
            Ok(report) => {
                self.bindings.unbind(&report.push_id, UnbindReason::DeadToken, &mut self.out);
                HttpResponse::new(204)
            }
            Err(e) => HttpResponse::json(400, &serde_json::json!({ "error": e })),
        };
        self.out.0.push_back(ServerOutput::Respond(ApiResponse { id, response }));
    }

    fn api_answer(&mut self, request: &HttpRequest, now: Millis) -> Result<Answer, Refusal> {
        let query = Query::of(request);
        let action = self.authenticate(&query, now)?;
        if request.method != action.method() {
            let why = format!("{} takes {}, not {}", action.name(), action.method(), request.method);
            return Err((codes::BAD_PARAMETER, why));
        }
        if !self.api_calls.allow(action, now) {
            return Err((
                codes::QPS_EXCEEDED,
                format!("more than {} {} calls a second", action.per_second(), action.name()),
            ));
        }
        match action {
            Action::SendPeerMessage => self.api_send_peer(body(request)?, now),
            Action::SendGroupMessage => self.api_send_group(body(request)?, now),
            Action::QueryUserOnlineState => self.api_online_state(&query.all("UserId[]")),
        }
    }

    /// Checks the public parameters in ZEGO's order and returns the action they name.
    fn authenticate(&self, q: &Query, now: Millis) -> Result<Action, Refusal> {
        let name = q.get("Action").ok_or((codes::ACTION_EMPTY, "Action is missing".to_owned()))?;
        let action =
            Action::parse(name).ok_or_else(|| (codes::ACTION_UNSUPPORTED, format!("unsupported Action {name}")))?;
        let app: u32 = q
            .get("AppId")
            .and_then(|a| a.parse().ok())
            .ok_or((codes::APP_ID_INVALID, "AppId is not a number".to_owned()))?;
        if app != self.config.app_id {
            return Err((codes::APP_ID_INVALID, format!("unknown AppId {app}")));
        }
        let ts = q.get("Timestamp").ok_or((codes::TIMESTAMP_EMPTY, "Timestamp is missing".to_owned()))?;
        let ts: i64 =
            ts.parse().map_err(|_| (codes::TIMESTAMP_INVALID, format!("Timestamp {ts} is not unix seconds")))?;
        let nonce = q.get("SignatureNonce").ok_or((codes::NONCE_EMPTY, "SignatureNonce is missing".to_owned()))?;
        let sig = q.get("Signature").ok_or((codes::SIGNATURE_EMPTY, "Signature is missing".to_owned()))?;
        let version = q
            .get("SignatureVersion")
            .ok_or((codes::SIGNATURE_VERSION_EMPTY, "SignatureVersion is missing".to_owned()))?;
        if version != SIGNATURE_VERSION {
            return Err((
                codes::SIGNATURE_VERSION_UNSUPPORTED,
                format!("SignatureVersion {version} is not {SIGNATURE_VERSION}"),
            ));
        }
        let skew = ts - now.unix_s(self.config.epoch_unix_ms);
        if skew.abs() > MAX_CLOCK_SKEW_S {
            return Err((
                codes::SIGNATURE_EXPIRED,
                format!("Timestamp is {skew} s from the server's clock (at most 600)"),
            ));
        }
        if !sig.eq_ignore_ascii_case(&signature(app, nonce, &self.config.server_secret, ts)) {
            return Err((codes::SIGNATURE_INVALID, "Signature does not match".to_owned()));
        }
        Ok(action)
    }

    fn api_send_peer(&mut self, call: SendPeerMessage, now: Millis) -> Result<Answer, Refusal> {
        let from = sender(&call.from_user_id)?;
        if call.to_user_id.is_empty() || call.to_user_id.len() > MAX_USERS_PER_CALL {
            let why = format!("ToUserId names {} users (1 to {MAX_USERS_PER_CALL})", call.to_user_id.len());
            return Err((codes::BAD_PARAMETER, why));
        }
        // Everything is checked before anything is stored, so a refused call sent nobody
        // anything and the backend may safely send it again.
        let body = message_body(call.message_type, &call.message_body, call.sub_msg_type, &call.searched_content)?;
        let (mut error_list, mut sends) = (Vec::new(), Vec::new());
        for to in &call.to_user_id {
            let unknown = validate_user_id(to).is_err() || !self.store.knows(&UserId::from(to.as_str()));
            let sub_code = match () {
                _ if *to == from.as_str() => ZimErrorCode::ParamInvalid.code(), // a message to oneself
                _ if unknown => codes::USER_DOES_NOT_EXIST,
                _ => {
                    let m = outgoing(to, ConversationType::Peer, body.clone(), &call.message_body, call.priority);
                    check_send(&from, &m, self.config.max_text_bytes).map_err(|why| (codes::BAD_PARAMETER, why))?;
                    sends.push(m);
                    continue;
                }
            };
            error_list.push(ItemError { user_id: to.clone(), sub_code });
        }
        for m in sends {
            let to = m.to.clone();
            match self.accept_send(&from, m, now) {
                Ok(accepted) => self.route_accepted(&from, accepted),
                Err((code, _)) => error_list.push(ItemError { user_id: to, sub_code: code.code() }),
            }
        }
        Ok(Answer { message: "success".into(), error_list, ..Answer::default() })
    }

    fn api_send_group(&mut self, call: SendGroupMessage, now: Millis) -> Result<Answer, Refusal> {
        let from = sender(&call.from_user_id)?;
        let body = message_body(call.message_type, &call.message_body, call.sub_msg_type, &call.searched_content)?;
        let m = outgoing(&call.group_id, ConversationType::Group, body, &call.message_body, call.priority);
        check_send(&from, &m, self.config.max_text_bytes).map_err(|why| (codes::BAD_PARAMETER, why))?;
        let accepted = self.accept_send(&from, m, now).map_err(|(code, why)| (code.code(), why))?;
        self.route_accepted(&from, accepted);
        Ok(Answer { message: "success".into(), ..Answer::default() })
    }

    fn api_online_state(&self, users: &[&str]) -> Result<Answer, Refusal> {
        if users.len() > MAX_USERS_PER_CALL {
            return Err((
                codes::TOO_MANY_USERS,
                format!("{} users asked for (at most {MAX_USERS_PER_CALL})", users.len()),
            ));
        }
        let (mut result, mut error_list) = (Vec::new(), Vec::new());
        for user in users {
            let id = UserId::from(*user);
            if !self.store.knows(&id) {
                error_list.push(ItemError { user_id: (*user).to_owned(), sub_code: codes::USER_DOES_NOT_EXIST });
                continue;
            }
            let status = if self.sessions.is_online(&id) { "Online" } else { "Offline" };
            result.push(OnlineState { user_id: (*user).to_owned(), status: status.into() });
        }
        Ok(Answer { message: "success".into(), result: Some(result), error_list, ..Answer::default() })
    }
}

/// The query string's parameters, decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn of(request: &HttpRequest) -> Query {
        let query = request.path.split_once('?').map_or("", |(_, q)| q);
        Query(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    /// The first non-empty value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

fn body<T: serde::de::DeserializeOwned>(request: &HttpRequest) -> Result<T, Refusal> {
    serde_json::from_slice(&request.body).map_err(|e| (codes::BAD_PARAMETER, format!("bad request body: {e}")))
}

fn sender(from: &str) -> Result<UserId, Refusal> {
    validate_user_id(from).map_err(|why| (codes::BAD_PARAMETER, format!("FromUserId: {why}")))?;
    Ok(UserId::from(from))
}

/// The message of a send action, by its `MessageType`.
fn message_body(kind: u32, body: &ApiBody, sub_type: u32, searched: &str) -> Result<MessageBody, Refusal> {
    let message = body.message.clone();
    if message.is_empty() {
        return Err((codes::BAD_PARAMETER, "MessageBody.Message is empty".into()));
    }
    Ok(match kind {
        1 => MessageBody::Text { text: message },
        2 => MessageBody::Command { data: message },
        200 => MessageBody::Custom { message, sub_type, searched_content: searched.to_owned() },
        other => return Err((codes::BAD_PARAMETER, format!("MessageType {other} is not 1, 2 or 200"))),
    })
}

fn outgoing(to: &str, conv_type: ConversationType, body: MessageBody, api: &ApiBody, priority: u8) -> Outgoing {
    let push = api
        .offline_push
        .as_ref()
        .filter(|p| p.enable == 1)
        .map(|p| PushConfig::new(p.title.as_str(), p.content.as_str(), p.payload.as_str()));
    Outgoing { to: to.to_owned(), conv_type, body, extended_data: api.extended_data.clone(), priority, push }
}
