//! A minimal HTTP/1.1 client exchange over any byte stream: one POST with a Content-Length,
//! a response delimited by Content-Length, chunked encoding or the end of the stream.
//! Used by the Unix-socket transport (xapi and xend speak plain HTTP/1.1 there).

use std::io::{self, BufRead, Read, Write};

/// The largest status line plus headers we accept.
const MAX_HEAD_BYTES: u64 = 64 * 1024;

/// What went wrong reading a response.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The stream failed (or timed out).
    Io(io::Error),
    /// The stream ended before the first byte of a response (a stale keep-alive connection).
    ClosedBeforeResponse,
    /// The bytes are not HTTP.
    Malformed(String),
    /// The body is larger than allowed.
    TooLarge,
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// A complete response.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    /// The body, or for an unsuccessful status only its start.
    pub body: Vec<u8>,
    /// Whether the connection can carry another request.
    pub reusable: bool,
}

/// Writes a POST request with a body.
pub(crate) fn write_post(
    out: &mut impl Write,
    host: &str,
    path: &str,
    content_type: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: xenapi-rs/{}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += "\r\n";
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

/// Reads one response. The body of a 2xx response may be up to `max_body` bytes; of any other
/// status only the first `excerpt` bytes are kept (and the connection is not reused).
pub(crate) fn read_response(
    input: &mut impl BufRead,
    max_body: u64,
    excerpt: usize,
) -> Result<Response, ReadError> {
    let mut line = Vec::new();
    let mut head_budget = MAX_HEAD_BYTES;
    match read_line(input, &mut line, &mut head_budget) {
        Ok(0) => return Err(ReadError::ClosedBeforeResponse),
        Ok(_) => {}
        Err(ReadError::Io(e)) if line.is_empty() && is_disconnect(&e) => {
            return Err(ReadError::ClosedBeforeResponse)
        }
        Err(e) => return Err(e),
    }
    let (http10, status) = parse_status_line(&line)?;
    let mut content_length = None;
    let mut chunked = false;
    let mut close = http10;
    loop {
        line.clear();
        if read_line(input, &mut line, &mut head_budget)? == 0 {
            return Err(malformed(
                "the connection closed inside the response headers",
            ));
        }
        let text = trim_crlf(&line);
        if text.is_empty() {
            break;
        }
        let text = std::str::from_utf8(text).map_err(|_| malformed("a header is not UTF-8"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| malformed(&format!("header line without ':': {text:?}")))?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n = value
                    .parse::<u64>()
                    .map_err(|_| malformed(&format!("bad Content-Length {value:?}")))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(malformed("conflicting Content-Length headers"));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => {
                chunked = value
                    .to_ascii_lowercase()
                    .split(',')
                    .any(|t| t.trim() == "chunked");
            }
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    close = true;
                } else if v.contains("keep-alive") {
                    close = false;
                }
            }
            _ => {}
        }
    }
    let success = (200..300).contains(&status);
    let cap = if success { max_body } else { excerpt as u64 };
    let mut body = Vec::new();
    let complete = if chunked {
        let complete = read_chunked(input, cap, &mut body)?;
        if success && !complete {
            return Err(ReadError::TooLarge);
        }
        complete
    } else if let Some(len) = content_length {
        if len > cap && success {
            return Err(ReadError::TooLarge);
        }
        body.reserve(len.min(cap).min(16 * 1024 * 1024) as usize);
        let n = input.take(len.min(cap)).read_to_end(&mut body)? as u64;
        if n < len.min(cap) {
            return Err(malformed("the connection closed inside the response body"));
        }
        len <= cap
    } else {
        close = true;
        input.take(cap + 1).read_to_end(&mut body)?;
        if body.len() as u64 > cap {
            if success {
                return Err(ReadError::TooLarge);
            }
            body.truncate(cap as usize);
        }
        true
    };
    Ok(Response {
        status,
        body,
        reusable: success && complete && !close,
    })
}

/// Reads a chunked body into `body`, stopping at `cap` bytes; returns whether the whole body
/// fitted.
fn read_chunked(input: &mut impl BufRead, cap: u64, body: &mut Vec<u8>) -> Result<bool, ReadError> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut budget = 1024;
        if read_line(input, &mut line, &mut budget)? == 0 {
            return Err(malformed("the connection closed inside a chunked body"));
        }
        let text =
            std::str::from_utf8(trim_crlf(&line)).map_err(|_| malformed("bad chunk size"))?;
        let size_hex = text.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_hex, 16)
            .map_err(|_| malformed(&format!("bad chunk size {size_hex:?}")))?;
        if size == 0 {
            // Trailers, then the final empty line.
            loop {
                line.clear();
                let mut budget = MAX_HEAD_BYTES;
                if read_line(input, &mut line, &mut budget)? == 0 || trim_crlf(&line).is_empty() {
                    return Ok(true);
                }
            }
        }
        if body.len() as u64 + size > cap {
            let room = cap - body.len() as u64;
            input.take(room).read_to_end(body)?;
            return Ok(false);
        }
        let before = body.len();
        input.take(size).read_to_end(body)?;
        if ((body.len() - before) as u64) < size {
            return Err(malformed("the connection closed inside a chunk"));
        }
        line.clear();
        let mut budget = 2;
        read_line(input, &mut line, &mut budget)?;
        if trim_crlf(&line) != b"" || line.is_empty() {
            return Err(malformed("a chunk is not followed by CRLF"));
        }
    }
}

/// Errors by which a peer that closed an idle connection shows itself.
fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

fn parse_status_line(line: &[u8]) -> Result<(bool, u16), ReadError> {
    let text =
        std::str::from_utf8(trim_crlf(line)).map_err(|_| malformed("status line not UTF-8"))?;
    let mut parts = text.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(malformed(&format!("not an HTTP/1.x status line: {text:?}"))),
    };
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..1000).contains(s))
        .ok_or_else(|| malformed(&format!("bad status line {text:?}")))?;
    Ok((http10, status))
}

/// Reads through the next `\n`, charging `budget`; returns the bytes read (0 at the end).
fn read_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    budget: &mut u64,
) -> Result<usize, ReadError> {
    let n = input.take(*budget).read_until(b'\n', line)?;
    *budget -= n as u64;
    if n > 0 && line.last() != Some(&b'\n') {
        return Err(if *budget == 0 {
            malformed("a response header line is too long")
        } else {
            malformed("the connection closed inside the response headers")
        });
    }
    Ok(n)
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn malformed(why: &str) -> ReadError {
    ReadError::Malformed(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str, max: u64) -> Result<Response, ReadError> {
        read_response(&mut raw.as_bytes(), max, 16)
    }

    #[test]
    fn reads_content_length_bodies() {
        let r = read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100).unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.reusable),
            (200, &b"hello"[..], true)
        );
        let r = read("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 100).unwrap();
        assert!(!r.reusable);
        let r = read(
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
            100,
        )
        .unwrap();
        assert!(!r.reusable);
    }

    #[test]
    fn reads_chunked_bodies() {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n";
        let r = read(raw, 100).unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(r.reusable);
        assert!(matches!(read(raw, 4), Err(ReadError::TooLarge)));
        assert!(matches!(
            read(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                100
            ),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn reads_to_the_end_without_length() {
        let r = read("HTTP/1.1 200 OK\r\n\r\nall of it", 100).unwrap();
        assert_eq!(r.body, b"all of it");
        assert!(!r.reusable);
        assert!(matches!(
            read("HTTP/1.1 200 OK\r\n\r\nall of it", 3),
            Err(ReadError::TooLarge)
        ));
    }

    #[test]
    fn refuses_oversized_and_broken_responses() {
        assert!(matches!(
            read(
                "HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\nab",
                100
            ),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read("", 100),
            Err(ReadError::ClosedBeforeResponse)
        ));
        assert!(matches!(
            read("SSH-2.0-OpenSSH\r\n", 100),
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", 100),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn keeps_only_an_excerpt_of_error_pages() {
        let page = format!(
            "HTTP/1.1 500 Oops\r\nContent-Length: 1000\r\n\r\n{}",
            "x".repeat(1000)
        );
        let r = read(&page, 100).unwrap();
        assert_eq!((r.status, r.body.len(), r.reusable), (500, 16, false));
    }

    #[test]
    fn writes_a_post() {
        let mut out = Vec::new();
        let headers = [("Test-ID".to_string(), "t-1".to_string())];
        write_post(
            &mut out,
            "localhost",
            "/jsonrpc",
            "application/json",
            &headers,
            b"{}",
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("POST /jsonrpc HTTP/1.1\r\nHost: localhost\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\nTest-ID: t-1\r\n\r\n{}"));
    }
}
