//! Just enough URL handling for XenAPI endpoints: `http://` and `https://` with a host
//! (name, IPv4 or bracketed IPv6), an optional port and an optional base path.

use std::fmt;

/// The scheme of an HTTP endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    scheme: Scheme,
    /// The host without IPv6 brackets.
    host: String,
    port: Option<u16>,
    /// The path prefix, without a trailing slash ("" for the root).
    base_path: String,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `url` with any user-info (`user:password@`) replaced by `***@`, for messages: a URL that
/// carries a password must not show it in an error.
pub fn redact_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &rest[at..]).into(),
        None => url.into(),
    }
}

impl HttpUrl {
    /// Parses `scheme://host[:port][/path]`.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let bad = |why: &str| UrlError(format!("invalid URL {:?}: {why}", redact_userinfo(url)));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("the bracketed host is not an IPv6 address"));
            }
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after ']'"))?),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.contains(':') && !authority.starts_with('[') {
            return Err(bad("an IPv6 address must be written in brackets"));
        }
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| bad("the port is not a number 0-65535"))?,
            ),
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        Ok(HttpUrl {
            scheme,
            host: host.to_string(),
            port,
            base_path: path.trim_end_matches('/').to_string(),
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, without brackets around an IPv6 address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port given in the URL, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port to connect to: the explicit one or the scheme's default.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        })
    }

    /// The same URL with another host (pool-master redirection keeps scheme, port and path).
    /// `host` may be a name, an IPv4 address, or an IPv6 address with or without brackets;
    /// `host:port` or `[v6]:port` also replaces the port.
    pub fn with_host(&self, host: &str) -> Result<Self, UrlError> {
        let bad = || UrlError(format!("invalid host name {host:?}"));
        let (bare, port) = if let Some(inner) = host.strip_prefix('[') {
            let (h, after) = inner.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(bad)?),
            };
            (h, port)
        } else if host.parse::<std::net::Ipv6Addr>().is_ok() {
            (host, None)
        } else {
            match host.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host, None),
            }
        };
        let valid = !bare.is_empty()
            && (bare.parse::<std::net::Ipv6Addr>().is_ok()
                || bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'));
        if !valid {
            return Err(bad());
        }
        let port = match port {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad())?),
            None => self.port,
        };
        Ok(HttpUrl {
            host: bare.to_string(),
            port,
            ..self.clone()
        })
    }

    /// The host as written in a URL or a `Host` header: IPv6 in brackets.
    pub fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// The full URL for a request to `path` ("/" or "/jsonrpc") below the base path.
    pub fn join(&self, path: &str) -> String {
        let path = if self.base_path.is_empty() || path != "/" {
            format!("{}{}", self.base_path, path)
        } else {
            self.base_path.clone()
        };
        match self.port {
            Some(port) => format!(
                "{}://{}:{}{}",
                self.scheme.as_str(),
                self.host_for_url(),
                port,
                path
            ),
            None => format!("{}://{}{}", self.scheme.as_str(), self.host_for_url(), path),
        }
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_ports_and_ipv6() {
        let u = HttpUrl::parse("https://[::1]:8443/").unwrap();
        assert_eq!(u.host(), "::1");
        assert_eq!(u.effective_port(), 8443);
        assert_eq!(u.join("/jsonrpc"), "https://[::1]:8443/jsonrpc");
        let u = HttpUrl::parse("http://xen.example.com").unwrap();
        assert_eq!(u.effective_port(), 80);
        assert_eq!(u.join("/"), "http://xen.example.com/");
        let u = HttpUrl::parse("HTTPS://10.0.0.1").unwrap();
        assert_eq!(u.scheme(), Scheme::Https);
        assert_eq!(u.effective_port(), 443);
    }

    #[test]
    fn keeps_a_base_path() {
        let u = HttpUrl::parse("http://h:9363/RPC2").unwrap();
        assert_eq!(u.join("/"), "http://h:9363/RPC2");
        assert_eq!(u.join("/jsonrpc"), "http://h:9363/RPC2/jsonrpc");
    }

    #[test]
    fn refuses_bad_urls() {
        for bad in [
            "ftp://h/",
            "h:80",
            "http://",
            "http://::1/",
            "http://[::1/",
            "http://[nothex]/",
            "http://h:99999/",
            "http://u:p@h/",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn redirects_keep_scheme_port_and_bracket_ipv6() {
        let u = HttpUrl::parse("https://10.0.0.2:8443/").unwrap();
        assert_eq!(
            u.with_host("fe80::1").unwrap().join("/"),
            "https://[fe80::1]:8443/"
        );
        assert_eq!(
            u.with_host("[fe80::1]").unwrap().join("/"),
            "https://[fe80::1]:8443/"
        );
        assert_eq!(
            u.with_host("master").unwrap().join("/"),
            "https://master:8443/"
        );
        assert_eq!(
            u.with_host("master:9443").unwrap().join("/"),
            "https://master:9443/"
        );
        assert_eq!(
            u.with_host("[::1]:9443").unwrap().join("/"),
            "https://[::1]:9443/"
        );
        assert!(u.with_host("master:http").is_err());
        assert!(u.with_host("evil/path").is_err());
        assert!(u.with_host("").is_err());
    }
}
