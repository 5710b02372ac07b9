//! The socket seam: shells accept and connect through these traits, so the same shell runs
//! on turmoil's simulated network and on real tokio sockets.

use std::future::Future;
use std::io;
use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream the shells can use.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// Accepts connections (a bound TCP listener).
pub trait Listener: 'static {
    type Io: Stream;
    fn accept(&mut self) -> impl Future<Output = io::Result<Self::Io>>;
}

/// Opens connections to named endpoints (`zimsim_reference::topology`).
pub trait Connector: Clone + 'static {
    type Io: Stream;
    fn connect(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Self::Io>>;
}

/// turmoil's simulated TCP.
pub mod sim {
    use super::*;

    pub struct SimListener(pub turmoil::net::TcpListener);

    impl std::fmt::Debug for SimListener {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("SimListener")
        }
    }

    impl SimListener {
        pub async fn bind(port: u16) -> io::Result<SimListener> {
            Ok(SimListener(turmoil::net::TcpListener::bind(("0.0.0.0", port)).await?))
        }
    }

    impl Listener for SimListener {
        type Io = turmoil::net::TcpStream;
        async fn accept(&mut self) -> io::Result<Self::Io> {
            Ok(self.0.accept().await?.0)
        }
    }

    /// Connects by turmoil host name.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct SimConnector;

    impl Connector for SimConnector {
        type Io = turmoil::net::TcpStream;
        async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Io> {
            turmoil::net::TcpStream::connect((host, port)).await
        }
    }
}

/// Real tokio sockets (live mode), with endpoint names resolved through a fixed table.
pub mod real {
    use super::*;
    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::rc::Rc;

    #[derive(Debug)]
    pub struct TokioListener(pub tokio::net::TcpListener);

    impl Listener for TokioListener {
        type Io = tokio::net::TcpStream;
        async fn accept(&mut self) -> io::Result<Self::Io> {
            Ok(self.0.accept().await?.0)
        }
    }

    /// Maps endpoint names and ports to real addresses (in tests and live mode these are
    /// loopback listeners on ephemeral ports).
    #[derive(Clone, Debug, Default)]
    pub struct TokioConnector(pub Rc<BTreeMap<(String, u16), SocketAddr>>);

    impl Connector for TokioConnector {
        type Io = tokio::net::TcpStream;
        async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Io> {
            let addr = self.0.get(&(host.to_owned(), port)).copied().ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no address for endpoint {host}:{port}"))
            })?;
            tokio::net::TcpStream::connect(addr).await
        }
    }
}
