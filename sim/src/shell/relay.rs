//! The ZPNs relay shell: serves `POST /v1/push` (a JSON [`PushRequest`]) and carries out the
//! core's vendor calls over HTTP/2, one connection per vendor endpoint.

use crate::http::{serve, HttpClient, Protocols};
use crate::net::{Connector, Listener};
use crate::trace::{Env, Event, Source};
use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use zimsim_reference::http::{HttpRequest, HttpResponse};
use zimsim_reference::relay::{PushRelay, RelayOutput};
use zimsim_reference::topology;
use zimsim_reference::wire::PushRequest;

const SRC: Source = Source::Host(topology::ZPNS.host);

struct Shell<C: Connector> {
    core: RefCell<Box<dyn PushRelay>>,
    clients: RefCell<BTreeMap<String, HttpClient<C>>>,
    connector: C,
    env: Rc<dyn Env>,
}

/// Runs the relay until the task is dropped.
pub async fn run<L: Listener, C: Connector>(
    listener: L,
    connector: C,
    core: Box<dyn PushRelay>,
    env: Rc<dyn Env>,
) -> io::Result<()> {
    let shell = Rc::new(Shell { core: RefCell::new(core), clients: RefCell::default(), connector, env });
    let handler = Rc::new(move |req: HttpRequest| on_request(&shell, req));
    serve(listener, Protocols::Auto, handler).await
}

fn on_request<C: Connector>(shell: &Rc<Shell<C>>, req: HttpRequest) -> HttpResponse {
    if req.method != "POST" || req.path != "/v1/push" {
        return HttpResponse::json(404, &json!({"error": format!("no route for {} {}", req.method, req.path)}));
    }
    let request: PushRequest = match serde_json::from_slice(&req.body) {
        Ok(r) => r,
        Err(e) => return HttpResponse::json(400, &json!({"error": format!("bad push request: {e}")})),
    };
    let now = shell.env.now();
    let accepted = shell.core.borrow_mut().on_push(request, now);
    let response = match accepted {
        Ok(()) => HttpResponse::json(202, &json!({"accepted": true})),
        Err(e) => {
            shell.env.record(SRC, Event::RelayRejected { error: e.to_string() });
            HttpResponse::json(422, &json!({"error": e.to_string()}))
        }
    };
    drain(shell);
    response
}

/// Carries out everything the core asked for.
fn drain<C: Connector>(shell: &Rc<Shell<C>>) {
    loop {
        let out = shell.core.borrow_mut().poll_output();
        match out {
            None => return,
            Some(RelayOutput::Outcome(outcome)) => shell.env.record(SRC, Event::VendorOutcome { outcome }),
            Some(RelayOutput::Call(call)) => {
                shell.env.record(SRC, Event::VendorCall { call: call.clone() });
                let client = shell
                    .clients
                    .borrow_mut()
                    .entry(call.host.clone())
                    .or_insert_with(|| {
                        HttpClient::new(shell.connector.clone(), &call.host, topology::VENDOR_API_PORT, true)
                    })
                    .clone();
                let shell = shell.clone();
                tokio::task::spawn_local(async move {
                    let result = client.send(call.request).await;
                    let now = shell.env.now();
                    match result {
                        Ok(resp) => shell.core.borrow_mut().on_vendor_response(call.call, &resp, now),
                        Err(_) => shell.core.borrow_mut().on_vendor_unreachable(call.call, now),
                    }
                    drain(&shell);
                });
            }
        }
    }
}
