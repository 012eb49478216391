//! A minimal HTTP/1.1 client (plain TCP, one request per connection), for the messages that
//! reach out as xapi does: `pool.join` logging in to a master, `VM.import` fetching an export.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Sends one request to `address` (`host:port`; port 80 when absent) and reads the answer:
/// `(status, body)`, or why it failed.
pub fn request(
    address: &str,
    method: &str,
    target: &str,
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let address = if address.contains(':') {
        address.to_string()
    } else {
        format!("{address}:80")
    };
    let addr = address
        .to_socket_addrs()
        .map_err(|e| format!("{address}: {e}"))?
        .next()
        .ok_or_else(|| format!("{address}: no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("{address}: {e}"))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let io = |e: std::io::Error| format!("{address}: {e}");
    s.write_all(head.as_bytes()).map_err(io)?;
    s.write_all(body).map_err(io)?;
    let mut r = BufReader::new(s);
    let mut status_line = String::new();
    r.read_line(&mut status_line).map_err(io)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{address}: not an HTTP answer: {status_line:?}"))?;
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).map_err(io)? == 0 {
            return Err(format!("{address}: the connection closed in the headers"));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse::<usize>().ok();
            }
        }
    }
    let mut resp = Vec::new();
    match len {
        Some(n) => {
            resp.resize(n, 0);
            r.read_exact(&mut resp).map_err(io)?;
        }
        None => {
            r.read_to_end(&mut resp).map_err(io)?;
        }
    }
    Ok((status, resp))
}
