//! The six vendors' fakes, built from the world's `PushApps` as `start()` builds them, each
//! behind its real shell on loopback and called over real HTTP (hyper; HTTP/2 for APNs),
//! signing in with the `PushApps` credentials. For success and for each error
//! docs/vendors.md lists for a vendor, one table row asserts the status, the body's code or
//! reason and, for a send, the verdict class the relay acts on. The fakes' unit tests check
//! the same answers without the wire; these show they survive it.
//!
//! The fakes' clock is a real one that a test may move forward, so an access token's expiry
//! is reached without waiting for it (see [`Clock`]).

mod apns;
mod fcm;
mod hms;
mod mi;
mod oppo;
mod vivo;

use super::listen;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::rc::Rc;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use zimsim_reference::http::{HttpRequest, HttpResponse};
use zimsim_reference::ids::{ConvKey, MessageId};
use zimsim_reference::push_services::apps::PushApps;
use zimsim_reference::push_services::{self, DeviceToVendor, DynVendor, VendorInput, VendorToDevice, Verdict};
use zimsim_reference::pushid::{Environment, PushId};
use zimsim_reference::relay::RelayConfig;
use zimsim_reference::time::{Millis, SIM_EPOCH_UNIX_MS};
use zimsim_reference::topology::VendorHost;
use zimsim_reference::wire::{PushConfig, PushRequest};
use zimsim_sim::framed::{write_frame, FrameReader};
use zimsim_sim::http::HttpClient;
use zimsim_sim::net::real::{TokioConnector, TokioListener};
use zimsim_sim::shell;
use zimsim_sim::trace::{Env, Event, RealEnv, Source};

/// The app's identity and credentials at every vendor, as the world configures them.
fn apps() -> PushApps {
    RelayConfig::default().apps
}

/// The real clock, plus however far a test moved it forward, or held still where a test
/// froze it. Only the fake reads it: the sockets and timeouts keep real time.
#[derive(Clone, Debug)]
struct Clock {
    real: RealEnv,
    ahead_ms: Rc<Cell<u64>>,
    frozen: Rc<Cell<Option<Millis>>>,
}

impl Env for Clock {
    fn now(&self) -> Millis {
        self.frozen.get().unwrap_or(Millis(self.real.now().0 + self.ahead_ms.get()))
    }

    fn record(&self, src: Source, event: Event) {
        self.real.record(src, event);
    }
}

/// The class of a [`Verdict`], which is what a row expects of a send's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Delivered,
    DeadToken,
    Retry,
    Reauth,
    Failed,
}

fn class(v: &Verdict) -> Class {
    match v {
        Verdict::Delivered => Class::Delivered,
        Verdict::DeadToken { .. } => Class::DeadToken,
        Verdict::Retry { .. } => Class::Retry,
        Verdict::Reauth { .. } => Class::Reauth,
        Verdict::Failed { .. } => Class::Failed,
    }
}

/// One row of a table: a request and what its answer must be.
struct Case {
    name: String,
    request: HttpRequest,
    status: u16,
    /// Fields the body must hold (an object matches when it has at least these, arrays
    /// element by element); `Null` for an empty body.
    body: Value,
    /// The relay's class of the answer, for a send; `None` for a token-endpoint call.
    verdict: Option<Class>,
}

fn case(
    name: impl Into<String>,
    request: HttpRequest,
    status: u16,
    body: Value,
    verdict: impl Into<Option<Class>>,
) -> Case {
    Case { name: name.into(), request, status, body, verdict: verdict.into() }
}

/// Whether `actual` holds everything `expected` names.
fn holds(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|x| holds(x, v))),
        (Value::Array(a), Value::Array(e)) => a.len() == e.len() && a.iter().zip(e).all(|(x, y)| holds(x, y)),
        _ => actual == expected,
    }
}

/// A phone's channel to the vendor: it asks for tokens and uninstalls apps.
struct Phone {
    frames: FrameReader<ReadHalf<TcpStream>>,
    write: WriteHalf<TcpStream>,
    next_req: u64,
}

impl Phone {
    async fn open(devices: SocketAddr, device: &str) -> Phone {
        let stream = TcpStream::connect(devices).await.expect("the device channel accepts");
        let (read, mut write) = tokio::io::split(stream);
        write_frame(&mut write, &DeviceToVendor::Hello { device: device.into() }).await.expect("hello");
        Phone { frames: FrameReader::new(read), write, next_req: 1 }
    }

    /// The token of `app` (built against `project`) on this phone.
    async fn token(&mut self, app: &str, project: Option<&str>) -> String {
        let req = self.next_req;
        self.ask(DeviceToVendor::RequestToken { req, app: app.into(), project: project.map(str::to_owned) }).await
    }

    /// The VoIP (PushKit) token of `app` on this phone (APNs only).
    async fn voip_token(&mut self, app: &str) -> String {
        let req = self.next_req;
        self.ask(DeviceToVendor::RequestVoipToken { req, app: app.into() }).await
    }

    /// Sends the token request `ask` (numbered `next_req`) and waits for its token.
    async fn ask(&mut self, ask: DeviceToVendor) -> String {
        let req = self.next_req;
        self.next_req += 1;
        write_frame(&mut self.write, &ask).await.expect("token request");
        loop {
            match self.frames.read::<VendorToDevice>().await.expect("a frame") {
                Some(VendorToDevice::Token { req: r, token }) if r == req => return token,
                Some(VendorToDevice::TokenError { reason, .. }) => panic!("no token for {ask:?}: {reason}"),
                Some(_) => continue,
                None => panic!("the vendor closed the device channel"),
            }
        }
    }

    /// Uninstalls `app` (its token is revoked), then installs it again and returns the new
    /// token. The channel is ordered, so once the new token is here the vendor has taken
    /// the revocation, and a send that follows meets the revoked token.
    async fn uninstall(&mut self, app: &str, project: Option<&str>) -> String {
        let revoke = DeviceToVendor::Revoke { app: app.into(), project: project.map(str::to_owned) };
        write_frame(&mut self.write, &revoke).await.expect("revoke");
        self.token(app, project).await
    }
}

/// One vendor's fake on loopback, with a phone holding its channel open.
struct Live {
    host: VendorHost,
    api: HttpClient<TokioConnector>,
    devices: SocketAddr,
    clock: Clock,
    /// The fake itself, for what the world feeds it besides requests (injected failures).
    core: Rc<RefCell<DynVendor>>,
    phone: Phone,
}

/// Serves `core` as `host` on loopback, on the shell the world runs it in.
async fn serve(host: VendorHost, core: DynVendor) -> Live {
    let (api, api_addr) = listen().await;
    let (devices, device_addr) = listen().await;
    let table = BTreeMap::from([
        ((host.name.to_owned(), host.api.port), api_addr),
        ((host.name.to_owned(), host.devices.port), device_addr),
    ]);
    let connector = TokioConnector(Rc::new(table));
    let clock = Clock { real: RealEnv::new(), ahead_ms: Rc::default(), frozen: Rc::default() };
    let core = Rc::new(RefCell::new(core));
    let env: Rc<dyn Env> = Rc::new(clock.clone());
    let run = shell::vendor::run(TokioListener(api), TokioListener(devices), host, core.clone(), env);
    tokio::task::spawn_local(run);
    let http2 = host.vendor == zimsim_reference::pushid::Vendor::Apns;
    let api = HttpClient::new(connector, host.name, host.api.port, http2);
    let phone = Phone::open(device_addr, "phone").await;
    Live { host, api, devices: device_addr, clock, core, phone }
}

impl Live {
    /// The fake's clock in Unix ms (signatures and assertions carry timestamps).
    fn now_unix_ms(&self) -> u64 {
        SIM_EPOCH_UNIX_MS + self.clock.now().0
    }

    fn now_unix_s(&self) -> u64 {
        self.now_unix_ms() / 1000
    }

    /// Moves the fake's clock `ms` forward.
    fn advance(&self, ms: u64) {
        self.clock.ahead_ms.set(self.clock.ahead_ms.get() + ms);
    }

    /// Holds the fake's clock still (`true`) or lets it run again.
    fn freeze(&self, frozen: bool) {
        self.clock.frozen.set(None);
        self.clock.frozen.set(frozen.then(|| self.clock.now()));
    }

    /// Another phone on the vendor's device channel.
    async fn phone(&self, device: &str) -> Phone {
        Phone::open(self.devices, device).await
    }

    /// The tokens of the app a table sends to: on the phone, for the release build and for
    /// the debug one (each asks under its own [`PushApps::project`]); and one of the release
    /// build that a second phone uninstalled ([`Live::revoked`]).
    async fn tokens(&mut self) -> Tokens {
        let apps = apps();
        let project = |env| apps.project(self.host.vendor, env);
        let (release, debug) = (project(Environment::Production), project(Environment::Development));
        let token = self.phone.token(&apps.bundle, release).await;
        let debug_token = self.phone.token(&apps.bundle, debug).await;
        let (uninstalled, _) = self.revoked(&apps.bundle, release).await;
        Tokens { token, debug_token, uninstalled }
    }

    /// A token of `app` (built against `project`) that a second phone got and then
    /// uninstalled, with the fake's clock in Unix ms just before and just after the
    /// uninstall: the revocation time lies between.
    async fn revoked(&self, app: &str, project: Option<&str>) -> (String, RangeInclusive<u64>) {
        let mut second = self.phone("phone-2").await;
        let token = second.token(app, project).await;
        let before = self.now_unix_ms();
        second.uninstall(app, project).await;
        (token, before..=self.now_unix_ms())
    }

    /// The access token the `env` app gets from the vendor's token endpoint, signing in as
    /// the relay does.
    async fn sign_in(&self, env: Environment) -> String {
        let vendor = self.host.vendor;
        let request = apps().auth_request(vendor, env, self.now_unix_ms()).expect("the vendor has a token endpoint");
        push_services::auth_answer(vendor, &self.send(request).await).expect("an access token").0
    }

    /// What the world's `vendor_fail` step feeds the fake: its next `count` sends fail.
    fn fail(&self, status: u16, count: u32, retry_after_s: Option<u64>) {
        let input = VendorInput::Fail { status, count, retry_after_s };
        self.core.borrow_mut().handle(self.clock.now(), input);
    }

    async fn send(&self, request: HttpRequest) -> HttpResponse {
        self.api.send(request).await.expect("the fake answers over HTTP")
    }

    /// Where `resp` differs from what `c` expects, if anywhere.
    fn mismatch(&self, c: &Case, resp: &HttpResponse) -> Option<String> {
        let body = if c.body.is_null() { resp.body.is_empty() } else { holds(&resp.body_json(), &c.body) };
        let verdict = push_services::verdict(self.host.vendor, resp);
        let class_ok = c.verdict.is_none_or(|want| class(&verdict) == want);
        (resp.status != c.status || !body || !class_ok).then(|| {
            format!(
                "{} {}: want {} {} {:?}, got {} {} {:?}",
                self.host.name,
                c.name,
                c.status,
                c.body,
                c.verdict,
                resp.status,
                String::from_utf8_lossy(&resp.body),
                verdict,
            )
        })
    }

    /// Sends every row in order and asserts each answer, naming every row that failed.
    async fn run(&self, cases: Vec<Case>) -> Vec<HttpResponse> {
        let mut wrong = Vec::new();
        let mut answers = Vec::new();
        for c in &cases {
            let resp = self.send(c.request.clone()).await;
            wrong.extend(self.mismatch(c, &resp));
            answers.push(resp);
        }
        assert!(wrong.is_empty(), "{} of {} rows failed:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
        answers
    }

    /// Sends `request` once per row, each time after the fake was told to fail its next
    /// send with the row's status and `Retry-After: 7`. The vendor's error shape is the
    /// row's body; every answer must be retried, after the 7 s.
    async fn injected(&self, request: &HttpRequest, rows: impl IntoIterator<Item = (u16, Value)>) {
        let mut wrong = Vec::new();
        for (status, body) in rows {
            self.fail(status, 1, Some(7));
            let c = case(format!("injected {status}"), request.clone(), status, body, Class::Retry);
            let resp = self.send(request.clone()).await;
            wrong.extend(self.mismatch(&c, &resp));
            if resp.get("retry-after") != Some("7") {
                wrong.push(format!("{} {}: no Retry-After: 7 in {:?}", self.host.name, c.name, resp.headers));
            }
            match push_services::verdict(self.host.vendor, &resp) {
                Verdict::Retry { after_ms, .. } if after_ms != Some(7000) => {
                    wrong.push(format!("{} {}: retry after {after_ms:?}, not 7000 ms", self.host.name, c.name));
                }
                _ => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}

/// The tokens of [`Live::tokens`].
struct Tokens {
    /// The app's token for the release credentials.
    token: String,
    /// The same install's token for the debug credentials.
    debug_token: String,
    /// A revoked token for the release credentials.
    uninstalled: String,
}

/// The [`Live::injected`] rows of the Android vendors whose fakes fail with a bare status
/// (as a proxy would): 503, 500 and 429 without a body, which each of their contracts
/// retries.
fn bare_failures() -> [(u16, Value); 3] {
    [503, 500, 429].map(|status| (status, Value::Null))
}

/// A push from alice to bob's `token` at `vendor`, as ZIM hands it to the relay.
fn push(vendor: zimsim_reference::pushid::Vendor, token: &str, message: u64) -> PushRequest {
    PushRequest {
        push_id: PushId::new(vendor, Environment::Production, token),
        user_id: "bob".into(),
        message_id: MessageId(message),
        conv: std::sync::Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
        from: std::sync::Arc::new("alice".into()),
        push: std::sync::Arc::new(PushConfig::new("Alice", "hello bob", "p7")),
        badge: None,
    }
}

/// `req` with header `name` set to `value` (every earlier value dropped), or removed for `None`.
fn header(req: &HttpRequest, name: &str, value: Option<&str>) -> HttpRequest {
    let mut req = req.clone();
    req.headers.retain(|(n, _)| n != name);
    match value {
        Some(v) => req.header(name, v),
        None => req,
    }
}

/// `req` with its method replaced (and no body, as a GET has none).
fn method(req: &HttpRequest, method: &str) -> HttpRequest {
    HttpRequest { method: method.into(), body: Vec::new(), ..req.clone() }
}

fn path(req: &HttpRequest, path: &str) -> HttpRequest {
    HttpRequest { path: path.into(), ..req.clone() }
}

fn body(req: &HttpRequest, body: impl Into<Vec<u8>>) -> HttpRequest {
    HttpRequest { body: body.into(), ..req.clone() }
}

/// `req` with its JSON body edited by `f`.
fn edit_json(req: &HttpRequest, f: impl FnOnce(&mut Value)) -> HttpRequest {
    let mut v: Value = serde_json::from_slice(&req.body).expect("a JSON body");
    f(&mut v);
    body(req, v.to_string())
}

/// A form body of `pairs`.
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// A form POST of `pairs` to `path`.
fn form_post(path: &str, pairs: &[(&str, &str)]) -> HttpRequest {
    HttpRequest::post(path, form(pairs)).header("content-type", "application/x-www-form-urlencoded")
}

/// `req` with its form body edited by `f`.
fn edit_form(req: &HttpRequest, f: impl FnOnce(&mut Vec<(String, String)>)) -> HttpRequest {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    f(&mut pairs);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    body(req, form(&pairs))
}

/// Sets form field `name` to `value`, or removes it for `None`.
fn set_field(pairs: &mut Vec<(String, String)>, name: &str, value: Option<&str>) {
    pairs.retain(|(k, _)| k != name);
    if let Some(v) = value {
        pairs.push((name.to_owned(), v.to_owned()));
    }
}

/// A compact JWT of `header` and `claims`, signed by `sign` over `header.claims`.
fn jwt(header: Value, claims: Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = URL_SAFE_NO_PAD.encode(sign(input.as_bytes()));
    format!("{input}.{signature}")
}
