//! The one contract every sans-IO core keeps: the ZIM server, the ZPNs relay, each vendor
//! fake and every client SDK (the reference one, the mutants, a plugged-in foreign one).
//!
//! A shell owns the sockets and the clock. It feeds the core one [`Core::Input`] at a time
//! with the time it happened, drains [`Core::poll_output`] until it is empty and carries each
//! output out, then sleeps until [`Core::poll_timeout`] (or the next input) and feeds the
//! core's `Tick` input when the deadline passes. Nothing else moves a core, so a unit test,
//! the turmoil world and a real-socket process drive it the same way.
//!
//! Cores that serve HTTP (the relay, the vendors) take a request as an input tagged with a
//! shell-chosen number and answer with an output carrying the same number, so a core may
//! answer later than the call that fed it.

use crate::http::{HttpRequest, HttpResponse};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// A sans-IO state machine (the str0m / quinn-proto shape).
pub trait Core {
    type Input;
    type Output;

    /// Feeds one input that happened at `now`. Time never goes backwards between calls.
    fn handle(&mut self, now: Millis, input: Self::Input);

    /// The next thing the shell must do, if any.
    fn poll_output(&mut self) -> Option<Self::Output>;

    /// When the core next wants its `Tick` input, if ever.
    fn poll_timeout(&self) -> Option<Millis>;
}

/// An HTTP request a shell received, numbered so the answer finds its way back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRequest {
    pub id: u64,
    pub request: HttpRequest,
}

/// The answer to the [`ApiRequest`] with the same `id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResponse {
    pub id: u64,
    pub response: HttpResponse,
}

/// Feeds `input` and collects every output it caused: the usual step of a unit test.
pub fn step<C: Core + ?Sized>(core: &mut C, now: Millis, input: C::Input) -> Vec<C::Output> {
    core.handle(now, input);
    std::iter::from_fn(|| core.poll_output()).collect()
}
