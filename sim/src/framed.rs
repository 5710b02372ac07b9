//! Length-prefixed JSON frames over any byte stream (the encoding is in
//! `zimsim_reference::wire`; this file only buffers and does I/O).

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zimsim_reference::wire::{decode_frame, encode_frame};

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

    /// The next frame; `Ok(None)` at a clean end of stream. A malformed frame is an
    /// `InvalidData` error naming the problem.
    pub async fn read<T: DeserializeOwned>(&mut self) -> io::Result<Option<T>> {
        loop {
            match decode_frame::<T>(&self.buf) {
                Ok(Some((frame, used))) => {
                    self.buf.drain(..used);
                    return Ok(Some(frame));
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
            let mut chunk = [0u8; 4096];
            let n = self.inner.read(&mut chunk).await?;
            if n == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(io::ErrorKind::UnexpectedEof, "stream ended inside a frame"))
                };
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Writes one frame and flushes it.
pub async fn write_frame<W: AsyncWrite + Unpin, T: Serialize>(w: &mut W, frame: &T) -> io::Result<()> {
    w.write_all(&encode_frame(frame)).await?;
    w.flush().await
}
