//! One HTTP/1.1 client exchange over any byte stream: a POST with a Content-Length, and a
//! response delimited by Content-Length, chunked encoding or the end of the stream. Heads and
//! chunk sizes are parsed by `httparse`; this module only frames them and enforces the limits
//! while reading (nothing beyond the limit is read or allocated). Used by the Unix-socket
//! transport (xapi and xend speak plain HTTP/1.1 there).

use std::io::{self, BufRead, Read};

/// The largest status line plus headers we accept.
const MAX_HEAD_BYTES: u64 = 64 * 1024;
/// The most headers a response may have.
const MAX_HEADERS: usize = 64;
/// The longest chunk-size line (size, extensions, CRLF).
const MAX_CHUNK_LINE: u64 = 1024;

/// What went wrong reading a response.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The stream failed (or timed out).
    Io(io::Error),
    /// The stream ended before the first byte of a response.
    ClosedBeforeResponse,
    /// The peer reset the connection before the first byte of a response.
    ResetBeforeResponse(io::Error),
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
    /// The `Location` header (of a redirection).
    pub location: Option<String>,
    /// The `Content-Encoding`, unless none or `identity`.
    pub encoding: Option<String>,
}

/// The head of a POST request with a body of `body_len` bytes, with the caller's extra
/// headers.
pub(crate) fn request_head(
    host: &str,
    path: &str,
    content_type: &str,
    headers: &[(String, String)],
    body_len: usize,
) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: xenapi-rs/{}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {body_len}\r\n",
        env!("CARGO_PKG_VERSION"),
    );
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += "\r\n";
    head.into_bytes()
}

/// The parts of a response head that decide how to read the body.
struct Head {
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
    location: Option<String>,
    encoding: Option<String>,
}

/// Reads one response. The body of a 2xx response may be up to `max_body` bytes; of any other
/// status only the first `excerpt` bytes are kept (and the connection is not reused).
pub(crate) fn read_response(
    input: &mut impl BufRead,
    max_body: u64,
    excerpt: usize,
) -> Result<Response, ReadError> {
    let mut head = read_head(input, true)?;
    // Interim responses (100 Continue) carry no body; the real one follows.
    while (100..200).contains(&head.status) {
        head = read_head(input, false)?;
    }
    let success = (200..300).contains(&head.status);
    let cap = if success { max_body } else { excerpt as u64 };
    let mut body = Vec::new();
    let mut close = head.close;
    let complete = if head.chunked {
        read_chunked(input, cap, success, &mut body)?
    } else if let Some(len) = head.content_length {
        if len > cap && success {
            return Err(ReadError::TooLarge);
        }
        let wanted = len.min(cap);
        body.reserve(wanted.min(MAX_PREALLOCATION) as usize);
        let n = input.take(wanted).read_to_end(&mut body)? as u64;
        if n < wanted {
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
        status: head.status,
        body,
        reusable: success && complete && !close,
        location: head.location,
        encoding: head.encoding,
    })
}

/// The most a declared length makes us reserve up front (a server may lie).
const MAX_PREALLOCATION: u64 = 64 << 20;

/// Reads and parses a response head. `first`: nothing of this response has been read yet, so
/// a stream that ends right away is `ClosedBeforeResponse`.
fn read_head(input: &mut impl BufRead, first: bool) -> Result<Head, ReadError> {
    let mut raw = Vec::new();
    let mut budget = MAX_HEAD_BYTES;
    loop {
        let line_start = raw.len();
        match read_line(input, &mut raw, &mut budget) {
            Ok(0) if raw.is_empty() && first => return Err(ReadError::ClosedBeforeResponse),
            Ok(0) => {
                return Err(malformed(
                    "the connection closed inside the response headers",
                ))
            }
            Ok(_) => {}
            Err(ReadError::Io(e)) if raw.is_empty() && first && is_disconnect(&e) => {
                return Err(if e.kind() == io::ErrorKind::ConnectionReset {
                    ReadError::ResetBeforeResponse(e)
                } else {
                    ReadError::ClosedBeforeResponse
                });
            }
            Err(e) => return Err(e),
        }
        if line_start > 0 && trim_crlf(&raw[line_start..]).is_empty() {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(malformed("an incomplete response head")),
        Err(e) => {
            let start = String::from_utf8_lossy(&raw[..raw.len().min(40)]).into_owned();
            return Err(malformed(&format!(
                "not an HTTP/1.x response head ({e}), starting {start:?}"
            )));
        }
    }
    let mut head = Head {
        status: parsed.code.unwrap_or_default(),
        content_length: None,
        chunked: false,
        close: parsed.version == Some(0),
        location: None,
        encoding: None,
    };
    for h in parsed.headers.iter() {
        let value = std::str::from_utf8(h.value)
            .map_err(|_| malformed(&format!("header {} is not UTF-8", h.name)))?
            .trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .parse::<u64>()
                .ok()
                .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| malformed(&format!("bad Content-Length {value:?}")))?;
            if head.content_length.is_some_and(|m| m != n) {
                return Err(malformed("conflicting Content-Length headers"));
            }
            head.content_length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(',').next().unwrap_or("").trim();
            if !last.eq_ignore_ascii_case("chunked") {
                return Err(malformed(&format!(
                    "unsupported Transfer-Encoding {value:?} (only chunked is understood)"
                )));
            }
            head.chunked = true;
        } else if h.name.eq_ignore_ascii_case("content-encoding") {
            if !value.eq_ignore_ascii_case("identity") {
                head.encoding = Some(value.to_string());
            }
        } else if h.name.eq_ignore_ascii_case("location") {
            head.location = Some(value.to_string());
        } else if h.name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                head.close = true;
            } else if v.contains("keep-alive") {
                head.close = false;
            }
        }
    }
    Ok(head)
}

/// Reads a chunked body into `body`, holding it to `cap` bytes; returns whether the whole body
/// fitted. Beyond the cap a successful response is `TooLarge` (before reading the chunk); an
/// error page is cut at the cap.
fn read_chunked(
    input: &mut impl BufRead,
    cap: u64,
    success: bool,
    body: &mut Vec<u8>,
) -> Result<bool, ReadError> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut budget = MAX_CHUNK_LINE;
        if read_line(input, &mut line, &mut budget)? == 0 {
            return Err(malformed("the connection closed inside a chunked body"));
        }
        let size = match httparse::parse_chunk_size(&line) {
            Ok(httparse::Status::Complete((_, size))) => size,
            _ => {
                let text = String::from_utf8_lossy(trim_crlf(&line)).into_owned();
                return Err(malformed(&format!("bad chunk size line {text:?}")));
            }
        };
        if size == 0 {
            // Trailers, then the final empty line.
            let mut budget = MAX_HEAD_BYTES;
            loop {
                line.clear();
                if read_line(input, &mut line, &mut budget)? == 0 || trim_crlf(&line).is_empty() {
                    return Ok(true);
                }
            }
        }
        let room = cap - body.len() as u64;
        if size > room {
            if success {
                return Err(ReadError::TooLarge);
            }
            input.take(room).read_to_end(body)?;
            return Ok(false);
        }
        let before = body.len();
        body.reserve(size.min(MAX_PREALLOCATION) as usize);
        input.take(size).read_to_end(body)?;
        if ((body.len() - before) as u64) < size {
            return Err(malformed("the connection closed inside a chunk"));
        }
        line.clear();
        let mut budget = 2;
        read_line(input, &mut line, &mut budget)?;
        if line.is_empty() || !trim_crlf(&line).is_empty() {
            return Err(malformed("a chunk is not followed by CRLF"));
        }
    }
}

/// Errors by which a peer that closed the connection shows itself.
pub(crate) fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
    )
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
    fn writes_a_post_head() {
        let headers = [("Test-ID".to_string(), "t-1".to_string())];
        let text = String::from_utf8(request_head(
            "localhost",
            "/jsonrpc",
            "application/json",
            &headers,
            2,
        ))
        .unwrap();
        assert!(text.starts_with("POST /jsonrpc HTTP/1.1\r\nHost: localhost\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\nTest-ID: t-1\r\n\r\n"));
    }

    #[test]
    fn huge_chunk_sizes_are_refused_without_reading() {
        for size in ["ffffffffffffffff", "fffffffffffffffff", "10000001"] {
            let raw = format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n{size}\r\nabc"
            );
            let r = read(&raw, 1 << 20);
            assert!(
                matches!(r, Err(ReadError::TooLarge) | Err(ReadError::Malformed(_))),
                "{size}: {r:?}"
            );
        }
    }

    #[test]
    fn refuses_encoded_bodies_and_unknown_codings() {
        let gz = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nab";
        assert_eq!(read(gz, 100).unwrap().encoding.as_deref(), Some("gzip"));
        let te = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nab";
        assert!(matches!(read(te, 100), Err(ReadError::Malformed(_))));
    }

    #[test]
    fn skips_interim_responses() {
        let r = read(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            100,
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    }
}
