//! The four Android vendors' fakes behind their real shell on loopback, called over real
//! HTTP (hyper) with the relay's own requests (each vendor's `contract`): the token
//! endpoint, a delivery to a phone holding a token, and the vendor's errors for bad
//! credentials and for a token it does not know. Every code is unit-tested on the sans-IO
//! fake; this shows the same answers survive the wire.

use super::{block_on, listen};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use zimsim_reference::ids::ConvKey;
use zimsim_reference::push_services::{hms, mi, oppo, vivo, DeviceToVendor, DynVendor, VendorToDevice, Verdict};
use zimsim_reference::pushid::{Environment, PushId, Vendor};
use zimsim_reference::time::SIM_EPOCH_UNIX_MS;
use zimsim_reference::topology::{self, VendorHost};
use zimsim_reference::wire::{PushConfig, PushRequest};
use zimsim_sim::framed::{write_frame, FrameReader};
use zimsim_sim::http::HttpClient;
use zimsim_sim::net::real::{TokioConnector, TokioListener};
use zimsim_sim::shell;
use zimsim_sim::trace::{Env, RealEnv};

const APP: &str = "im.zego.zimsim.demo";
const API_PORT: u16 = 443;
const DEVICE_PORT: u16 = 5300;

/// One vendor on loopback, and the token its phone was issued. The phone's channel stays
/// open (deliveries go to it) for as long as this lives.
struct Live {
    api: HttpClient<TokioConnector>,
    env: RealEnv,
    token: String,
    _channel: (FrameReader<ReadHalf<TcpStream>>, WriteHalf<TcpStream>),
}

impl Live {
    /// The fakes' clock in Unix ms (signatures carry timestamps).
    fn now_unix_ms(&self) -> u64 {
        SIM_EPOCH_UNIX_MS + self.env.now().0
    }
}

/// Serves `core` as `host` on loopback; a phone asks it for a token for `project`.
async fn serve(host: VendorHost, core: DynVendor, project: &str) -> Live {
    let name = host.name;
    let (api, api_addr) = listen().await;
    let (devices, device_addr) = listen().await;
    let table =
        BTreeMap::from([((name.to_owned(), API_PORT), api_addr), ((name.to_owned(), DEVICE_PORT), device_addr)]);
    let connector = TokioConnector(Rc::new(table));
    let env = RealEnv::new();
    let shared: Rc<dyn Env> = Rc::new(env.clone());
    let core = Rc::new(RefCell::new(core));
    let run = shell::vendor::run(TokioListener(api), TokioListener(devices), host, core, shared);
    tokio::task::spawn_local(run);

    let stream = TcpStream::connect(device_addr).await.expect("the device channel accepts");
    let (read, mut write) = tokio::io::split(stream);
    write_frame(&mut write, &DeviceToVendor::Hello { device: "phone".into() }).await.expect("hello");
    let ask = DeviceToVendor::RequestToken { req: 1, app: APP.into(), project: Some(project.into()) };
    write_frame(&mut write, &ask).await.expect("token request");
    let mut frames = FrameReader::new(read);
    let token = loop {
        match frames.read::<VendorToDevice>().await.expect("a frame") {
            Some(VendorToDevice::Token { token, .. }) => break token,
            Some(VendorToDevice::TokenError { reason, .. }) => panic!("{name}: {reason}"),
            Some(_) => continue,
            None => panic!("{name} closed the device channel"),
        }
    };
    Live { api: HttpClient::new(connector, name, API_PORT, false), env, token, _channel: (frames, write) }
}

fn push(vendor: Vendor, token: &str) -> PushRequest {
    PushRequest {
        push_id: PushId::new(vendor, Environment::Production, token),
        user_id: "bob".into(),
        message_id: zimsim_reference::ids::MessageId(7),
        conv: ConvKey::peer(&"alice".into(), &"bob".into()),
        from: "alice".into(),
        push: PushConfig::new("Alice", "hello bob", "p7"),
        badge: None,
    }
}

async fn send(live: &Live, request: zimsim_reference::http::HttpRequest) -> (u16, Value) {
    let resp = live.api.send(request).await.expect("the vendor answers");
    (resp.status, resp.body_json())
}

#[test]
fn hms_over_http_issues_an_access_token_delivers_and_answers_its_own_codes() {
    block_on(async {
        let apps = BTreeMap::from([("10001".to_owned(), ("hms-secret".to_owned(), Environment::Production))]);
        let live = serve(topology::HMS, Box::new(hms::Hms::new(apps, 1)), "10001").await;
        let resp = live.api.send(hms::contract::auth_request("10001", "hms-secret")).await.expect("answers");
        let (access, lifetime_ms) = hms::contract::auth_answer(&resp).expect("an access token");
        assert_eq!(lifetime_ms, 3_600_000);
        let (status, body) = send(&live, hms::contract::auth_request("10001", "wrong")).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));

        let mine = push(Vendor::Hms, &live.token);
        let ok = hms::contract::Send { push: &mine, app_id: "10001", access_token: &access, ttl_s: 60 };
        let resp = live.api.send(hms::contract::request(&ok)).await.expect("answers");
        assert_eq!((resp.status, resp.body_json()["code"].as_str()), (200, Some("80000000")));
        assert_eq!(hms::contract::verdict(&resp), Verdict::Delivered);

        let stranger = push(Vendor::Hms, "IQAAAACy0-not-a-token");
        let dead = hms::contract::Send { push: &stranger, ..ok.clone() };
        let resp = live.api.send(hms::contract::request(&dead)).await.expect("answers");
        assert_eq!((resp.status, resp.body_json()["code"].as_str()), (200, Some("80300007")));
        assert!(matches!(hms::contract::verdict(&resp), Verdict::DeadToken { .. }));

        let forged = hms::contract::Send { access_token: "forged", ..ok };
        let resp = live.api.send(hms::contract::request(&forged)).await.expect("answers");
        assert_eq!((resp.status, resp.body_json()["code"].as_str()), (401, Some("80200001")));
        assert!(matches!(hms::contract::verdict(&resp), Verdict::Reauth { .. }));
    });
}

#[test]
fn mi_over_http_delivers_and_answers_a_wrong_secret_and_an_unknown_reg_id() {
    block_on(async {
        let apps =
            BTreeMap::from([("2882303761500000001".to_owned(), ("mi-secret".to_owned(), Environment::Production))]);
        let live = serve(topology::MI, Box::new(mi::Mi::new(apps, 2)), "2882303761500000001").await;
        let mine = push(Vendor::Mi, &live.token);
        let ok = mi::contract::Send { push: &mine, package: APP, app_secret: "mi-secret", ttl_s: 60 };
        let (status, body) = send(&live, mi::contract::request(&ok)).await;
        assert_eq!((status, body["code"].as_i64(), body["result"].as_str()), (200, Some(0), Some("ok")));

        let (_, body) =
            send(&live, mi::contract::request(&mi::contract::Send { app_secret: "wrong", ..ok.clone() })).await;
        assert_eq!(body["code"].as_i64(), Some(mi::contract::code::INVALID_SECRET));

        let stranger = push(Vendor::Mi, "bm90LWEtcmVnaWQtb2YtdGhpcy1hcHA=");
        let resp =
            live.api.send(mi::contract::request(&mi::contract::Send { push: &stranger, ..ok })).await.expect("answers");
        assert_eq!(resp.body_json()["code"].as_i64(), Some(mi::contract::code::NO_VALID_TARGETS));
        assert!(matches!(mi::contract::verdict(&resp), Verdict::DeadToken { .. }));
    });
}

#[test]
fn oppo_over_http_signs_in_delivers_and_answers_a_bad_sign_and_an_unknown_reg_id() {
    block_on(async {
        let apps = BTreeMap::from([("oppo-key".to_owned(), ("oppo-master".to_owned(), Environment::Production))]);
        let live = serve(topology::OPPO, Box::new(oppo::Oppo::new(apps, 3)), "oppo-key").await;
        let resp = live.api.send(oppo::contract::auth_request("oppo-key", "oppo-master", live.now_unix_ms())).await;
        let (auth, _) = oppo::contract::auth_answer(&resp.expect("answers")).expect("an auth token");
        let (_, body) = send(&live, oppo::contract::auth_request("oppo-key", "wrong", live.now_unix_ms())).await;
        assert_eq!(body["code"].as_i64(), Some(oppo::contract::code::INVALID_SIGN));

        let mine = push(Vendor::Oppo, &live.token);
        let ok = oppo::contract::Send { push: &mine, auth_token: &auth, ttl_s: 60 };
        let (status, body) = send(&live, oppo::contract::request(&ok)).await;
        assert_eq!((status, body["code"].as_i64()), (200, Some(0)));

        let stranger = push(Vendor::Oppo, "CN_00000000000000000000000000000000");
        let other = PushRequest { message_id: zimsim_reference::ids::MessageId(8), ..stranger };
        let resp = live
            .api
            .send(oppo::contract::request(&oppo::contract::Send { push: &other, ..ok }))
            .await
            .expect("answers");
        assert_eq!(resp.body_json()["code"].as_i64(), Some(oppo::contract::code::INVALID_REGISTRATION_ID));
        assert!(matches!(oppo::contract::verdict(&resp), Verdict::DeadToken { .. }));
    });
}

#[test]
fn vivo_over_http_signs_in_delivers_and_answers_a_bad_sign_and_an_unknown_reg_id() {
    block_on(async {
        let apps = BTreeMap::from([(
            "10004".to_owned(),
            ("vivo-key".to_owned(), "vivo-secret".to_owned(), Environment::Production),
        )]);
        let live = serve(topology::VIVO, Box::new(vivo::Vivo::new(apps, 4)), "10004").await;
        let resp = live.api.send(vivo::contract::auth_request("10004", "vivo-key", "vivo-secret", live.now_unix_ms()));
        let (auth, _) = vivo::contract::auth_answer(&resp.await.expect("answers")).expect("an auth token");
        let (_, body) =
            send(&live, vivo::contract::auth_request("10004", "vivo-key", "wrong", live.now_unix_ms())).await;
        assert_eq!(body["result"].as_i64(), Some(vivo::contract::result::INVALID_SIGN));

        let mine = push(Vendor::Vivo, &live.token);
        let ok = vivo::contract::Send {
            push: &mine,
            app_id: "10004",
            auth_token: &auth,
            request_id: "r1".into(),
            ttl_s: 60,
        };
        let (status, body) = send(&live, vivo::contract::request(&ok)).await;
        assert_eq!((status, body["result"].as_i64()), (200, Some(0)));

        let stranger = push(Vendor::Vivo, "12345678901234567890123");
        let dead = vivo::contract::Send { push: &stranger, request_id: "r2".into(), ..ok };
        let resp = live.api.send(vivo::contract::request(&dead)).await.expect("answers");
        let body = resp.body_json();
        assert_eq!((body["result"].as_i64(), body["invalidUser"]["status"].as_u64()), (Some(10302), Some(1)));
        assert!(matches!(vivo::contract::verdict(&resp), Verdict::DeadToken { .. }));
    });
}
