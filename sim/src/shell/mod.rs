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

/// Ports every endpoint listens on (the same in the simulation and live mode).
pub mod ports {
    /// ZIM client protocol.
    pub const ZIM: u16 = 9000;
    /// ZPNs relay HTTP API.
    pub const ZPNS: u16 = 8080;
    /// Vendor provider APIs (APNs, FCM).
    pub const VENDOR_API: u16 = 443;
    /// APNs device channel (Apple's real port for it).
    pub const APNS_DEVICE: u16 = 5223;
    /// FCM device channel (Google's real port for it).
    pub const FCM_DEVICE: u16 = 5228;
}
