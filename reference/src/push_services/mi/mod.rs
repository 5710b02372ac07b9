//! Fake Xiaomi MiPush server API (`POST /v3/message/regid`, form-urlencoded, authorized by
//! `Authorization: key=<AppSecret>`; no token endpoint).
//!
//! Apps are keyed by Mi app ID: a device asks for a regId with `app` = its package and
//! `project` = the app ID it registers with (`MiPushClient.registerPush(context, appId,
//! appKey)`), and the regId belongs to that app. The world configures two apps, the debug
//! and the release credential sets, so a debug regId sent with the release secret is not a
//! valid target (20301), as a regId of another app is on the real service. A regId is also
//! no target when `restricted_package_name` is not the package it was issued to.
//!
//! Every answer is HTTP 200 with `{"result": "ok"|"error", "code", ...}`: MiPush reports in
//! `code`. Checked in this order: route, secret, required parameters, parameter values,
//! lengths and extras, then the regIds.
//!
//! Sources: https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1559 (send API),
//! https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1560 (error codes).
//!
//! - `contract`: the request the relay builds and how it reads the answer.
//! - `decode`: what the Android SDK's MiPush integration reads out of a delivered message.

pub mod contract;
pub mod decode;

use super::{random_string, DeviceNotification, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::Millis;
use contract::code;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub use contract::{
    MAX_DESCRIPTION_CHARS, MAX_EXTRAS, MAX_EXTRA_CHARS, MAX_STORED, MAX_TITLE_CHARS, MAX_TTL_MS, SEND_PATH,
};

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// regIds are opaque base64-like strings; the fake draws this many characters, `+` and `/`
/// included, so the form encoding of the relay's request matters.
pub const REGID_CHARS: usize = 64;

/// Every refusal the fake answers with: the code, the short `description` of the code and
/// the `reason` detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    MissingParameter(&'static str),
    /// The message names the parameter and what is wrong with its value.
    InvalidParameter(String),
    /// No regId of the request is a registered target of this app and package.
    NoValidTargets,
    /// Missing or unknown `Authorization: key=<AppSecret>`.
    InvalidSecret,
    /// `title` or `description` at or over its limit (the message names it).
    ContentTooLong(&'static str),
    /// More than [`MAX_EXTRAS`] custom extras.
    TooManyExtras,
    /// An extra value over [`MAX_EXTRA_CHARS`] (the message names the key).
    ExtraTooLong(String),
}

impl Reason {
    pub fn code(&self) -> i64 {
        match self {
            Reason::MissingParameter(_) => code::MISSING_PARAMETER,
            Reason::InvalidParameter(_) => code::INVALID_PARAMETER,
            Reason::NoValidTargets => code::NO_VALID_TARGETS,
            Reason::InvalidSecret => code::INVALID_SECRET,
            Reason::ContentTooLong(_) => code::CONTENT_TOO_LONG,
            Reason::TooManyExtras => code::TOO_MANY_EXTRAS,
            Reason::ExtraTooLong(_) => code::EXTRA_TOO_LONG,
        }
    }

    /// Every MiPush answer is HTTP 200; the code carries the outcome.
    pub fn status(&self) -> u16 {
        200
    }

    pub fn description(&self) -> &'static str {
        match self {
            Reason::MissingParameter(_) => "Missing required parameter",
            Reason::InvalidParameter(_) => "Invalid parameter value",
            Reason::NoValidTargets => "Failed to send the message",
            Reason::InvalidSecret => "Authentication failed",
            Reason::ContentTooLong(_) => "Message content too long",
            Reason::TooManyExtras => "Too many key-value pairs",
            Reason::ExtraTooLong(_) => "Key-value pair too long",
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Reason::MissingParameter(p) => format!("{p} is required"),
            Reason::InvalidParameter(m) => m.clone(),
            Reason::NoValidTargets => "No valid targets!".into(),
            Reason::InvalidSecret => "Invalid application secret.".into(),
            Reason::ContentTooLong(p) => format!("{p} is too long"),
            Reason::TooManyExtras => format!("at most {MAX_EXTRAS} custom extras"),
            Reason::ExtraTooLong(k) => format!("extra.{k} is over {MAX_EXTRA_CHARS} characters"),
        }
    }

    /// Whether this refuses the send because of its regIds (MiPush's dead-token answer):
    /// none of them is a target of this app and package. Every other reason is about the
    /// request or the secret.
    pub fn refuses_token(&self) -> bool {
        code::is_dead(self.code())
    }

    pub fn response(&self, trace_id: &str) -> HttpResponse {
        let body = json!({
            "result": "error", "code": self.code(), "description": self.description(), "reason": self.reason(),
            "trace_id": trace_id,
        });
        HttpResponse::json(self.status(), &body)
    }
}

/// The fake MiPush.
#[derive(Debug)]
pub struct Mi {
    /// App ID -> (AppSecret, environment of those credentials).
    apps: BTreeMap<String, (String, Environment)>,
    dir: Directory,
    next_id: u64,
}

impl Mi {
    /// Store policy: Xiaomi keeps a message for an offline device for its `time_to_live`
    /// but the notes give no count per device, so the fake keeps the newest [`MAX_STORED`]
    /// per device, the same bound as FCM, dropping the oldest.
    pub fn new(apps: BTreeMap<String, (String, Environment)>, seed: u64) -> Mi {
        Mi { apps, dir: Directory::new(seed, StorePolicy::Queue(MAX_STORED)), next_id: 1 }
    }

    fn respond(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let serial = self.next_id;
        self.next_id += 1;
        let trace_id = format!("Xcm{serial:017}");
        let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
        let app = req.get("authorization").and_then(|a| a.strip_prefix("key=")).and_then(|secret| {
            self.apps.iter().find(|(_, (s, _))| s == secret).map(|(id, (_, env))| (id.clone(), *env))
        });
        let result = match &app {
            None => Err(Reason::InvalidSecret),
            Some((app_id, _)) => self.check(&form, app_id, serial, now),
        };
        let (status, reason) = match &result {
            Ok(_) => (200, None),
            Err(r) => (r.status(), Some(r.code().to_string())),
        };
        let env = app.map(|(_, env)| env);
        let targets = regids(&form);
        // One event per addressed regId, so the isolation checker sees each of them.
        let addressed: Vec<Option<String>> =
            if targets.is_empty() { vec![None] } else { targets.into_iter().map(Some).collect() };
        // No valid target means none of them was: each regId is refused.
        let token_refused = result.as_ref().is_err_and(Reason::refuses_token);
        for token in addressed {
            self.dir.event(VendorEvent::Request { env, token, status, reason: reason.clone(), token_refused });
        }
        match result {
            Ok((id, sent)) => HttpResponse::json(
                200,
                &json!({
                    "result": "ok", "code": code::SUCCESS, "data": {"id": id}, "trace_id": trace_id,
                    "info": format!("Received push messages for {sent} REGID"),
                }),
            ),
            Err(r) => r.response(&trace_id),
        }
    }

    /// Checks an authenticated request; on success delivers it and returns the message ID
    /// and how many regIds it went to.
    fn check(
        &mut self,
        form: &BTreeMap<String, String>,
        app_id: &str,
        serial: u64,
        now: Millis,
    ) -> Result<(String, usize), Reason> {
        let get = |k: &str| form.get(k).map(String::as_str);
        let required = |k: &'static str| get(k).filter(|v| !v.is_empty()).ok_or(Reason::MissingParameter(k));
        required("registration_id")?;
        let package = required("restricted_package_name")?;
        let pass_through = match get("pass_through").unwrap_or("0") {
            "0" => 0,
            "1" => 1,
            other => return Err(Reason::InvalidParameter(format!("pass_through must be 0 or 1, not {other:?}"))),
        };
        let (title, description) = if pass_through == 0 {
            (required("title")?, required("description")?)
        } else {
            required("payload")?;
            (get("title").unwrap_or_default(), get("description").unwrap_or_default())
        };
        let invalid = |m: &str| Err(Reason::InvalidParameter(m.to_owned()));
        if pass_through == 0 && (title.trim().is_empty() || description.trim().is_empty()) {
            return invalid("title and description must not be blank");
        }
        let notify_type = get("notify_type").unwrap_or("-1");
        if !notify_type.parse::<i64>().is_ok_and(|t| (-1..=7).contains(&t)) {
            return invalid("notify_type must be -1 or a combination of 1, 2 and 4");
        }
        let ttl_ms = match get("time_to_live").map(str::parse::<u64>) {
            None => MAX_TTL_MS,
            Some(Ok(t)) if (1..=MAX_TTL_MS).contains(&t) => t,
            Some(_) => return invalid("time_to_live must be 1 ms to two weeks"),
        };
        let notify_id = match get("notify_id").map(str::parse::<u64>) {
            None => 0,
            Some(Ok(n)) if n <= contract::MAX_NOTIFY_ID => n,
            Some(_) => return invalid("notify_id must be an integer from 0 to 2147483647"),
        };
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(Reason::ContentTooLong("title"));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Reason::ContentTooLong("description"));
        }
        let extras: Map<String, Value> = form
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("extra.")?.to_owned(), Value::String(v.clone()))))
            .collect();
        if extras.keys().filter(|k| !contract::SYSTEM_EXTRAS.contains(&k.as_str())).count() > MAX_EXTRAS {
            return Err(Reason::TooManyExtras);
        }
        if let Some((k, _)) =
            extras.iter().find(|(_, v)| v.as_str().is_some_and(|v| v.chars().count() > MAX_EXTRA_CHARS))
        {
            return Err(Reason::ExtraTooLong(k.clone()));
        }
        let targets: Vec<_> = regids(form)
            .into_iter()
            .filter_map(|r| self.dir.token(&r).cloned())
            .filter(|i| i.project.as_deref() == Some(app_id) && i.app == package && i.revoked_at.is_none())
            .collect();
        if targets.is_empty() {
            return Err(Reason::NoValidTargets);
        }
        let id = format!("scm{serial:017}");
        // What the device gets: a MiPushMessage.
        let payload = json!({
            "message_id": id,
            "title": title,
            "description": description,
            "payload": get("payload").unwrap_or_default(),
            "pass_through": pass_through,
            "notify_type": notify_type.parse::<i64>().unwrap_or(-1),
            "notify_id": notify_id,
            "extra": extras,
        });
        for issued in &targets {
            let n = DeviceNotification {
                id: id.clone(),
                app: issued.app.clone(),
                payload: payload.clone(),
                delivery: 0,
                // MIUI shows one notification per `notify_id`.
                replace_key: Some(notify_id.to_string()),
            };
            self.dir.deliver(&issued.device, n, now, super::Keep::for_ms(now, ttl_ms));
        }
        Ok((id, targets.len()))
    }
}

/// The regIds of a request (`registration_id` is comma-separated).
fn regids(form: &BTreeMap<String, String>) -> Vec<String> {
    let list = form.get("registration_id").map(String::as_str).unwrap_or_default();
    list.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect()
}

fn make_regid(rng: &mut ChaCha8Rng) -> String {
    random_string(rng, BASE64, REGID_CHARS)
}

impl VendorApi for Mi {
    fn is_send(&self, req: &HttpRequest) -> bool {
        req.path == contract::SEND_PATH
    }

    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        if req.method != "POST" {
            return HttpResponse::new(405);
        }
        if req.path != SEND_PATH {
            return HttpResponse::new(404);
        }
        self.respond(req, now)
    }

    fn token_env(&self, project: Option<&str>) -> Result<Environment, String> {
        let app_id = project.ok_or("Mi regIds need an app ID")?;
        self.apps.get(app_id).map(|(_, env)| *env).ok_or_else(|| format!("unknown app ID {app_id:?}"))
    }

    fn new_token(rng: &mut ChaCha8Rng) -> String {
        make_regid(rng)
    }

    fn directory(&mut self) -> &mut Directory {
        &mut self.dir
    }
    fn directory_ref(&self) -> &Directory {
        &self.dir
    }
}

#[cfg(test)]
mod tests;
