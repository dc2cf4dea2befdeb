//! A TCP stream that reports its writes, so a client knows when a request has left.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// A TCP stream that wakes the waiters of `written` after each successful write.
pub struct SignalingStream {
    stream: TcpStream,
    written: Arc<Notify>,
}

impl SignalingStream {
    pub fn new(stream: TcpStream, written: Arc<Notify>) -> Self {
        Self { stream, written }
    }

    fn signal(&self, result: &Poll<std::io::Result<usize>>) {
        if matches!(result, Poll::Ready(Ok(bytes)) if *bytes > 0) {
            self.written.notify_waiters();
        }
    }
}

impl AsyncRead for SignalingStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SignalingStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.signal(&result);
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.signal(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn write_wakes_waiter() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let client = TcpStream::connect(address).await.expect("connect");
        let (mut server, _) = listener.accept().await.expect("accept");

        let written = Arc::new(Notify::new());
        let mut stream = SignalingStream::new(client, Arc::clone(&written));
        let notified = written.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();

        stream.write_all(b"GET").await.expect("write");
        tokio::time::timeout(std::time::Duration::from_secs(5), notified).await.expect("the write notified the waiter");
        let mut received = [0_u8; 3];
        server.read_exact(&mut received).await.expect("read");
        assert_eq!(&received, b"GET");
    }
}
