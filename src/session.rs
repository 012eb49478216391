//! [`Client`] (where and how to talk to a XenAPI server) and [`Session`] (a logged-in client).
//!
//! ```no_run
//! use xenapi::{Client, Value};
//! use xenapi::transport::TlsVerification;
//!
//! let client = Client::builder("https://xen1.example.com")
//!     .tls(TlsVerification::pin("AA:BB:…").unwrap())
//!     .build()?;
//! let session = client.login_with_password("root", "secret", "1.0", "my-tool")?;
//! let vms: Value = session.call("VM.get_all", &[])?;
//! session.logout()?;
//! # Ok::<(), xenapi::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiFailure, Error, Result};
use crate::limits::Limits;
use crate::transport::{self, HttpOptions, Timeouts, TlsVerification, Transport};
use crate::value::Value;
use crate::wire::{decode_response, encode_call, encode_call_params, Param, WireFormat};

/// Decodes a response body in a wire format (normally `wire::decode_response`).
pub(crate) type DecodeFn<'a, R> = dyn FnMut(WireFormat, &[u8], &Limits) -> Result<R> + 'a;

/// How many `HOST_IS_SLAVE` redirections a login follows before giving up.
pub const MAX_REDIRECTS: usize = 3;

/// How many times one call logs in again (or takes up another thread's new session) after
/// `SESSION_INVALID`, when the client has relogin on.
pub const MAX_RELOGINS: usize = 3;

/// Which library carries HTTP and HTTPS requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpBackend {
    /// ureq with rustls (feature `ureq`, the default).
    #[cfg(feature = "ureq")]
    Ureq,
    /// libcurl (feature `curl`).
    #[cfg(feature = "curl")]
    Curl,
}

/// Where and how to talk to a XenAPI server: a transport, a wire format and limits.
///
/// Cheap to clone (shared); usable from many threads at once. JSON-RPC request ids increase
/// per client.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    transport: Arc<dyn Transport>,
    format: WireFormat,
    limits: Limits,
    relogin: bool,
    next_id: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.inner.transport.describe())
            .field("format", &self.inner.format)
            .field("limits", &self.inner.limits)
            .field("relogin", &self.inner.relogin)
            .finish()
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    target: Target,
    /// `None` until [`ClientBuilder::format`] is called: XML-RPC, or JSON-RPC for a URL that
    /// names the `/jsonrpc` endpoint.
    format: Option<WireFormat>,
    limits: Limits,
    relogin: bool,
    http: HttpOptions,
    backend: Option<HttpBackend>,
}

enum Target {
    Url(String),
    Transport(Arc<dyn Transport>),
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match &self.target {
            Target::Url(u) => u.clone(),
            Target::Transport(t) => t.describe(),
        };
        f.debug_struct("ClientBuilder")
            .field("target", &target)
            .field("format", &self.format)
            .field("limits", &self.limits)
            .field("relogin", &self.relogin)
            .field("http", &self.http)
            .field("backend", &self.backend)
            .finish()
    }
}

impl ClientBuilder {
    /// The wire format. The default is XML-RPC, which every server speaks (xend and all xapi
    /// versions), or JSON-RPC when the URL ends in `/jsonrpc`; choose
    /// [`WireFormat::JsonRpc`] with xapi for smaller, faster responses.
    pub fn format(mut self, format: WireFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Limits applied to every response.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether a [`Session`] logs in again with its stored credentials and retries the call
    /// when the server answers `SESSION_INVALID` (default: off); a call whose retry meets a
    /// session that was logged out again meanwhile retries on the newest one, up to
    /// [`MAX_RELOGINS`] times.
    pub fn relogin(mut self, on: bool) -> Self {
        self.relogin = on;
        self
    }

    /// How to verify the server's TLS certificate (`https://` URLs; default: the webpki roots).
    pub fn tls(mut self, tls: TlsVerification) -> Self {
        self.http.tls = tls;
        self
    }

    /// Connect, TLS handshake, I/O and per-call timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.http.timeouts = timeouts;
        self
    }

    /// The connect timeout (`None`: wait as long as the system does).
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.http.timeouts.connect = timeout;
        self
    }

    /// The longest wait for a single read or write (`None`: no limit, the default).
    pub fn io_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.http.timeouts.io = timeout;
        self
    }

    /// Adds a header sent with every request, by every transport the builder opens (HTTP,
    /// HTTPS, Unix socket), as the Go SDK's `ClientOpts.Headers`: e.g. xapi's test harness
    /// needs `Test-ID`. Call once per header. [`ClientBuilder::build`] refuses a name that is
    /// not an HTTP token, a value with a line break, and the headers the transports set
    /// (`Host`, `Content-Type`, `Content-Length`, `Transfer-Encoding`, `Connection`,
    /// `Expect`). A transport given to [`Client::builder_with_transport`] sends what it sends.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.http.headers.push((name.into(), value.into()));
        self
    }

    /// The deadline of each whole call, connection to the last byte of the response,
    /// enforced whatever the server does (`None`: no limit; default 1 hour). A call that
    /// misses it fails, but it may still be running on the server.
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.http.timeouts.call = timeout;
        self
    }

    /// The TLS handshake timeout for `https://` (default 10 s).
    pub fn tls_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.http.timeouts.tls_handshake = timeout;
        self
    }

    /// The library that carries HTTP(S) (default: ureq when built in, else curl).
    pub fn http_backend(mut self, backend: HttpBackend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Builds the client; fails on an invalid URL or TLS option.
    pub fn build(self) -> Result<Client> {
        let mut format = self.format;
        let transport: Arc<dyn Transport> = match self.target {
            Target::Transport(t) => t,
            Target::Url(url) => {
                for (name, value) in &self.http.headers {
                    transport::check_header(name, value)
                        .map_err(|why| transport::transport_error(&url, why))?;
                }
                let (base, jsonrpc) = split_jsonrpc_endpoint(&url);
                if jsonrpc {
                    format = format.or(Some(WireFormat::JsonRpc));
                }
                open(base, self.http, self.backend)?
            }
        };
        Ok(Client {
            inner: Arc::new(ClientInner {
                transport,
                format: format.unwrap_or(WireFormat::XmlRpc),
                limits: self.limits,
                relogin: self.relogin,
                next_id: AtomicU64::new(1),
            }),
        })
    }
}

/// Splits an HTTP(S) URL that names xapi's JSON-RPC endpoint (`https://host/jsonrpc`, as the
/// Go SDK and Xen Orchestra take it) into the server's URL and `true`, since the wire format
/// appends its own path; any other URL comes back whole with `false`.
fn split_jsonrpc_endpoint(url: &str) -> (&str, bool) {
    let Some((_, after_scheme)) = url.split_once("://") else {
        return (url, false);
    };
    let Some(path_at) = after_scheme.find('/') else {
        return (url, false);
    };
    let trimmed = url.trim_end_matches('/');
    match trimmed.strip_suffix(WireFormat::JsonRpc.path()) {
        // The suffix must be within the path, not the host (`http://jsonrpc`).
        Some(base) if base.len() >= url.len() - after_scheme.len() + path_at => (base, true),
        _ => (url, false),
    }
}

/// The transport for a URL: `http://`, `https://`, or `unix:/path` (also `unix:///path`).
fn open(url: &str, http: HttpOptions, backend: Option<HttpBackend>) -> Result<Arc<dyn Transport>> {
    if let Some(rest) = url.strip_prefix("unix:") {
        return open_unix(url, rest, http);
    }
    #[allow(unreachable_patterns)]
    match backend.or(DEFAULT_BACKEND) {
        #[cfg(feature = "ureq")]
        Some(HttpBackend::Ureq) => Ok(Arc::new(transport::UreqTransport::new(url, http)?)),
        #[cfg(feature = "curl")]
        Some(HttpBackend::Curl) => Ok(Arc::new(transport::CurlTransport::new(url, http)?)),
        _ => Err(transport::transport_error(
            &transport::redact_userinfo(url),
            "no HTTP transport built in (enable the `ureq` or `curl` feature)",
        )),
    }
}

#[cfg(feature = "ureq")]
const DEFAULT_BACKEND: Option<HttpBackend> = Some(HttpBackend::Ureq);
#[cfg(all(not(feature = "ureq"), feature = "curl"))]
const DEFAULT_BACKEND: Option<HttpBackend> = Some(HttpBackend::Curl);
#[cfg(not(any(feature = "ureq", feature = "curl")))]
const DEFAULT_BACKEND: Option<HttpBackend> = None;

#[cfg(unix)]
fn open_unix(url: &str, rest: &str, http: HttpOptions) -> Result<Arc<dyn Transport>> {
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() {
        return Err(transport::transport_error(
            url,
            "no socket path after `unix:`",
        ));
    }
    Ok(Arc::new(
        transport::UnixTransport::new(PathBuf::from(path), http.timeouts)
            .with_headers(http.headers),
    ))
}

#[cfg(not(unix))]
fn open_unix(url: &str, _rest: &str, _http: HttpOptions) -> Result<Arc<dyn Transport>> {
    Err(transport::transport_error(
        url,
        "Unix sockets are not available on this platform",
    ))
}

/// A call's parameters, encoded for whichever wire format and session the call goes out with
/// (a relogin sends them again with the new session).
trait Params {
    fn encode(
        &self,
        format: WireFormat,
        method: &str,
        session: Option<&str>,
        id: u64,
    ) -> Result<Vec<u8>>;
}

/// Parameters as one `Serialize` sequence (a tuple, a slice, a `Vec`).
struct Serialized<'a, P: ?Sized>(&'a P);

impl<P: Serialize + ?Sized> Params for Serialized<'_, P> {
    fn encode(
        &self,
        format: WireFormat,
        method: &str,
        session: Option<&str>,
        id: u64,
    ) -> Result<Vec<u8>> {
        encode_call(format, method, session, self.0, id)
    }
}

/// Type-erased parameters: one encoder serves every generated call.
struct Erased<'a>(&'a [&'a dyn Param]);

impl Params for Erased<'_> {
    fn encode(
        &self,
        format: WireFormat,
        method: &str,
        session: Option<&str>,
        id: u64,
    ) -> Result<Vec<u8>> {
        encode_call_params(format, method, session, self.0, id)
    }
}

/// A response as the transport delivered it, before decoding.
struct Exchange {
    response: Vec<u8>,
    started: Instant,
}

impl Exchange {
    fn log_outcome(&self, method: &str, error: Option<&Error>) {
        if log::log_enabled!(target: "xenapi::call", log::Level::Debug) {
            let outcome = match error {
                None => String::new(),
                Some(e) => format!(": {}", e.loggable()),
            };
            log::debug!(
                target: "xenapi::call",
                "{method}: {} bytes back in {:.1} ms{outcome}",
                self.response.len(),
                self.started.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}

impl Client {
    /// A builder for a client of `url`: `http://host[:port]`, `https://host[:port]` (IPv6
    /// literals in brackets), or `unix:/path/to/socket`. A URL of the JSON-RPC endpoint itself
    /// (`https://host/jsonrpc`) means its server, with JSON-RPC as the default format.
    pub fn builder(url: &str) -> ClientBuilder {
        Self::builder_for(Target::Url(url.to_string()))
    }

    /// A builder for a client that sends requests through `transport` (the TLS, timeout and
    /// backend options of the builder do not apply to it).
    pub fn builder_with_transport(transport: impl Transport + 'static) -> ClientBuilder {
        Self::builder_for(Target::Transport(Arc::new(transport)))
    }

    fn builder_for(target: Target) -> ClientBuilder {
        ClientBuilder {
            target,
            format: None,
            limits: Limits::default(),
            relogin: false,
            http: HttpOptions::default(),
            backend: None,
        }
    }

    /// A client of `url` with the default options.
    pub fn new(url: &str) -> Result<Client> {
        Self::builder(url).build()
    }

    /// The wire format.
    pub fn format(&self) -> WireFormat {
        self.inner.format
    }

    /// The response limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.inner.transport
    }

    /// Calls a method that takes no session reference (e.g. `session.login_with_password`).
    /// `params` serializes as a sequence: a tuple, a slice or a `Vec`; `()` for none.
    pub fn call_as<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R> {
        self.send(method, None, &Serialized(params))
    }

    /// [`Client::call_as`] with type-erased parameters (the generated calls).
    pub(crate) fn call_erased<R: DeserializeOwned>(
        &self,
        method: &str,
        params: &[&dyn Param],
    ) -> Result<R> {
        self.send(method, None, &Erased(params))
    }

    /// [`Client::call_as`] with dynamic values.
    pub fn call(&self, method: &str, params: &[Value]) -> Result<Value> {
        self.call_as(method, params)
    }

    /// Sends one call and decodes its response; only the decoding depends on `R`.
    fn send<R: DeserializeOwned>(
        &self,
        method: &str,
        session: Option<&str>,
        params: &dyn Params,
    ) -> Result<R> {
        self.send_decoding(method, session, params, &mut decode_response)
    }

    /// [`Client::send`] with the caller's decoder of the response body.
    fn send_decoding<R>(
        &self,
        method: &str,
        session: Option<&str>,
        params: &dyn Params,
        decode: &mut DecodeFn<'_, R>,
    ) -> Result<R> {
        let exchange = self.post(method, session, params)?;
        let result = decode(self.inner.format, &exchange.response, &self.inner.limits);
        exchange.log_outcome(method, result.as_ref().err());
        result
    }

    /// Encodes a call and posts it; returns the response body.
    fn post(&self, method: &str, session: Option<&str>, params: &dyn Params) -> Result<Exchange> {
        let inner = &self.inner;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let body = params.encode(inner.format, method, session, id)?;
        // Parameters are never logged: they carry passwords and session references.
        log::debug!(target: "xenapi::call", "{method}: {} bytes to {}", body.len(), inner.transport.describe());
        let started = Instant::now();
        let response = inner
            .transport
            .post(inner.format.path(), &body, &inner.limits)
            .inspect_err(|e| log::debug!(target: "xenapi::call", "{method}: {}", e.loggable()))?;
        Ok(Exchange { response, started })
    }

    /// The same client talking to another host (same kind of transport and options), or
    /// `None` when the transport has no host to change.
    fn redirected(&self, host: &str) -> Result<Option<Client>> {
        let Some(transport) = self.inner.transport.redirect(host)? else {
            return Ok(None);
        };
        Ok(Some(Client {
            inner: Arc::new(ClientInner {
                transport: Arc::from(transport),
                format: self.inner.format,
                limits: self.inner.limits,
                relogin: self.inner.relogin,
                next_id: AtomicU64::new(1),
            }),
        }))
    }

    /// Logs in with `session.login_with_password`. `version` is the API version the caller
    /// speaks (e.g. "1.0"), `originator` names the program; both are sent when not empty. A
    /// server that takes only the first two (xend) answers `MESSAGE_PARAMETER_COUNT_MISMATCH`,
    /// and the login is sent again with the user and password alone.
    ///
    /// A pool member that is not the master answers `HOST_IS_SLAVE [master]`: the login is
    /// then retried at the master (same scheme and port), at most [`MAX_REDIRECTS`] times, and
    /// the session talks to the master.
    pub fn login_with_password(
        &self,
        uname: &str,
        pwd: &str,
        version: &str,
        originator: &str,
    ) -> Result<Session> {
        self.login(Credentials {
            local: false,
            uname: uname.to_string(),
            password: Password(pwd.to_string()),
            version: version.to_string(),
            originator: originator.to_string(),
        })
    }

    /// Logs in to this host only, even when it is a pool member
    /// (`session.slave_local_login_with_password`, for emergencies when the master is down);
    /// end such a session with [`Session::local_logout`].
    pub fn slave_local_login_with_password(&self, uname: &str, pwd: &str) -> Result<Session> {
        self.login(Credentials {
            local: true,
            uname: uname.to_string(),
            password: Password(pwd.to_string()),
            version: String::new(),
            originator: String::new(),
        })
    }

    fn login(&self, credentials: Credentials) -> Result<Session> {
        let (client, session_ref) = login(self, &credentials)?;
        Ok(Session {
            state: RwLock::new(State {
                client,
                session_ref,
            }),
            credentials: Some(credentials),
            relogin_lock: Mutex::new(()),
        })
    }

    /// A session for a reference obtained elsewhere (it cannot log in again by itself).
    pub fn session_from_ref(&self, session_ref: impl Into<String>) -> Session {
        Session {
            state: RwLock::new(State {
                client: self.clone(),
                session_ref: session_ref.into(),
            }),
            credentials: None,
            relogin_lock: Mutex::new(()),
        }
    }
}

/// Logs in at `client`, following `HOST_IS_SLAVE` to the master; returns the client that
/// accepted the login and the session reference.
fn login(client: &Client, credentials: &Credentials) -> Result<(Client, String)> {
    let mut client = client.clone();
    let mut visited = HashSet::new();
    loop {
        match credentials.login_at(&client) {
            Ok(session_ref) => return Ok((client, session_ref)),
            Err(Error::Api(failure)) if failure.code == "HOST_IS_SLAVE" => {
                let Some(master) = failure.params.first().filter(|m| !m.is_empty()) else {
                    return Err(Error::Api(failure));
                };
                if visited.len() >= MAX_REDIRECTS || !visited.insert(master.clone()) {
                    return Err(Error::Api(failure));
                }
                match client.redirected(master)? {
                    Some(next) => {
                        log::info!(
                            target: "xenapi::session",
                            "{} is a pool member (HOST_IS_SLAVE): logging in at the master, {master}",
                            client.inner.transport.describe()
                        );
                        client = next
                    }
                    None => return Err(Error::Api(failure)),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Login credentials; the password never appears in `Debug` output.
#[derive(Clone)]
struct Credentials {
    /// `session.slave_local_login_with_password` rather than `session.login_with_password`.
    local: bool,
    uname: String,
    password: Password,
    version: String,
    originator: String,
}

impl Credentials {
    fn login_at(&self, client: &Client) -> Result<String> {
        let (u, p, v, o) = (
            self.uname.as_str(),
            self.password.0.as_str(),
            self.version.as_str(),
            self.originator.as_str(),
        );
        const METHOD: &str = "session.login_with_password";
        let first = if self.local {
            return client.call_as("session.slave_local_login_with_password", &(u, p));
        } else if !o.is_empty() {
            client.call_as(METHOD, &(u, p, v, o))
        } else if !v.is_empty() {
            client.call_as(METHOD, &(u, p, v))
        } else {
            return client.call_as(METHOD, &(u, p));
        };
        match first {
            // xend (API 1.0) takes only the user and the password; a count mismatch means
            // nothing ran, so the login is sent again with two parameters.
            Err(Error::Api(f)) if f.code == "MESSAGE_PARAMETER_COUNT_MISMATCH" => {
                client.call_as(METHOD, &(u, p))
            }
            other => other,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("local", &self.local)
            .field("uname", &self.uname)
            .field("password", &self.password)
            .field("version", &self.version)
            .field("originator", &self.originator)
            .finish()
    }
}

/// A password: kept for re-login, shown nowhere.
#[derive(Clone)]
struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// A logged-in client: every call sends the session reference first.
///
/// The messages, references and records of XenAPI's `session` class are
/// [`SessionClass`](crate::api::SessionClass), [`SessionRef`](crate::api::SessionRef) and
/// [`SessionRecord`](crate::api::SessionRecord); [`Session::session_ref`] is this session's.
///
/// `Send + Sync`: share one session between threads (e.g. in an `Arc`). Dropping a session
/// does not log out (sessions are often meant to outlive a program); call
/// [`Session::logout`].
pub struct Session {
    state: RwLock<State>,
    credentials: Option<Credentials>,
    /// Serialises re-logins so that threads hitting `SESSION_INVALID` together log in once.
    relogin_lock: Mutex<()>,
}

#[derive(Clone)]
struct State {
    client: Client,
    session_ref: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Session")
            .field("client", &state.client)
            .field("session_ref", &state.session_ref)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl Session {
    fn state(&self) -> State {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The client this session talks through (after a `HOST_IS_SLAVE` redirection, the
    /// master's).
    pub fn client(&self) -> Client {
        self.state().client
    }

    /// The session reference (`OpaqueRef:…`; on xend a UUID); it changes when the session
    /// logs in again.
    pub fn session_ref(&self) -> String {
        self.state().session_ref
    }

    /// Calls a method that takes the session reference as its first parameter; `params` are
    /// the other parameters (a tuple, a slice or a `Vec`; `()` for none).
    pub fn call_as<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R> {
        self.send(method, &Serialized(params))
    }

    /// [`Session::call_as`] with type-erased parameters (the generated calls).
    pub(crate) fn call_erased<R: DeserializeOwned>(
        &self,
        method: &str,
        params: &[&dyn Param],
    ) -> Result<R> {
        self.send(method, &Erased(params))
    }

    /// [`Session::call_as`] with the caller's decoder of the response body (for results
    /// that need more than one `Deserialize`, such as typed event batches).
    pub(crate) fn call_decoding<P: Serialize + ?Sized, R>(
        &self,
        method: &str,
        params: &P,
        decode: &mut DecodeFn<'_, R>,
    ) -> Result<R> {
        self.send_decoding(method, &Serialized(params), decode)
    }

    /// [`Session::call_as`] with dynamic values.
    pub fn call(&self, method: &str, params: &[Value]) -> Result<Value> {
        self.call_as(method, params)
    }

    fn send<R: DeserializeOwned>(&self, method: &str, params: &dyn Params) -> Result<R> {
        self.send_decoding(method, params, &mut decode_response)
    }

    /// Sends one call, logging in again and resending it when the session expired.
    fn send_decoding<R>(
        &self,
        method: &str,
        params: &dyn Params,
        decode: &mut DecodeFn<'_, R>,
    ) -> Result<R> {
        let mut state = self.state();
        let mut relogins = 0;
        loop {
            match state
                .client
                .send_decoding(method, Some(&state.session_ref), params, decode)
            {
                // `SESSION_INVALID` means the call did not run, so sending it again is safe.
                // The session may have been replaced (by another thread's relogin) and logged
                // out again before this call got to use it: retry on the newest one, a few
                // times.
                Err(Error::Api(failure))
                    if relogins < MAX_RELOGINS && self.may_relogin(&state, &failure) =>
                {
                    relogins += 1;
                    state = self.relogin(&state.session_ref)?;
                }
                other => return other,
            }
        }
    }

    fn may_relogin(&self, state: &State, failure: &ApiFailure) -> bool {
        failure.code == "SESSION_INVALID"
            && state.client.inner.relogin
            && self.credentials.is_some()
    }

    /// Logs in again unless another thread already replaced `stale`; returns the new state.
    fn relogin(&self, stale: &str) -> Result<State> {
        let _one_at_a_time = self.relogin_lock.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.state();
        if current.session_ref != stale {
            return Ok(current);
        }
        let credentials = self.credentials.as_ref().ok_or_else(|| {
            Error::Api(ApiFailure {
                code: "SESSION_INVALID".into(),
                params: vec![stale.to_string()],
            })
        })?;
        log::info!(
            target: "xenapi::session",
            "the session is no longer valid (SESSION_INVALID): logging in again as {:?}",
            credentials.uname
        );
        let (client, session_ref) = login(&current.client, credentials)?;
        let fresh = State {
            client,
            session_ref,
        };
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// Ends the session on the server (`session.logout`).
    pub fn logout(self) -> Result<()> {
        let state = self.state();
        state
            .client
            .send::<Value>("session.logout", Some(&state.session_ref), &Erased(&[]))
            .map(drop)
    }

    /// Ends a session that was made with `session.slave_local_login*` on a pool member
    /// (`session.local_logout`).
    pub fn local_logout(self) -> Result<()> {
        let state = self.state();
        state
            .client
            .send::<Value>(
                "session.local_logout",
                Some(&state.session_ref),
                &Erased(&[]),
            )
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_of_the_jsonrpc_endpoint_names_its_server() {
        for (url, base, jsonrpc) in [
            ("http://h/jsonrpc", "http://h", true),
            ("https://h:8443/jsonrpc/", "https://h:8443", true),
            ("http://h/base/jsonrpc", "http://h/base", true),
            ("http://h", "http://h", false),
            ("http://h/", "http://h/", false),
            ("http://jsonrpc", "http://jsonrpc", false),
            ("http://h/xjsonrpc", "http://h/xjsonrpc", false),
            ("unix:/run/jsonrpc", "unix:/run/jsonrpc", false),
        ] {
            assert_eq!(split_jsonrpc_endpoint(url), (base, jsonrpc), "{url}");
        }
    }

    #[test]
    fn sessions_and_clients_are_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Session>();
        shareable::<Client>();
    }
}
