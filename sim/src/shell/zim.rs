//! The ZIM server shell. One task owns the [`ZimServer`] core and serialises every input to
//! it (connection events, frames, REST calls, hand-over answers, the core's timer);
//! per-connection tasks only move bytes. The core decides what goes to the relay and when to retry; the
//! shell only sends each hand-over it is given and reports the answer.
//!
//! The core outlives the shell: it holds the server's durable store, and a crashed and
//! restarted host runs a new shell over it, which first tells it the process restarted
//! ([`ZimServer::restart`] says what survives).

use crate::framed::{write_frame, FrameReader, Incoming};
use crate::http::{serve, HttpClient, Pending, Protocols};
use crate::net::{Connector, Listener};
use crate::trace::{Env, Event, Source};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc;
use zimsim_reference::core::{ApiRequest, Core};
use zimsim_reference::http::HttpRequest;
use zimsim_reference::ids::ConnId;
use zimsim_reference::server::{ServerInput, ServerOutput, ZimServer};
use zimsim_reference::topology;
use zimsim_reference::wire::{ClientFrame, ServerFrame};

const SRC: Source = Source::Host(topology::ZIM.host);

/// What the connection tasks and the relay client tell the core task.
enum Input {
    Opened(ConnId, mpsc::UnboundedSender<Outbound>),
    /// Bytes that are not a frame; the connection is being closed.
    BadFrame(ConnId, String),
    /// Anything the core takes as it is.
    Core(ServerInput),
}

/// What a connection's writer task is told to do.
enum Outbound {
    Frame(ServerFrame),
    /// Flush what came before, then close both directions.
    Close,
}

/// Runs the ZIM server until the task is dropped: accepts clients on `listener` and REST
/// calls on `api`, hands pushes to the relay reached with `connector`.
pub async fn run<L: Listener, A: Listener, C: Connector>(
    mut listener: L,
    api: A,
    connector: C,
    core: Rc<RefCell<ZimServer>>,
    env: Rc<dyn Env>,
) -> io::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Input>();
    let relay = HttpClient::new(connector, topology::ZPNS.host, topology::ZPNS.port, false);
    let pending = Rc::new(Pending::default());

    // REST calls: numbered, fed to the core task, answered when the core responds.
    let (api_tx, api_pending) = (tx.clone(), pending.clone());
    let handler = Rc::new(move |request: HttpRequest| {
        let (id, answer) = api_pending.open();
        let _ = api_tx.send(Input::Core(ServerInput::Api(ApiRequest { id, request })));
        Box::pin(answer) as _
    });
    tokio::task::spawn_local(async move {
        if let Err(e) = serve(api, Protocols::Auto, handler).await {
            tracing::debug!(error = %e, "the REST API stopped accepting");
        }
    });

    // Accept loop: number connections and start their reader and writer tasks.
    let (accept_tx, numbers) = (tx.clone(), core.clone());
    tokio::task::spawn_local(async move {
        while let Ok(stream) = listener.accept().await {
            let conn = numbers.borrow_mut().next_conn();
            tracing::trace!(conn = conn.0, "accepted");
            let (read, write) = tokio::io::split(stream);
            let (out_tx, out_rx) = mpsc::unbounded_channel();
            let reader = tokio::task::spawn_local(read_loop(conn, read, accept_tx.clone()));
            tokio::task::spawn_local(write_loop(write, out_rx, reader.abort_handle()));
            if accept_tx.send(Input::Opened(conn, out_tx)).is_err() {
                break;
            }
        }
    });

    let mut io = Io { writers: BTreeMap::new(), relay, pending, inputs: tx, env: env.clone() };
    tracing::debug!("ZIM server starting over its durable store");
    let mut input = Some(ServerInput::Restart);
    loop {
        // Borrowed only between awaits: this task is the core's one user.
        if let Some(input) = input.take() {
            let mut server = core.borrow_mut();
            server.handle(env.now(), input);
            io.carry_out(&mut server);
        }
        let sleep = core.borrow().poll_timeout().map(|d| Duration::from_millis(d.since(env.now())));
        let ready = tokio::select! {
            // Biased: inputs first, then the timer; with equal readiness the order is fixed.
            biased;
            input = rx.recv() => input,
            _ = tokio::time::sleep(sleep.unwrap_or_default()), if sleep.is_some() => Some(Input::Core(ServerInput::Tick)),
        };
        input = match ready {
            None => return Ok(()),
            Some(Input::Opened(conn, out)) => {
                env.record(SRC, Event::ConnOpened { conn });
                io.writers.insert(conn, out);
                Some(ServerInput::Connected { conn })
            }
            Some(Input::BadFrame(conn, error)) => {
                env.record(SRC, Event::BadFrame { conn, error });
                None
            }
            Some(Input::Core(input)) => {
                match &input {
                    ServerInput::Frame { conn, frame } => {
                        env.record(SRC, Event::FrameIn { conn: *conn, frame: frame.clone() })
                    }
                    ServerInput::FrameTooLarge { conn, req, len } => {
                        env.record(SRC, Event::FrameTooLarge { conn: *conn, len: *len, req: *req })
                    }
                    ServerInput::Disconnected { conn } if io.writers.remove(conn).is_some() => {
                        env.record(SRC, Event::ConnClosed { conn: *conn })
                    }
                    _ => {}
                }
                Some(input)
            }
        };
    }
}

/// The shell's side of the core's outputs: connection writers and the relay client.
struct Io<C: Connector> {
    writers: BTreeMap<ConnId, mpsc::UnboundedSender<Outbound>>,
    relay: HttpClient<C>,
    /// REST calls the core has not answered yet.
    pending: Rc<Pending>,
    /// Where a finished hand-over reports back.
    inputs: mpsc::UnboundedSender<Input>,
    env: Rc<dyn Env>,
}

impl<C: Connector> Io<C> {
    /// Carries out everything the core asked for.
    fn carry_out(&mut self, server: &mut ZimServer) {
        while let Some(out) = server.poll_output() {
            match out {
                ServerOutput::Frame { conn, frame } => {
                    if let Some(w) = self.writers.get(&conn) {
                        self.env.record(SRC, Event::FrameOut { conn, frame: frame.clone() });
                        let _ = w.send(Outbound::Frame(frame));
                    }
                }
                ServerOutput::Close { conn } => {
                    if let Some(w) = self.writers.remove(&conn) {
                        self.env.record(SRC, Event::ConnClosed { conn });
                        let _ = w.send(Outbound::Close);
                    }
                }
                ServerOutput::Handover { id, request } => {
                    let (relay, inputs) = (self.relay.clone(), self.inputs.clone());
                    tokio::task::spawn_local(async move {
                        let status = match relay.send(request).await {
                            Ok(resp) => Some(resp.status),
                            Err(e) => {
                                tracing::debug!(handover = id, error = %e, "hand-over to the relay failed");
                                None
                            }
                        };
                        let _ = inputs.send(Input::Core(ServerInput::HandoverDone { id, status }));
                    });
                }
                ServerOutput::Respond(answer) => self.pending.answer(answer),
                ServerOutput::Event(event) => self.env.record(SRC, Event::Server { event }),
            }
        }
    }
}

async fn read_loop<R>(conn: ConnId, read: R, tx: mpsc::UnboundedSender<Input>)
where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut reader = FrameReader::new(read);
    // End of stream, an I/O error or a malformed frame ends the connection: framing is lost.
    // An oversized frame with a plausible length is skipped; the core decides what follows.
    loop {
        let input = match reader.read_or_skip::<ClientFrame>().await {
            Ok(Some(Incoming::Frame(frame))) => Input::Core(ServerInput::Frame { conn, frame }),
            Ok(Some(Incoming::TooLarge { len, req })) => Input::Core(ServerInput::FrameTooLarge { conn, req, len }),
            Ok(None) => break,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    let _ = tx.send(Input::BadFrame(conn, e.to_string()));
                }
                break;
            }
        };
        if tx.send(input).is_err() {
            return;
        }
    }
    let _ = tx.send(Input::Core(ServerInput::Disconnected { conn }));
}

async fn write_loop<W>(mut write: W, mut rx: mpsc::UnboundedReceiver<Outbound>, reader: tokio::task::AbortHandle)
where
    W: tokio::io::AsyncWrite + Unpin,
{
    while let Some(out) = rx.recv().await {
        match out {
            Outbound::Frame(frame) => {
                // A failed write means a broken socket: the reader sees it too and reports
                // the close, so it is left running.
                if write_frame(&mut write, &frame).await.is_err() {
                    return;
                }
            }
            Outbound::Close => break,
        }
    }
    // The server closed it: dropping both halves closes the socket (the reader holds one).
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut write).await;
    reader.abort();
}
