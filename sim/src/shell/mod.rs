//! The I/O shells: thin async tasks that own sockets and timers and feed the sans-IO cores.
//! Each is generic over [`crate::net::Listener`] / [`crate::net::Connector`], so the same
//! code serves turmoil's network and real sockets. All run on one thread (a `LocalSet`).
//!
//! - [`zim`]: the ZIM server: client protocol over framed TCP, presence timer, relay client.
//! - [`relay`]: the ZPNs relay: `POST /v1/push` in, vendor HTTP requests out.
//! - [`vendor`]: a fake vendor: provider API over HTTP and the device channel.

pub mod relay;
pub mod vendor;
pub mod zim;
