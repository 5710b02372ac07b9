//! Sans-IO reference cores for zimsim: a ZIM chat server, a ZPNs push relay, fake push
//! vendors and the client SDK, plus the wire types they exchange.
//!
//! Every core is a plain struct driven by inputs that carry `now` ([`Millis`]) and drained of
//! outputs (`poll_output`). None owns a socket, a clock or an unseeded RNG, so the same code
//! runs in the turmoil simulation, on real sockets, and in unit tests and benchmarks.
//!
//! # Layout
//!
//! - [`server`]: the ZIM server (**start here**): sessions, presence, bindings, store, routing.
//! - [`client`]: the [`client::ClientSdk`] plug-in trait and the reference SDK.
//! - [`relay`]: the ZPNs relay: PushID routing and vendor payload mapping.
//! - [`vendor`]: fake APNs (per environment) and FCM, provider API and device channel.
//! - [`wire`]: client protocol frames, the server-to-relay request, framing.
//! - [`pushid`]: the versioned PushID format.
//! - [`token`]: login tokens.
//! - [`topology`]: every endpoint's host and port, and which vendor serves an install.
//! - [`ids`], [`time`], [`http`], [`error`]: shared vocabulary.
//!
//! # Example
//!
//! ```
//! use zimsim_reference::server::{ServerConfig, ServerOutput, ZimServer};
//! use zimsim_reference::wire::{ClientFrame, Platform, ServerFrame};
//! use zimsim_reference::{ids::ConnId, time::Millis, token};
//!
//! let config = ServerConfig::default();
//! let tok = token::mint(&config.server_secret, config.app_id, &"alice".into(), Millis(60_000));
//! let mut server = ZimServer::new(config);
//! server.on_connect(ConnId(1), Millis(0));
//! server.on_frame(ConnId(1), ClientFrame::Login {
//!     req: 1, user_id: "alice".into(), token: tok, device_id: "phone".into(),
//!     platform: Platform::Ios, push_id: None,
//! }, Millis(0));
//! let replies: Vec<_> = std::iter::from_fn(|| server.poll_output()).collect();
//! assert!(replies.contains(&ServerOutput::Frame { conn: ConnId(1), frame: ServerFrame::LoginOk { req: 1 } }));
//! ```

pub mod client;
pub mod error;
pub mod http;
pub mod ids;
pub mod pushid;
pub mod relay;
pub mod server;
pub mod time;
pub mod token;
pub mod topology;
pub mod vendor;
pub mod wire;

pub use time::{sub_seed, Millis};
