//! The I/O shells: thin async tasks that own sockets and timers and feed the sans-IO cores.
//! Each is generic over [`crate::net::Listener`] / [`crate::net::Connector`], so the same
//! code serves turmoil's network and real sockets. All run on one thread (a `LocalSet`).
//!
//! Every shell drives its core the one way the [`zimsim_reference::core::Core`] contract
//! allows: feed an input with `now`, drain the outputs, tick at `poll_timeout`.
//!
//! - [`zim`]: the ZIM server: client protocol over framed TCP, hand-over to the relay.
//! - [`relay`]: the ZPNs relay: hand-overs in over HTTP, vendor HTTP requests out.
//! - [`vendor`]: a fake vendor: provider API over HTTP and the device channel.

pub mod relay;
pub mod vendor;
pub mod zim;

use crate::trace::Env;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Notify;
use zimsim_reference::Millis;

/// Feeds a core its `Tick` when its deadline passes. `deadline` reads the core's
/// `poll_timeout`; whoever feeds the core notifies `rearm` afterwards, so a new, earlier
/// deadline is seen at once.
pub(crate) async fn run_timer(
    deadline: impl Fn() -> Option<Millis>,
    fire: impl Fn(Millis),
    rearm: Rc<Notify>,
    env: Rc<dyn Env>,
) {
    loop {
        let wait = deadline().map(|d| Duration::from_millis(d.since(env.now())));
        tokio::select! {
            biased;
            _ = rearm.notified() => {}
            _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => fire(env.now()),
        }
    }
}
