//! The same shells, devices and SDK as the simulation, on real loopback sockets and the
//! real clock (the "real arm"): the socket seam is not simulation-only, the invariants hold
//! there too, and bad input on the real wire gets a clear answer. Timings are scaled down
//! and padded generously, because real time on a busy 2-core machine can stall.

mod api;
mod bad_input;
mod flow;
mod vendors;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use tokio::net::TcpListener;
use zimsim_reference::relay::{Relay, RelayConfig};
use zimsim_reference::server::{ServerConfig, ZimServer};
use zimsim_reference::topology;
use zimsim_sim::net::real::{TokioConnector, TokioListener};
use zimsim_sim::shell;
use zimsim_sim::trace::{Env, RealEnv};

async fn listen() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("loopback bind");
    let addr = l.local_addr().expect("bound");
    (l, addr)
}

/// Every endpoint of the world, listening on loopback, with the table to reach them.
struct LiveWorld {
    connector: TokioConnector,
    env: RealEnv,
    server: ServerConfig,
    relay: RelayConfig,
}

/// Starts the ZIM server, relay and vendor shells on loopback (inside a `LocalSet`).
async fn start(heartbeat_timeout_ms: u64) -> LiveWorld {
    let env = RealEnv::new();
    let mut table = BTreeMap::new();
    let mut listeners = Vec::new();
    // In the order the shells below take them: zim (clients, then REST), zpns, then each vendor's API and
    // device channel.
    for topology::Endpoint { host, port } in topology::endpoints() {
        let (l, addr) = listen().await;
        table.insert((host.to_owned(), port), addr);
        listeners.push(TokioListener(l));
    }
    let connector = TokioConnector(Rc::new(table));
    let mut l = listeners.into_iter();
    let mut next = || l.next().expect("one listener per endpoint");
    let shared: Rc<dyn Env> = Rc::new(env.clone());
    let server = ServerConfig { heartbeat_timeout_ms, ..Default::default() };
    let relay = RelayConfig::default();
    let core = Rc::new(RefCell::new(ZimServer::new(server.clone())));
    let (clients, api) = (next(), next());
    tokio::task::spawn_local(shell::zim::run(clients, api, connector.clone(), core, shared.clone()));
    tokio::task::spawn_local(shell::relay::run(
        next(),
        connector.clone(),
        Box::new(Relay::new(relay.clone())),
        shared.clone(),
    ));
    for (seed, vendor) in topology::VENDORS.into_iter().enumerate() {
        let core = Rc::new(RefCell::new(relay.apps.fake(vendor, seed as u64)));
        let shell = shell::vendor::run(next(), next(), vendor, core, shared.clone());
        tokio::task::spawn_local(shell);
    }
    LiveWorld { connector, env, server, relay }
}

/// Runs `f` on a current-thread runtime inside a `LocalSet`, as the shells need.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    tokio::task::LocalSet::new().block_on(&rt, f)
}
