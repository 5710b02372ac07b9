//! Length-prefixed JSON frames over any byte stream (the encoding is in
//! `zimsim_reference::wire`; this file only buffers and does I/O).

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use zimsim_reference::error::FrameError;
use zimsim_reference::wire::{decode_frame, encode_frame, peek_request_id, MAX_SKIPPABLE_FRAME_LEN};

/// How many bytes of an oversized frame are read to find its request ID.
const PEEK_LEN: usize = 256;

/// What [`FrameReader::read_or_skip`] found next on the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<T> {
    Frame(T),
    /// A frame over the size limit, read past and dropped; `req` as its first bytes show it.
    TooLarge {
        len: usize,
        req: Option<u64>,
    },
}

/// Reads whole frames from a byte stream.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader { inner, buf: Vec::with_capacity(4096) }
    }

    /// The next frame; `Ok(None)` at a clean end of stream. A malformed or oversized frame
    /// is an `InvalidData` error naming the problem.
    pub async fn read<T: DeserializeOwned>(&mut self) -> io::Result<Option<T>> {
        loop {
            match decode_frame::<T>(&self.buf) {
                Ok(Some((frame, used))) => {
                    self.buf.drain(..used);
                    return Ok(Some(frame));
                }
                Ok(None) => {}
                Err(e) => return Err(invalid(e)),
            }
            if !self.fill().await? {
                return self.end();
            }
        }
    }

    /// Like [`read`](Self::read), but a frame over the size limit whose length prefix is
    /// still plausible ([`MAX_SKIPPABLE_FRAME_LEN`]) is read past and reported rather than
    /// ending the stream, so the peer can be told which request failed.
    pub async fn read_or_skip<T: DeserializeOwned>(&mut self) -> io::Result<Option<Incoming<T>>> {
        loop {
            match decode_frame::<T>(&self.buf) {
                Ok(Some((frame, used))) => {
                    self.buf.drain(..used);
                    return Ok(Some(Incoming::Frame(frame)));
                }
                Ok(None) => {}
                Err(FrameError::TooLarge { len, .. }) if len <= MAX_SKIPPABLE_FRAME_LEN => {
                    return self.skip(len).await.map(|req| Some(Incoming::TooLarge { len, req }));
                }
                Err(e) => return Err(invalid(e)),
            }
            if !self.fill().await? {
                return self.end();
            }
        }
    }

    /// Drops the frame of `len` bytes at the head of the buffer (prefix included), returning
    /// the request ID its first bytes show.
    async fn skip(&mut self, len: usize) -> io::Result<Option<u64>> {
        while self.buf.len() < 4 + len.min(PEEK_LEN) {
            if !self.fill().await? {
                return Err(truncated());
            }
        }
        let req = peek_request_id(&self.buf[4..4 + len.min(PEEK_LEN)]);
        let mut remaining = 4 + len;
        loop {
            let n = remaining.min(self.buf.len());
            self.buf.drain(..n);
            remaining -= n;
            if remaining == 0 {
                return Ok(req);
            }
            if !self.fill().await? {
                return Err(truncated());
            }
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    async fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 4096];
        let n = self.inner.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// The stream ended: cleanly between frames, or inside one.
    fn end<X>(&self) -> io::Result<Option<X>> {
        if self.buf.is_empty() {
            Ok(None)
        } else {
            Err(truncated())
        }
    }
}

fn invalid(e: FrameError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "stream ended inside a frame")
}

/// Writes one frame and flushes it.
pub async fn write_frame<W: AsyncWrite + Unpin, T: Serialize>(w: &mut W, frame: &T) -> io::Result<()> {
    w.write_all(&encode_frame(frame)).await?;
    w.flush().await
}

/// Moves frames both ways over one connection until either side ends or `outgoing` closes:
/// frames from `outgoing` are written, frames read are handed to `incoming`. (Reads are
/// cancel-safe: a read interrupted by a write loses no bytes.)
pub async fn pump<R, W, In, Out>(
    read: R,
    mut write: W,
    mut outgoing: mpsc::UnboundedReceiver<Out>,
    mut incoming: impl FnMut(In),
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    In: DeserializeOwned,
    Out: Serialize,
{
    let mut reader = FrameReader::new(read);
    loop {
        tokio::select! {
            biased;
            frame = outgoing.recv() => match frame {
                Some(f) => if write_frame(&mut write, &f).await.is_err() { return },
                None => return,
            },
            frame = reader.read::<In>() => match frame {
                Ok(Some(f)) => incoming(f),
                Ok(None) | Err(_) => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use zimsim_reference::wire::{ClientFrame, MAX_FRAME_LEN};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
    }

    #[test]
    fn frames_split_across_writes_and_packed_together_both_decode() {
        block_on(async {
            let (mut a, b) = tokio::io::duplex(64);
            let mut bytes = encode_frame(&ClientFrame::Heartbeat);
            bytes.extend(encode_frame(&ClientFrame::Logout { req: 7 }));
            let writer = async move {
                for chunk in bytes.chunks(5) {
                    a.write_all(chunk).await.expect("write");
                }
            };
            let mut reader = FrameReader::new(b);
            let reads = async {
                let first = reader.read::<ClientFrame>().await.expect("first");
                let second = reader.read::<ClientFrame>().await.expect("second");
                let end = reader.read::<ClientFrame>().await.expect("clean end");
                (first, second, end)
            };
            let ((), got) = tokio::join!(writer, reads);
            assert_eq!(got, (Some(ClientFrame::Heartbeat), Some(ClientFrame::Logout { req: 7 }), None));
        });
    }

    #[test]
    fn a_stream_that_ends_inside_a_frame_is_an_error_not_a_clean_end() {
        block_on(async {
            let (mut a, b) = tokio::io::duplex(64);
            let bytes = encode_frame(&ClientFrame::Heartbeat);
            a.write_all(&bytes[..bytes.len() - 1]).await.expect("write");
            drop(a);
            let err = FrameReader::new(b).read::<ClientFrame>().await.expect_err("truncated");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        });
    }

    #[test]
    fn an_oversized_frame_is_skipped_whole_and_reported_with_its_request_id() {
        block_on(async {
            let (mut a, b) = tokio::io::duplex(64);
            let big = ClientFrame::Logout { req: 41 };
            // A frame over the limit: the Logout JSON padded past MAX_FRAME_LEN with spaces.
            let mut json = serde_json::to_vec(&big).expect("json");
            json.resize(MAX_FRAME_LEN + 10, b' ');
            let mut bytes = (json.len() as u32).to_be_bytes().to_vec();
            bytes.extend_from_slice(&json);
            bytes.extend(encode_frame(&ClientFrame::Heartbeat));
            let writer = async move {
                a.write_all(&bytes).await.expect("write");
            };
            let mut reader = FrameReader::new(b);
            let reads = async {
                let first = reader.read_or_skip::<ClientFrame>().await.expect("skipped");
                let second = reader.read_or_skip::<ClientFrame>().await.expect("next frame");
                (first, second)
            };
            let ((), got) = tokio::join!(writer, reads);
            assert_eq!(got.0, Some(Incoming::TooLarge { len: MAX_FRAME_LEN + 10, req: Some(41) }));
            assert_eq!(got.1, Some(Incoming::Frame(ClientFrame::Heartbeat)));
        });
    }

    #[test]
    fn a_garbage_length_prefix_is_not_skipped_but_invalid_data() {
        block_on(async {
            let (mut a, b) = tokio::io::duplex(64);
            a.write_all(&[0xff, 0xff, 0xff, 0xff, b'{']).await.expect("write");
            let err = FrameReader::new(b).read_or_skip::<ClientFrame>().await.expect_err("garbage");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        });
    }

    #[test]
    fn an_oversized_length_prefix_is_invalid_data_naming_the_limit() {
        block_on(async {
            let (mut a, b) = tokio::io::duplex(64);
            a.write_all(&((MAX_FRAME_LEN as u32) + 1).to_be_bytes()).await.expect("write");
            let err = FrameReader::new(b).read::<ClientFrame>().await.expect_err("too large");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(err.to_string().contains("exceeds"), "{err}");
        });
    }
}
