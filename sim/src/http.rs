//! HTTP plumbing for the shells, on hyper: a single-threaded executor, a server loop that
//! hands each request to a core and awaits its numbered answer, and a small client with one reusable
//! connection per endpoint. No real-clock `Date` header is ever written (it would make
//! traces differ between runs).

use crate::net::{Connector, Listener};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::oneshot;
use zimsim_reference::core::ApiResponse;
use zimsim_reference::http::{HttpRequest, HttpResponse};

/// Largest request or response body the shells read.
const MAX_BODY: usize = 1 << 20;

/// Runs hyper's background tasks on the current thread's `LocalSet` (turmoil runs every host
/// in one), so cores can live in `Rc<RefCell<_>>` and stay deterministic.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalExec;

impl<F: Future + 'static> hyper::rt::Executor<F> for LocalExec {
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}

/// Which HTTP versions a server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocols {
    /// HTTP/2 only, prior knowledge (APNs).
    Http2,
    /// HTTP/1.1 and HTTP/2 (detected from the connection preface).
    Auto,
}

/// A request handler: hands the request to a core and waits for the core's answer.
pub type Handler = Rc<dyn Fn(HttpRequest) -> Pin<Box<dyn Future<Output = HttpResponse>>>>;

/// Requests a core has not answered yet. A shell numbers each request it feeds a core
/// ([`Pending::open`]) and routes the core's `ApiResponse` back by that number.
#[derive(Debug, Default)]
pub struct Pending {
    next: Cell<u64>,
    waiting: RefCell<BTreeMap<u64, oneshot::Sender<HttpResponse>>>,
}

impl Pending {
    /// A number for a new request, and the answer to wait for. An answer that never comes
    /// (the process restarted) reads as 503.
    pub fn open(&self) -> (u64, impl Future<Output = HttpResponse> + 'static) {
        let id = self.next.get();
        self.next.set(id + 1);
        let (tx, rx) = oneshot::channel();
        self.waiting.borrow_mut().insert(id, tx);
        let answer = async move {
            rx.await.unwrap_or_else(|_| {
                HttpResponse::json(503, &serde_json::json!({ "error": "the server went away before answering" }))
            })
        };
        (id, answer)
    }

    pub fn answer(&self, answer: ApiResponse) {
        if let Some(tx) = self.waiting.borrow_mut().remove(&answer.id) {
            let _ = tx.send(answer.response);
        }
    }
}

/// Serves HTTP on `listener` until the task is dropped.
pub async fn serve<L: Listener>(mut listener: L, protocols: Protocols, handler: Handler) -> io::Result<()> {
    loop {
        let io = TokioIo::new(listener.accept().await?);
        let handler = handler.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let handler = handler.clone();
            async move {
                let resp = match from_hyper_request(req).await {
                    Ok(req) => handler(req).await,
                    Err(why) => HttpResponse::json(400, &serde_json::json!({ "error": why })),
                };
                Ok::<_, std::convert::Infallible>(into_hyper_response(resp))
            }
        });
        tokio::task::spawn_local(async move {
            // A connection error only ends that connection.
            let _ = match protocols {
                Protocols::Http2 => {
                    let mut b = hyper::server::conn::http2::Builder::new(LocalExec);
                    b.auto_date_header(false);
                    b.serve_connection(io, service).await
                }
                Protocols::Auto => {
                    let mut b = hyper_util::server::conn::auto::Builder::new(LocalExec);
                    b.http1().auto_date_header(false);
                    b.http2().auto_date_header(false);
                    b.serve_connection(io, service).await.map_err(|_| ()).or(Ok(()))
                }
            };
        });
    }
}

async fn from_hyper_request(req: hyper::Request<Incoming>) -> Result<HttpRequest, String> {
    let (parts, body) = req.into_parts();
    let body = http_body_util::Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("could not read the request body: {e}"))?
        .to_bytes();
    Ok(HttpRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
        headers: headers_of(&parts.headers),
        body: body.to_vec(),
    })
}

fn headers_of(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter().map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

fn into_hyper_response(resp: HttpResponse) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder().status(resp.status);
    for (n, v) in &resp.headers {
        b = b.header(n, v);
    }
    b.body(Full::new(Bytes::from(resp.body))).unwrap_or_else(|_| {
        let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"response could not be built")));
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

/// An HTTP client for one endpoint, keeping one connection and reopening it when it fails.
/// HTTP/2 requests share the connection concurrently; HTTP/1.1 requests take turns.
pub struct HttpClient<C: Connector> {
    connector: C,
    host: String,
    port: u16,
    http2: bool,
    timeout: Duration,
    conn: Rc<tokio::sync::Mutex<Option<Sender>>>,
}

impl<C: Connector> Clone for HttpClient<C> {
    fn clone(&self) -> Self {
        HttpClient {
            connector: self.connector.clone(),
            host: self.host.clone(),
            port: self.port,
            http2: self.http2,
            timeout: self.timeout,
            conn: self.conn.clone(),
        }
    }
}

impl<C: Connector> std::fmt::Debug for HttpClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpClient({}:{}, h2={})", self.host, self.port, self.http2)
    }
}

impl<C: Connector> HttpClient<C> {
    pub fn new(connector: C, host: &str, port: u16, http2: bool) -> Self {
        HttpClient {
            connector,
            host: host.to_owned(),
            port,
            http2,
            timeout: Duration::from_secs(5),
            conn: Rc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Sends one request; any failure (connect, I/O, timeout) is an `io::Error`, after
    /// which the next request opens a new connection.
    pub async fn send(&self, req: HttpRequest) -> io::Result<HttpResponse> {
        self.send_within(req, self.timeout).await
    }

    /// [`HttpClient::send`], waiting `timeout` for the answer instead of the client's own.
    pub async fn send_within(&self, req: HttpRequest, timeout: Duration) -> io::Result<HttpResponse> {
        match tokio::time::timeout(timeout, self.try_send(req)).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => {
                *self.conn.lock().await = None;
                Err(e)
            }
            Err(_) => {
                *self.conn.lock().await = None;
                Err(io::Error::new(io::ErrorKind::TimedOut, format!("no answer from {}", self.host)))
            }
        }
    }

    async fn try_send(&self, req: HttpRequest) -> io::Result<HttpResponse> {
        let uri = format!("http://{}{}", self.host, req.path);
        let mut b = hyper::Request::builder().method(req.method.as_str()).uri(uri);
        if !self.http2 {
            b = b.header("host", &self.host);
        }
        for (n, v) in &req.headers {
            b = b.header(n, v);
        }
        let request = b.body(Full::new(Bytes::from(req.body))).map_err(io::Error::other)?;
        let mut guard = self.conn.lock().await;
        if guard.as_ref().is_none_or(|s| match s {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
        }) {
            *guard = Some(self.open().await?);
        }
        let response = match guard.as_mut().expect("opened above") {
            Sender::H2(s) => {
                let mut s = s.clone();
                drop(guard); // HTTP/2 multiplexes: let other requests go meanwhile
                s.ready().await.map_err(io::Error::other)?;
                s.send_request(request).await
            }
            Sender::H1(s) => {
                s.ready().await.map_err(io::Error::other)?;
                s.send_request(request).await
            }
        }
        .map_err(io::Error::other)?;
        let status = response.status().as_u16();
        let headers = headers_of(response.headers());
        let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| io::Error::other(e.to_string()))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse { status, headers, body })
    }

    async fn open(&self) -> io::Result<Sender> {
        let io = TokioIo::new(self.connector.connect(&self.host, self.port).await?);
        if self.http2 {
            let (s, conn) = hyper::client::conn::http2::handshake(LocalExec, io).await.map_err(io::Error::other)?;
            tokio::task::spawn_local(conn);
            Ok(Sender::H2(s))
        } else {
            let (s, conn) = hyper::client::conn::http1::handshake(io).await.map_err(io::Error::other)?;
            tokio::task::spawn_local(conn);
            Ok(Sender::H1(s))
        }
    }
}
