//! HTTP/1.1 over a Unix domain socket, with keep-alive reuse of idle connections.
//!
//! A call is sent again, once and only on a reused idle connection, when it provably never
//! reached the server:
//! - the first write of the request failed because the server had closed the connection, so
//!   the kernel accepted none of its bytes; or
//! - the server closed the connection without reading all of the request: Linux resets a Unix
//!   socket connection (ECONNRESET instead of the end of the stream) exactly when the closing
//!   side leaves unread data behind, and a server cannot run a call whose body it never read
//!   to the end. This is the race of a server closing an idle connection just as a request
//!   goes out on it.
//!
//! Any other failure after a byte was accepted (the end of the stream before a response, a
//! timeout, a broken response) is reported as such (the call may have run) and nothing is
//! sent again.

use std::io::{self, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::http1::{self, ReadError};
use super::{
    deadline_message, encoded_body_error, http_status_error, io_transport_error, too_large,
    transport_error, Timeouts, Transport, EXCERPT_BYTES,
};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// Idle connections kept for reuse; more concurrent calls open more, and the extra ones are
/// closed when they finish.
const MAX_IDLE: usize = 16;

/// A [`Transport`] speaking HTTP/1.1 over a Unix domain socket (xapi's local socket,
/// xend's `/var/run/xend/xen-api.sock`).
///
/// `Timeouts::io` bounds each read and write and `Timeouts::call` the whole call; connecting to
/// a local socket does not wait, so `Timeouts::connect` and `tls_handshake` do not apply.
pub struct UnixTransport {
    path: PathBuf,
    timeouts: Timeouts,
    headers: Vec<(String, String)>,
    idle: Mutex<Vec<UnixStream>>,
}

impl UnixTransport {
    /// A transport to the socket at `path`. Nothing is opened until the first call.
    pub fn new(path: impl AsRef<Path>, timeouts: Timeouts) -> Self {
        UnixTransport {
            path: path.as_ref().to_path_buf(),
            timeouts,
            headers: Vec::new(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends these extra headers with every request (see [`super::check_header`]).
    pub fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.headers = headers;
        self
    }

    fn url(&self) -> String {
        format!("unix:{}", self.path.display())
    }

    fn connect(&self) -> Result<UnixStream> {
        UnixStream::connect(&self.path)
            .map_err(|e| io_transport_error(&self.url(), "cannot connect", e))
    }

    /// An idle connection the server has not closed meanwhile.
    fn take_idle(&self) -> Option<UnixStream> {
        loop {
            let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if still_open(&conn) {
                return Some(conn);
            }
        }
    }

    fn put_idle(&self, conn: UnixStream) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// One exchange on `conn`; the response and whether the connection can be reused.
    fn exchange(
        &self,
        conn: &UnixStream,
        path: &str,
        body: &[u8],
        limits: &Limits,
        deadline: Option<Instant>,
    ) -> std::result::Result<(http1::Response, bool), Failed> {
        let content_type = if path.ends_with("jsonrpc") {
            "application/json"
        } else {
            "text/xml"
        };
        let mut timed = Timed {
            stream: conn,
            io: self.timeouts.io,
            deadline,
        };
        let head = http1::request_head("localhost", path, content_type, &self.headers, body.len());
        let total = head.len() + body.len();
        let mut sent = 0;
        if let Err(e) = send(&mut timed, &[&head, body], &mut sent) {
            if sent == 0 && http1::is_disconnect(&e) {
                return Err(Failed::NotDelivered(e));
            }
            let why = format!(
                "the connection failed after {sent} of the request's {total} bytes were sent: \
                 {}",
                self.io_words(&e, deadline)
            );
            return Err(Failed::Other(with_cause(&self.url(), why, e)));
        }
        let mut reader = BufReader::with_capacity(64 * 1024, timed);
        let response = http1::read_response(&mut reader, limits.max_response_bytes, EXCERPT_BYTES)
            .map_err(|e| match e {
                ReadError::ResetBeforeResponse(e) => Failed::NotDelivered(e),
                e => Failed::Other(self.read_error(e, limits, deadline)),
            })?;
        // Bytes beyond the response would belong to no request: do not reuse the connection.
        let clean = reader.buffer().is_empty();
        Ok((response, clean))
    }

    fn read_error(&self, e: ReadError, limits: &Limits, deadline: Option<Instant>) -> Error {
        let url = self.url();
        match e {
            ReadError::ClosedBeforeResponse => transport_error(
                &url,
                "the server closed the connection without answering after the request was \
                 sent; the call may have run on the server, so it is not sent again",
            ),
            ReadError::ResetBeforeResponse(e) => io_transport_error(
                &url,
                "the server reset the connection before reading all of the request",
                e,
            ),
            ReadError::TooLarge => too_large(limits),
            ReadError::Malformed(why) => {
                transport_error(&url, format!("invalid HTTP response: {why}"))
            }
            ReadError::Io(e) => {
                let why = self.io_words(&e, deadline);
                with_cause(&url, why, e)
            }
        }
    }

    /// An I/O failure in words, naming the timeout that cut it.
    fn io_words(&self, e: &io::Error, deadline: Option<Instant>) -> String {
        match (timed_out(e), self.timeouts.call) {
            (true, Some(d)) if deadline.is_some_and(|at| Instant::now() >= at) => {
                deadline_message(d)
            }
            (true, _) => format!(
                "no data for the I/O timeout of {:?}; the call may have run on the server",
                self.timeouts.io.unwrap_or_default()
            ),
            (false, _) => "the call may have run on the server".to_string(),
        }
    }
}

/// Whether a socket operation failed because its timeout passed.
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A transport error with the I/O error as its cause, unless it only says a timeout passed
/// (`why` names the timeout; EAGAIN would mislead).
fn with_cause(url: &str, why: String, e: io::Error) -> Error {
    if timed_out(&e) {
        transport_error(url, why)
    } else {
        io_transport_error(url, why, e)
    }
}

/// Writes `parts` in order, counting in `sent` the bytes the kernel accepted.
fn send(out: &mut impl Write, parts: &[&[u8]], sent: &mut usize) -> io::Result<()> {
    for part in parts {
        let mut rest = *part;
        while !rest.is_empty() {
            match out.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    *sent += n;
                    rest = &rest[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// How an exchange failed.
enum Failed {
    /// The server closed the connection before the request (no byte of it was accepted) or
    /// without reading all of it (a reset): it can be sent again on a fresh connection.
    NotDelivered(io::Error),
    Other(Error),
}

/// The socket, with each read and write bounded by the I/O timeout and the call's deadline.
struct Timed<'a> {
    stream: &'a UnixStream,
    io: Option<Duration>,
    deadline: Option<Instant>,
}

impl Timed<'_> {
    /// The longest the next operation may wait; an error once the deadline has passed.
    fn wait(&self) -> io::Result<Option<Duration>> {
        let left = self
            .deadline
            .map(|at| at.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(match (left, self.io) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
        .map(|d| d.max(Duration::from_millis(1))))
    }
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(self.wait()?)?;
        (&mut &*self.stream).read(buf)
    }
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(self.wait()?)?;
        (&mut &*self.stream).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether an idle connection is still usable: a non-blocking read finds neither the end of
/// the stream nor unexpected bytes (either way it is discarded).
fn still_open(stream: &UnixStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut probe = [0u8; 1];
    let open = matches!(
        (&mut &*stream).read(&mut probe),
        Err(ref e) if e.kind() == io::ErrorKind::WouldBlock
    );
    stream.set_nonblocking(false).is_ok() && open
}

impl Transport for UnixTransport {
    fn post(&self, path: &str, body: &[u8], limits: &Limits) -> Result<Vec<u8>> {
        let deadline = self.timeouts.call.map(|d| Instant::now() + d);
        let (mut conn, reused) = match self.take_idle() {
            Some(c) => (c, true),
            None => (self.connect()?, false),
        };
        let mut outcome = self.exchange(&conn, path, body, limits, deadline);
        if reused && matches!(outcome, Err(Failed::NotDelivered(_))) {
            conn = self.connect()?;
            outcome = self.exchange(&conn, path, body, limits, deadline);
        }
        let (response, clean) = match outcome {
            Ok(r) => r,
            Err(Failed::NotDelivered(e)) => {
                return Err(io_transport_error(
                    &self.url(),
                    "the server closed the connection without reading the request (not run)",
                    e,
                ))
            }
            Err(Failed::Other(e)) => return Err(e),
        };
        if !(200..300).contains(&response.status) {
            return Err(http_status_error(
                &self.url(),
                response.status,
                &response.body,
                response.location.as_deref(),
            ));
        }
        if let Some(encoding) = &response.encoding {
            return Err(encoded_body_error(&self.url(), encoding));
        }
        if response.reusable && clean {
            self.put_idle(conn);
        }
        Ok(response.body)
    }

    fn describe(&self) -> String {
        self.url()
    }
}
