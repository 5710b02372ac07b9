//! Bad input on the real wire gets a clear answer (a documented code or one line naming the
//! problem), never a panic, and the endpoints keep serving.

use super::{block_on, start};
use tokio::io::AsyncWriteExt;
use zimsim_reference::error::ZimErrorCode;
use zimsim_reference::http::HttpRequest;
use zimsim_reference::push_services::apns;
use zimsim_reference::topology::{self, ZIM, ZPNS};
use zimsim_reference::wire::{ClientFrame, Outgoing, ServerFrame};
use zimsim_sim::framed::{write_frame, FrameReader};
use zimsim_sim::http::HttpClient;
use zimsim_sim::net::Connector;

#[test]
fn the_zim_server_answers_6000121_before_login_and_survives_garbage_bytes() {
    block_on(async {
        let world = start(30_000).await;
        // Garbage: a length prefix far beyond the frame limit. The connection is closed.
        let mut junk = world.connector.connect(ZIM.host, ZIM.port).await.expect("connect");
        junk.write_all(&[0xff, 0xff, 0xff, 0xff, b'{']).await.expect("write");
        let mut reader = FrameReader::new(&mut junk);
        assert!(reader.read::<ServerFrame>().await.map_or(true, |f| f.is_none()), "server closes the connection");

        // The server still serves others, and names the rule a pre-login request breaks.
        let mut conn = world.connector.connect(ZIM.host, ZIM.port).await.expect("connect");
        write_frame(&mut conn, &ClientFrame::Heartbeat).await.expect("write");
        write_frame(&mut conn, &ClientFrame::Logout { req: 9 }).await.expect("write");
        let mut reader = FrameReader::new(&mut conn);
        let reply = reader.read::<ServerFrame>().await.expect("read").expect("a reply");
        assert!(
            matches!(reply, ServerFrame::Error { req: None, code: ZimErrorCode::UserIsNotLogged, .. }),
            "{reply:?}"
        );
        let reply = reader.read::<ServerFrame>().await.expect("read").expect("a reply");
        assert!(matches!(reply, ServerFrame::Error { req: Some(9), code: ZimErrorCode::UserIsNotLogged, .. }));
    });
}

#[test]
fn the_relay_rejects_malformed_push_requests_with_a_message_naming_the_problem() {
    block_on(async {
        let world = start(30_000).await;
        let relay = HttpClient::new(world.connector.clone(), ZPNS.host, ZPNS.port, false);
        let send = |body: &str| relay.send(HttpRequest::post("/v1/push", body.as_bytes().to_vec()));

        let resp = send("not json").await.expect("an answer");
        assert_eq!(resp.status, 400);
        assert!(resp.body_json()["error"].as_str().unwrap_or_default().starts_with("bad push batch"));

        let push = r#"{"push_id":"zp9.apns.production.t","user_id":"a","message_id":1,
            "conv":{"type":"peer","a":"a","b":"b"},"from":"b","push":{}}"#;
        let bad_push_id = format!(r#"{{"pushes":[{push}]}}"#);
        let resp = send(&bad_push_id).await.expect("an answer");
        assert_eq!(resp.status, 400);
        assert!(resp.body_json()["error"].as_str().unwrap_or_default().contains("version 9 is not supported"));

        // Every vendor is served: a well-formed HMS push is taken on.
        let hms = bad_push_id.replace("zp9.apns", "zp1.hms");
        let resp = send(&hms).await.expect("an answer");
        assert_eq!(resp.status, 202);
        assert_eq!(resp.body_json()["results"], serde_json::json!(["accepted"]));

        let resp = relay.send(HttpRequest::post("/v1/other", Vec::new())).await.expect("an answer");
        assert_eq!(resp.status, 404);
    });
}

#[test]
fn the_fake_apns_speaks_http2_and_answers_with_apple_reasons() {
    block_on(async {
        let world = start(30_000).await;
        let apns =
            HttpClient::new(world.connector.clone(), topology::APNS_PRODUCTION.name, topology::VENDOR_API_PORT, true);
        let req = |bearer: &str| {
            HttpRequest::post("/3/device/00ff", b"{\"aps\":{}}".to_vec())
                .header("authorization", format!("bearer {bearer}"))
                .header("apns-topic", "im.zego.zimsim.demo")
        };
        // A bearer that is not the team's ES256 provider token is refused first.
        let resp = apns.send(req("t")).await.expect("an answer over h2");
        assert_eq!((resp.status, resp.body_json()["reason"].as_str()), (403, Some("InvalidProviderToken")));
        let iat = zimsim_reference::time::SIM_EPOCH_UNIX_MS / 1000;
        let jwt = apns::contract::provider_token(&world.relay.apps.apns_signing_key(), iat);
        let resp = apns.send(req(&jwt)).await.expect("an answer over h2");
        assert_eq!((resp.status, resp.body_json()["reason"].as_str()), (400, Some("BadDeviceToken")));
        // No real-clock Date header: traces and bytes stay reproducible.
        assert_eq!(resp.get("date"), None);
    });
}

#[test]
fn an_oversized_frame_from_a_logged_in_client_gets_6000001_for_its_request_and_the_connection_stays() {
    use zimsim_reference::token;
    use zimsim_reference::wire::{Platform, MAX_FRAME_LEN};
    block_on(async {
        let world = start(30_000).await;
        let mut conn = world.connector.connect(ZIM.host, ZIM.port).await.expect("connect");
        let token = token::mint(
            &world.server.server_secret,
            world.server.app_id,
            &"alice".into(),
            zimsim_reference::Millis(u64::MAX),
        );
        let login = ClientFrame::Login {
            req: 1,
            user_id: "alice".into(),
            token,
            device_id: "raw-client".into(),
            platform: Platform::Web,
            push_id: None,
        };
        write_frame(&mut conn, &login).await.expect("write");
        // A 2 MB text as a foreign SDK might send it: one frame past the server's limit.
        let big = ClientFrame::Send { req: 2, message: Outgoing::text("bob", "x".repeat(2 << 20), None) };
        let bytes = zimsim_reference::wire::encode_frame(&big);
        assert!(bytes.len() > MAX_FRAME_LEN);
        conn.write_all(&bytes).await.expect("write");
        write_frame(&mut conn, &ClientFrame::Heartbeat).await.expect("write");
        let mut reader = FrameReader::new(&mut conn);
        assert_eq!(reader.read::<ServerFrame>().await.expect("read"), Some(ServerFrame::LoginOk { req: 1 }));
        let reply = reader.read::<ServerFrame>().await.expect("read").expect("a reply");
        assert!(
            matches!(&reply, ServerFrame::Error { req: Some(2), code: ZimErrorCode::ParamInvalid, message }
                if message.contains("exceeds")),
            "{reply:?}"
        );
        let pong = reader.read::<ServerFrame>().await.expect("read");
        assert_eq!(pong, Some(ServerFrame::Pong), "the connection is still served");
    });
}
