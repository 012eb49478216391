//! HTTP/1.1 over a Unix domain socket, with keep-alive reuse of idle connections.

use std::io::{BufReader, BufWriter, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::http1::{self, ReadError};
use super::{http_status_error, too_large, transport_error, Timeouts, Transport, EXCERPT_BYTES};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// Idle connections kept for reuse; more concurrent calls open more, and the extra ones are
/// closed when they finish.
const MAX_IDLE: usize = 16;

/// A [`Transport`] speaking HTTP/1.1 over a Unix domain socket (xapi's local socket,
/// xend's `/var/run/xend/xen-api.sock`).
///
/// `Timeouts::io` bounds each read and write; connecting to a local socket does not wait, so
/// `Timeouts::connect` does not apply.
pub struct UnixTransport {
    path: PathBuf,
    timeouts: Timeouts,
    headers: Vec<(String, String)>,
    idle: Mutex<Vec<BufReader<UnixStream>>>,
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

    fn connect(&self) -> Result<BufReader<UnixStream>> {
        let stream = UnixStream::connect(&self.path)
            .map_err(|e| transport_error(&self.url(), format!("cannot connect: {e}")))?;
        stream
            .set_read_timeout(self.timeouts.io)
            .and_then(|()| stream.set_write_timeout(self.timeouts.io))
            .map_err(|e| transport_error(&self.url(), format!("cannot set timeouts: {e}")))?;
        Ok(BufReader::with_capacity(64 * 1024, stream))
    }

    fn failure(&self, f: Failed) -> Error {
        match f {
            Failed::BeforeResponse(why) => transport_error(&self.url(), why),
            Failed::Other(e) => e,
        }
    }

    /// An idle connection the server has not closed meanwhile.
    fn take_idle(&self) -> Option<BufReader<UnixStream>> {
        loop {
            let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if still_open(&conn) {
                return Some(conn);
            }
        }
    }

    fn put_idle(&self, conn: BufReader<UnixStream>) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// One exchange on `conn`.
    fn exchange(
        &self,
        conn: &mut BufReader<UnixStream>,
        path: &str,
        body: &[u8],
        limits: &Limits,
    ) -> std::result::Result<http1::Response, Failed> {
        let content_type = if path.ends_with("jsonrpc") {
            "application/json"
        } else {
            "text/xml"
        };
        let mut out = BufWriter::new(conn.get_mut());
        let written = http1::write_post(
            &mut out,
            "localhost",
            path,
            content_type,
            &self.headers,
            body,
        )
        .and_then(|()| out.flush());
        drop(out);
        if let Err(e) = written {
            return Err(Failed::BeforeResponse(format!(
                "cannot send the request: {e}"
            )));
        }
        match http1::read_response(conn, limits.max_response_bytes, EXCERPT_BYTES) {
            Ok(r) => Ok(r),
            Err(ReadError::ClosedBeforeResponse) => Err(Failed::BeforeResponse(
                "the server closed the connection without a response".into(),
            )),
            Err(ReadError::TooLarge) => Err(Failed::Other(too_large(limits))),
            Err(ReadError::Malformed(why)) => Err(Failed::Other(transport_error(
                &self.url(),
                format!("invalid HTTP response: {why}"),
            ))),
            Err(ReadError::Io(e)) => Err(Failed::Other(io_error(&self.url(), e))),
        }
    }
}

/// How an exchange failed.
enum Failed {
    /// Nothing came back: on a reused connection the server may simply have closed it while
    /// idle, so the request can be sent again on a fresh one.
    BeforeResponse(String),
    Other(Error),
}

/// Whether an idle connection is still usable: nothing buffered, and a non-blocking read
/// finds neither the end of the stream nor unexpected bytes (either way it is discarded).
fn still_open(conn: &BufReader<UnixStream>) -> bool {
    if !conn.buffer().is_empty() {
        return false;
    }
    let stream = conn.get_ref();
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut probe = [0u8; 1];
    let open = matches!(
        std::io::Read::read(&mut &*stream, &mut probe),
        Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock
    );
    stream.set_nonblocking(false).is_ok() && open
}

fn io_error(url: &str, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            transport_error(url, "timed out waiting for the server")
        }
        _ => transport_error(url, format!("I/O error: {e}")),
    }
}

impl Transport for UnixTransport {
    fn post(&self, path: &str, body: &[u8], limits: &Limits) -> Result<Vec<u8>> {
        let (mut conn, reused) = match self.take_idle() {
            Some(c) => (c, true),
            None => (self.connect()?, false),
        };
        let response = match self.exchange(&mut conn, path, body, limits) {
            Ok(r) => r,
            Err(Failed::BeforeResponse(_)) if reused => {
                conn = self.connect()?;
                self.exchange(&mut conn, path, body, limits)
                    .map_err(|f| self.failure(f))?
            }
            Err(f) => return Err(self.failure(f)),
        };
        if !(200..300).contains(&response.status) {
            return Err(http_status_error(
                &self.url(),
                response.status,
                &response.body,
            ));
        }
        if response.reusable {
            self.put_idle(conn);
        }
        Ok(response.body)
    }

    fn describe(&self) -> String {
        self.url()
    }
}
