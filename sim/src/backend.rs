//! The app's backend (host `backend`): plays the scenario's backend steps on time, each a
//! signed call to the ZIM server REST API, and traces the step and the answer. Each call
//! runs as its own task, so a call the server never answers (it crashed) holds up no other.

use crate::http::HttpClient;
use crate::net::Connector;
use crate::scenario::{Action, BackendStep, Scenario};
use crate::trace::{Env, Event, Source};
use serde_json::json;
use std::rc::Rc;
use std::time::Duration;
use zimsim_reference::server::ServerConfig;
use zimsim_reference::server_api::{Action as ApiAction, Answer, Credentials, OfflinePush, SendPeerMessage};
use zimsim_reference::topology;

const SRC: Source = Source::Host(topology::BACKEND);

/// Plays every backend step of `scenario` against the server configured by `server`.
pub async fn run<C: Connector>(connector: C, scenario: Scenario, server: ServerConfig, env: Rc<dyn Env>) {
    let api = HttpClient::new(connector, topology::ZIM_API.host, topology::ZIM_API.port, false);
    let creds = Credentials { app_id: server.app_id, server_secret: server.server_secret.clone() };
    let steps = scenario.steps.iter().filter_map(|s| match &s.action {
        Action::Backend(b) => Some((s.at_ms, b.clone())),
        _ => None,
    });
    for (n, (at_ms, step)) in steps.enumerate() {
        tokio::time::sleep(Duration::from_millis(at_ms.saturating_sub(env.now().0))).await;
        env.record(SRC, Event::Step { action: Action::Backend(step.clone()) });
        // A fresh nonce per call, as ZEGO asks (16 hex characters), deterministic per run.
        let nonce = format!("{n:016x}");
        let request = match &step {
            BackendStep::ServerSend { from, to, text, push } => {
                let offline_push = push.then(|| OfflinePush {
                    enable: 1,
                    title: from.to_string(),
                    content: text.clone(),
                    payload: String::new(),
                });
                let to = to.iter().map(ToString::to_string).collect();
                let body = SendPeerMessage::text(from.as_str(), to, text, offline_push);
                let ts = env.now().unix_s(server.epoch_unix_ms);
                creds.request(ApiAction::SendPeerMessage, &nonce, ts, &[], Some(&json!(body)))
            }
        };
        let (api, env) = (api.clone(), env.clone());
        tokio::task::spawn_local(async move {
            let answer = match api.send(request).await {
                Ok(resp) => serde_json::from_slice::<Answer>(&resp.body).ok(),
                Err(e) => {
                    tracing::debug!(error = %e, "the REST API did not answer");
                    None
                }
            };
            env.record(SRC, Event::BackendAnswer { answer });
        });
    }
}
