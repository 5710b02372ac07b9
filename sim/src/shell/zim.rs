//! The ZIM server shell. One task owns the [`ZimServer`] core and serialises every input to
//! it (connection events, frames, the presence timer); per-connection tasks only move bytes.
//! Pushes go to the relay through an ordered queue served by one HTTP client task.
//!
//! The core outlives the shell: it holds the server's durable store, and a crashed and
//! restarted host runs a new shell over it, which first tells it the process restarted
//! ([`ZimServer::restart`] says what survives).

use crate::framed::{write_frame, FrameReader, Incoming};
use crate::http::HttpClient;
use crate::net::{Connector, Listener};
use crate::trace::{Env, Event, Source};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc;
use zimsim_reference::http::HttpRequest;
use zimsim_reference::ids::ConnId;
use zimsim_reference::server::{ServerOutput, ZimServer};
use zimsim_reference::topology;
use zimsim_reference::wire::{ClientFrame, PushRequest, ServerFrame};

const SRC: Source = Source::Host(topology::ZIM.host);

/// Inputs to the core task.
enum Input {
    Opened(ConnId, mpsc::UnboundedSender<Outbound>),
    Frame(ConnId, ClientFrame),
    /// Bytes that are not a frame; the connection is being closed.
    BadFrame(ConnId, String),
    /// A frame over the size limit was skipped unread.
    TooLarge(ConnId, usize, Option<u64>),
    Closed(ConnId),
}

/// What a connection's writer task is told to do.
enum Outbound {
    Frame(ServerFrame),
    /// Flush what came before, then close both directions.
    Close,
}

/// Runs the ZIM server until the task is dropped: accepts on `listener`, pushes through the
/// relay reached with `connector`.
pub async fn run<L: Listener, C: Connector>(
    mut listener: L,
    connector: C,
    core: Rc<RefCell<ZimServer>>,
    env: Rc<dyn Env>,
) -> io::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Input>();
    let pushes = spawn_relay_client(connector, env.clone());

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

    let mut writers: BTreeMap<ConnId, mpsc::UnboundedSender<Outbound>> = BTreeMap::new();
    tracing::debug!("ZIM server starting over its durable store");
    core.borrow_mut().restart(env.now());
    drain(&mut core.borrow_mut(), &mut writers, &pushes, &*env);
    loop {
        let sleep = core.borrow().next_deadline().map(|d| Duration::from_millis(d.since(env.now())));
        let ready = tokio::select! {
            // Biased: inputs first, then the timer; with equal readiness the order is fixed.
            biased;
            input = rx.recv() => Some(input),
            _ = tokio::time::sleep(sleep.unwrap_or_default()), if sleep.is_some() => None,
        };
        // Borrowed only between awaits: this task is the core's one user.
        let mut server = core.borrow_mut();
        match ready {
            Some(input) => {
                let now = env.now();
                match input {
                    Some(Input::Opened(conn, out)) => {
                        env.record(SRC, Event::ConnOpened { conn });
                        writers.insert(conn, out);
                        server.on_connect(conn, now);
                    }
                    Some(Input::Frame(conn, frame)) => {
                        env.record(SRC, Event::FrameIn { conn, frame: frame.clone() });
                        server.on_frame(conn, frame, now);
                    }
                    Some(Input::BadFrame(conn, error)) => env.record(SRC, Event::BadFrame { conn, error }),
                    Some(Input::TooLarge(conn, len, req)) => {
                        env.record(SRC, Event::FrameTooLarge { conn, len, req });
                        server.on_frame_too_large(conn, req, len, now);
                    }
                    Some(Input::Closed(conn)) => {
                        if writers.remove(&conn).is_some() {
                            env.record(SRC, Event::ConnClosed { conn });
                        }
                        server.on_disconnect(conn, now);
                    }
                    None => return Ok(()),
                }
            }
            None => server.tick(env.now()),
        }
        drain(&mut server, &mut writers, &pushes, &*env);
    }
}

/// Carries out everything the core asked for.
fn drain(
    server: &mut ZimServer,
    writers: &mut BTreeMap<ConnId, mpsc::UnboundedSender<Outbound>>,
    pushes: &mpsc::UnboundedSender<PushRequest>,
    env: &dyn Env,
) {
    while let Some(out) = server.poll_output() {
        match out {
            ServerOutput::Frame { conn, frame } => {
                if let Some(w) = writers.get(&conn) {
                    env.record(SRC, Event::FrameOut { conn, frame: frame.clone() });
                    let _ = w.send(Outbound::Frame(frame));
                }
            }
            ServerOutput::Close { conn } => {
                if let Some(w) = writers.remove(&conn) {
                    env.record(SRC, Event::ConnClosed { conn });
                    let _ = w.send(Outbound::Close);
                }
            }
            ServerOutput::Push(request) => {
                let _ = pushes.send(request);
            }
            ServerOutput::Event(event) => env.record(SRC, Event::Server { event }),
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
            Ok(Some(Incoming::Frame(frame))) => Input::Frame(conn, frame),
            Ok(Some(Incoming::TooLarge { len, req })) => Input::TooLarge(conn, len, req),
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
    let _ = tx.send(Input::Closed(conn));
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

/// How many times the server tries to hand one push to the relay (250 ms, 500 ms, 1 s apart).
const HANDOVER_ATTEMPTS: u32 = 4;

/// Hands pushes to the relay in order, retrying each a few times if the relay is
/// unreachable. A push that cannot be handed over is dropped (and traced): the message
/// itself is stored and reaches the user by sync.
fn spawn_relay_client<C: Connector>(connector: C, env: Rc<dyn Env>) -> mpsc::UnboundedSender<PushRequest> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PushRequest>();
    let client = HttpClient::new(connector, topology::ZPNS.host, topology::ZPNS.port, false);
    tokio::task::spawn_local(async move {
        while let Some(request) = rx.recv().await {
            let body = serde_json::to_vec(&request).expect("push requests serialize");
            let mut status = None;
            for attempt in 0..HANDOVER_ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(250 << (attempt - 1))).await;
                }
                let req = HttpRequest::post("/v1/push", body.clone()).header("content-type", "application/json");
                match client.send(req).await {
                    Ok(resp) => {
                        status = Some(resp.status);
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(message = %request.message_id, attempt, error = %e, "hand-over to the relay failed")
                    }
                }
            }
            env.record(SRC, Event::PushSubmitted { request, status });
        }
    });
    tx
}
