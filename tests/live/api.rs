//! The server REST API over real HTTP on loopback: what an app's backend sees.

use super::{block_on, start};
use zimsim_reference::server_api::{codes, Action, Answer, Credentials};
use zimsim_reference::topology;
use zimsim_sim::http::HttpClient;
use zimsim_sim::trace::Env;

#[test]
fn a_backend_s_signed_calls_are_answered_and_a_forged_one_is_refused() {
    block_on(async {
        let w = start(30_000).await;
        let api = HttpClient::new(w.connector.clone(), topology::ZIM_API.host, topology::ZIM_API.port, false);
        let ask = |secret: &str| {
            let creds = Credentials { app_id: w.server.app_id, server_secret: secret.to_owned() };
            let ts = w.env.now().unix_s(w.server.epoch_unix_ms);
            creds.request(Action::QueryUserOnlineState, "0123456789abcdef", ts, &[("UserId[]", "nobody")], None)
        };
        let answer = |body: &[u8]| -> Answer { serde_json::from_slice(body).expect("a JSON answer") };

        let resp = api.send(ask(&w.server.server_secret)).await.expect("the API answers");
        assert_eq!(resp.status, 200);
        let a = answer(&resp.body);
        assert_eq!(a.code, codes::SUCCESS, "{}", a.message);
        assert_eq!(
            a.error_list.iter().map(|e| (e.user_id.as_str(), e.sub_code)).collect::<Vec<_>>(),
            [("nobody", 51_102)]
        );

        let resp = api.send(ask("a-forged-secret")).await.expect("the API answers");
        assert_eq!(answer(&resp.body).code, codes::SIGNATURE_INVALID);
    });
}
