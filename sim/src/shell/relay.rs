//! The ZPNs relay shell: serves the relay's HTTP API (the ZIM server's hand-overs) and
//! carries out the core's vendor calls over HTTP/2, one connection per vendor endpoint.

use super::run_timer;
use crate::http::{serve, HttpClient, Pending, Protocols};
use crate::net::{Connector, Listener};
use crate::trace::{Env, Event, Source};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Notify;
use zimsim_reference::core::ApiRequest;
use zimsim_reference::http::HttpRequest;
use zimsim_reference::relay::{DynRelay, RelayInput, RelayOutput, REQUEST_TIMEOUT_MS};
use zimsim_reference::topology;

const SRC: Source = Source::Host(topology::ZPNS.host);

/// How long after the core's own request timeout the HTTP client stops waiting for a
/// vendor's answer, so a hung request does not hold its task for ever.
const CALL_BACKSTOP_MS: u64 = 5_000;

struct Shell<C: Connector> {
    core: RefCell<DynRelay>,
    clients: RefCell<BTreeMap<String, HttpClient<C>>>,
    pending: Pending,
    rearm: Rc<Notify>,
    connector: C,
    env: Rc<dyn Env>,
}

/// Runs the relay until the task is dropped.
pub async fn run<L: Listener, C: Connector>(
    listener: L,
    connector: C,
    core: DynRelay,
    env: Rc<dyn Env>,
) -> io::Result<()> {
    let shell = Rc::new(Shell {
        core: RefCell::new(core),
        clients: RefCell::default(),
        pending: Pending::default(),
        rearm: Rc::new(Notify::new()),
        connector,
        env,
    });
    let (deadline, fire) = (shell.clone(), shell.clone());
    tokio::task::spawn_local(run_timer(
        move || deadline.core.borrow().poll_timeout(),
        move |now| feed(&fire, now, RelayInput::Tick),
        shell.rearm.clone(),
        shell.env.clone(),
    ));
    let handler = Rc::new(move |request: HttpRequest| {
        let (id, answer) = shell.pending.open();
        feed(&shell, shell.env.now(), RelayInput::Api(ApiRequest { id, request }));
        Box::pin(answer) as _
    });
    serve(listener, Protocols::Auto, handler).await
}

/// The HTTP/2 client of vendor endpoint `host` (one connection each, opened on first use).
fn vendor_client<C: Connector>(shell: &Rc<Shell<C>>, host: &str) -> HttpClient<C> {
    shell
        .clients
        .borrow_mut()
        .entry(host.to_owned())
        .or_insert_with(|| HttpClient::new(shell.connector.clone(), host, topology::VENDOR_API_PORT, true))
        .clone()
}

/// Feeds one input and carries out everything the core asked for.
fn feed<C: Connector>(shell: &Rc<Shell<C>>, now: zimsim_reference::Millis, input: RelayInput) {
    shell.core.borrow_mut().handle(now, input);
    loop {
        let out = shell.core.borrow_mut().poll_output();
        match out {
            None => break,
            Some(RelayOutput::Respond(answer)) => shell.pending.answer(answer),
            Some(RelayOutput::Outcome(outcome)) => shell.env.record(SRC, Event::VendorOutcome { outcome }),
            Some(RelayOutput::Rejected { message_id, push_id, error }) => {
                shell.env.record(SRC, Event::RelayRejected { message_id, push_id, error })
            }
            Some(RelayOutput::ToZim { id, request }) => {
                let client = shell
                    .clients
                    .borrow_mut()
                    .entry(topology::ZIM_API.host.to_owned())
                    .or_insert_with(|| {
                        HttpClient::new(shell.connector.clone(), topology::ZIM_API.host, topology::ZIM_API.port, false)
                    })
                    .clone();
                let shell = shell.clone();
                tokio::task::spawn_local(async move {
                    let ok = client.send(request).await.is_ok_and(|r| r.is_success());
                    feed(&shell, shell.env.now(), RelayInput::ZimAnswered { id, ok });
                });
            }
            Some(RelayOutput::Authorized(outcome)) => shell.env.record(SRC, Event::RelayAuth { outcome }),
            Some(RelayOutput::TimedOut(timeout)) => shell.env.record(SRC, Event::VendorTimeout { timeout }),
            Some(RelayOutput::Auth { id, host, request }) => {
                let client = vendor_client(shell, &host);
                let shell = shell.clone();
                tokio::task::spawn_local(async move {
                    let response = client.send(request).await.ok();
                    feed(&shell, shell.env.now(), RelayInput::AuthAnswered { id, response });
                });
            }
            Some(RelayOutput::Call(call)) => {
                shell.env.record(SRC, Event::VendorCall { call: call.clone() });
                let client = vendor_client(shell, &call.host);
                let shell = shell.clone();
                // The core gives a try up at its own deadline; the client's is only a backstop
                // (past it, the core has long stopped waiting and ignores the answer).
                let (id, attempt) = (call.call, call.attempt);
                let backstop = Duration::from_millis(REQUEST_TIMEOUT_MS + CALL_BACKSTOP_MS);
                tokio::task::spawn_local(async move {
                    let input = match client.send_within(call.request, backstop).await {
                        Ok(response) => RelayInput::VendorResponse { call: id, attempt, response },
                        Err(_) => RelayInput::VendorUnreachable { call: id, attempt },
                    };
                    feed(&shell, shell.env.now(), input);
                });
            }
        }
    }
    shell.rearm.notify_one();
}
