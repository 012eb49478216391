//! Logging in: options and environment to a [`Session`], or the embedded simulator.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use xapi_sim::{RunningSimulator, Simulator};
use xenapi::transport::TlsVerification;
use xenapi::{Client, Session, WireFormat};

use crate::cli::{ConnectOpts, Format, SimKind};
use crate::error::{CliError, CliResult};
use crate::schema::{Dialect, Schema};

/// A logged-in session and the model of the API it speaks.
pub struct Connection {
    /// The session (shared with the Ctrl-C handler of `events`).
    pub session: Arc<Session>,
    /// The API's model.
    pub schema: Schema,
    client: Client,
    user: String,
    /// Kept to log in again; never printed (this type has no `Debug`).
    password: String,
    /// The embedded simulator, when `--sim` started one; it stops when dropped.
    _sim: Option<RunningSimulator>,
}

/// Whether a session logs in again by itself when the server answers `SESSION_INVALID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relogin {
    /// The session logs in again and retries the call once.
    Automatic,
    /// The caller does it, with [`Connection::login_again`].
    ByCaller,
}

impl Connection {
    /// Logs in as the options say; sessions log in again by themselves.
    pub fn open(opts: &ConnectOpts) -> CliResult<Connection> {
        Self::open_with(opts, Relogin::Automatic)
    }

    /// Logs in as the options say.
    pub fn open_with(opts: &ConnectOpts, relogin: Relogin) -> CliResult<Connection> {
        let (sim, url, user, password) = match opts.sim {
            Some(kind) => {
                let sim = start_simulator(kind)?;
                let (user, password) = sim.credentials();
                let (user, password) = (user.to_string(), password.to_string());
                let url = sim.url();
                (Some(sim), url, user, password)
            }
            None => {
                let url = opts.url.clone().ok_or_else(|| {
                    CliError::usage("no server given: use --url URL (or XENAPI_URL), or --sim")
                })?;
                let password = match &opts.password {
                    Some(p) => p.clone(),
                    None => prompt_password(&opts.user, &url)?,
                };
                (None, url, opts.user.clone(), password)
            }
        };
        let client = Client::builder(&url)
            .format(wire_format(opts.format))
            .tls(tls(opts)?)
            .relogin(relogin == Relogin::Automatic)
            .connect_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| CliError::Connection(format!("cannot use {url}: {e}")))?;
        // Two parameters: the login both xapi and xend accept.
        let session = client.login_with_password(&user, &password, "", "")?;
        let dialect = match opts.sim {
            Some(SimKind::Xapi) => Dialect::Xapi,
            Some(SimKind::Xend) => Dialect::Xend,
            // xapi's session refs are OpaqueRefs, xend's are UUIDs.
            None if session.session_ref().starts_with("OpaqueRef:") => Dialect::Xapi,
            None => Dialect::Xend,
        };
        Ok(Connection {
            session: Arc::new(session),
            schema: Schema::of(dialect),
            client,
            user,
            password,
            _sim: sim,
        })
    }

    /// A new session with the same credentials.
    pub fn login_again(&self) -> CliResult<Session> {
        Ok(self
            .client
            .login_with_password(&self.user, &self.password, "", "")?)
    }

    /// Logs out (best effort: the session is gone either way once the server expires it).
    pub fn close(self) {
        if let Ok(session) = Arc::try_unwrap(self.session) {
            let _ = session.logout();
        }
    }
}

fn start_simulator(kind: SimKind) -> CliResult<RunningSimulator> {
    let builder = match kind {
        SimKind::Xapi => Simulator::builder(),
        SimKind::Xend => Simulator::builder().xend(),
    };
    builder
        .start()
        .map_err(|e| CliError::Connection(format!("cannot start the simulator: {e}")))
}

fn wire_format(format: Format) -> WireFormat {
    match format {
        Format::Xml => WireFormat::XmlRpc,
        Format::Json => WireFormat::JsonRpc,
    }
}

fn tls(opts: &ConnectOpts) -> CliResult<TlsVerification> {
    if let Some(pin) = &opts.pin {
        return TlsVerification::pin(pin)
            .map_err(|e| CliError::usage(format!("--pin {pin:?}: {e}")));
    }
    if let Some(file) = &opts.ca {
        let pem = std::fs::read(file)
            .map_err(|e| CliError::usage(format!("--ca {}: {e}", file.display())))?;
        return TlsVerification::trust_pem(pem)
            .map_err(|e| CliError::usage(format!("--ca {}: {e}", file.display())));
    }
    if opts.insecure {
        return Ok(TlsVerification::DangerAcceptAnyCertificate);
    }
    Ok(TlsVerification::WebPkiRoots)
}

fn prompt_password(user: &str, url: &str) -> CliResult<String> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "no password given: use --password or XENAPI_PASSWORD (no terminal to ask on)",
        ));
    }
    rpassword::prompt_password(format!("Password for {user} at {url}: "))
        .map_err(|e| CliError::usage(format!("cannot read the password: {e}")))
}
