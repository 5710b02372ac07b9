//! Sans-IO reference cores for zimsim: a ZIM chat server, a ZPNs push relay, fake push
//! vendors and the client SDK, plus the wire types they exchange.
//!
//! Every core keeps one contract, [`core::Core`]: `handle(now, input)`, `poll_output()`,
//! `poll_timeout()`. None owns a socket, a clock or an unseeded RNG, so the same code runs in
//! the turmoil simulation, on real sockets, and in unit tests and benchmarks.
//!
//! # Layout
//!
//! - [`core`]: the contract every core keeps.
//! - [`server`]: the ZIM server (**start here**): sessions, presence, bindings, store, routing.
//! - [`server_api`]: the server REST API an app's backend calls: signing, actions, codes.
//! - [`client`]: the [`client::ClientSdk`] plug-in trait and the reference SDK.
//! - [`relay`]: the ZPNs relay: PushID routing and vendor payload mapping.
//! - [`push_services`]: the push services (APNs per environment, FCM, HMS, Mi, OPPO, vivo), one folder each:
//!   provider API, device channel, the request the relay builds and what the phone decodes.
//! - [`wire`]: client protocol frames, the server-to-relay request, framing.
//! - [`pushid`]: the versioned PushID format.
//! - [`token`]: login tokens.
//! - [`topology`]: every endpoint's host and port, and which vendor serves an install.
//! - [`ids`], [`time`], [`http`], [`error`]: shared vocabulary.
//!
//! # Example
//!
//! ```
//! use zimsim_reference::core::{step, Core};
//! use zimsim_reference::server::{ServerConfig, ServerInput, ServerOutput, ZimServer};
//! use zimsim_reference::wire::{ClientFrame, Platform, ServerFrame};
//! use zimsim_reference::{time::Millis, token};
//!
//! let config = ServerConfig::default();
//! let tok = token::mint(&config.server_secret, config.app_id, &"alice".into(), Millis(60_000));
//! let mut server = ZimServer::new(config);
//! let conn = server.next_conn();
//! server.handle(Millis(0), ServerInput::Connected { conn });
//! let frame = ClientFrame::Login {
//!     req: 1, user_id: "alice".into(), token: tok, device_id: "phone".into(),
//!     platform: Platform::Ios, push_id: None,
//! };
//! let replies = step(&mut server, Millis(0), ServerInput::Frame { conn, frame });
//! assert!(replies.contains(&ServerOutput::Frame { conn, frame: ServerFrame::LoginOk { req: 1 } }));
//! // Nobody has spoken since: the session times out 30 s later unless a heartbeat comes.
//! assert_eq!(server.poll_timeout(), Some(Millis(30_000)));
//! ```

pub mod client;
pub mod core;
pub mod error;
pub mod http;
pub mod ids;
pub mod push_services;
pub mod pushid;
pub mod relay;
pub mod server;
pub mod server_api;
pub mod small;
pub mod time;
pub mod token;
pub mod topology;
pub mod wire;

pub use time::{sub_seed, Millis};
