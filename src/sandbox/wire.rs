//! Faults on the wire: connections the sandbox can close or reset from inside a
//! handler, and replies it sends late, slowly or cut short.
//!
//! axum hands a handler no socket, so the sandbox serves through its own listener:
//! each connection's stream shares a switch with the handler (as its `ConnectInfo`).
//! Once a handler throws it, the stream refuses to write, hyper drops the connection,
//! and nothing of the reply leaves — closed with a FIN, or with a RST.

use super::faults::Fault;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::Connected;
use axum::http::header;
use axum::response::Response;
use axum::serve::IncomingStream;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

const OPEN: u8 = 0;
const CLOSE: u8 = 1;
const RESET: u8 = 2;

/// The sandbox's listener: TCP connections a handler can cut.
pub(super) struct Listener(pub TcpListener);

/// A connection as its handler sees it: the switch that cuts it.
#[derive(Debug, Clone)]
pub(super) struct Conn {
    switch: Arc<AtomicU8>,
}

impl Conn {
    /// Closes the connection before anything more is written (FIN).
    pub fn close(&self) {
        self.switch.store(CLOSE, Ordering::SeqCst);
    }

    /// Resets the connection before anything more is written (RST).
    pub fn reset(&self) {
        self.switch.store(RESET, Ordering::SeqCst);
    }
}

impl axum::serve::Listener for Listener {
    type Io = Stream;
    type Addr = (SocketAddr, Conn);

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((tcp, peer)) => {
                    let switch = Arc::new(AtomicU8::new(OPEN));
                    let conn = Conn {
                        switch: switch.clone(),
                    };
                    return (Stream { tcp, switch }, (peer, conn));
                }
                // Out of descriptors, a peer gone before accept: wait, go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        let conn = Conn {
            switch: Arc::default(),
        };
        Ok((self.0.local_addr()?, conn))
    }
}

impl Connected<IncomingStream<'_, Listener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        stream.remote_addr().1.clone()
    }
}

/// A TCP stream that stops working once its switch is thrown.
pub(super) struct Stream {
    tcp: TcpStream,
    switch: Arc<AtomicU8>,
}

impl Stream {
    /// The error that ends the connection, if it was cut; a reset one lingers zero
    /// seconds, so closing it sends a RST.
    fn cut(&self) -> Option<io::Error> {
        match self.switch.load(Ordering::SeqCst) {
            OPEN => None,
            state => {
                if state == RESET {
                    // A zero linger never blocks (`set_zero_linger` needs tokio 1.50).
                    #[allow(deprecated)]
                    let _ = self.tcp.set_linger(Some(Duration::ZERO));
                }
                Some(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "cut by the sandbox",
                ))
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.cut() {
            Some(e) => Poll::Ready(Err(e)),
            None => Pin::new(&mut self.tcp).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.cut() {
            Some(e) => Poll::Ready(Err(e)),
            None => Pin::new(&mut self.tcp).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.cut() {
            Some(e) => Poll::Ready(Err(e)),
            None => Pin::new(&mut self.tcp).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// `response` as `fault` delivers it: not at all, late, slowly or cut short.
pub(super) async fn deliver(fault: Fault, response: Response, conn: &Conn) -> Response {
    match fault {
        Fault::DropConnection | Fault::ReplyLost => {
            conn.close();
            response
        }
        Fault::Reset => {
            conn.reset();
            response
        }
        Fault::ReplyLate(delay) => {
            tokio::time::sleep(delay).await;
            response
        }
        Fault::TruncatedBody => cut_short(response, true).await,
        Fault::TruncatedChunked => cut_short(response, false).await,
        Fault::Trickle { bytes, every } => {
            let (mut parts, body) = response.into_parts();
            let whole = collect(body).await;
            parts
                .headers
                .insert(header::CONTENT_LENGTH, whole.len().into());
            let pieces = whole.chunks(bytes.max(1)).map(Bytes::copy_from_slice);
            Response::from_parts(parts, Body::new(Paced::new(pieces, every, false)))
        }
        // The other faults are answered before the endpoint runs.
        _ => response,
    }
}

/// Half of `response`'s body, then a broken connection; `announce_length` keeps a
/// `Content-Length` of the whole (else the body goes chunked).
async fn cut_short(response: Response, announce_length: bool) -> Response {
    let (mut parts, body) = response.into_parts();
    let whole = collect(body).await;
    parts.headers.remove(header::CONTENT_LENGTH);
    if announce_length {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, whole.len().into());
    }
    let half = whole.slice(..whole.len() / 2);
    // A pause before breaking, so that the half is flushed first.
    let body = Paced::new([half], Duration::from_millis(50), true);
    Response::from_parts(parts, Body::new(body))
}

async fn collect(body: Body) -> Bytes {
    axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
}

/// A body sent in pieces, a pause after each; `then_break`: an error after the last
/// (hyper then drops the connection without ending the body).
struct Paced {
    pieces: VecDeque<Bytes>,
    every: Duration,
    then_break: bool,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Paced {
    fn new(pieces: impl IntoIterator<Item = Bytes>, every: Duration, then_break: bool) -> Self {
        Paced {
            pieces: pieces.into_iter().collect(),
            every,
            then_break,
            pause: None,
        }
    }
}

impl http_body::Body for Paced {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        if let Some(pause) = self.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
            self.pause = None;
        }
        match self.pieces.pop_front() {
            Some(piece) => {
                if !self.pieces.is_empty() || self.then_break {
                    self.pause = Some(Box::pin(tokio::time::sleep(self.every)));
                }
                Poll::Ready(Some(Ok(http_body::Frame::data(piece))))
            }
            None if self.then_break => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "reply cut short by the sandbox",
            )))),
            None => Poll::Ready(None),
        }
    }
}
