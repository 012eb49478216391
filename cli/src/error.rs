//! The tool's errors and the exit code each one maps to.

use std::fmt;

use xenapi::ApiFailure;

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code when the server refused a call (an API failure).
pub const EXIT_API: i32 = 1;
/// Exit code for a command line (or shell line) that cannot be run as written.
pub const EXIT_USAGE: i32 = 2;
/// Exit code when the server cannot be reached or its certificate is refused.
pub const EXIT_CONNECTION: i32 = 3;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The command cannot be run as written: unknown method, wrong argument count, an argument
    /// that does not parse, an unknown name.
    Usage(String),
    /// The server ran the call and answered with a failure.
    Api(ApiFailure),
    /// The server cannot be reached, TLS failed, or its answer cannot be read.
    Connection(String),
    /// Anything else the server or the tool got wrong (a malformed answer, a local I/O error).
    Other(String),
}

impl CliError {
    /// A usage error with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Api(_) | CliError::Other(_) => EXIT_API,
            CliError::Connection(_) => EXIT_CONNECTION,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Connection(m) | CliError::Other(m) => f.write_str(m),
            CliError::Api(failure) => write!(f, "API failure: {failure}"),
        }
    }
}

impl From<xenapi::Error> for CliError {
    fn from(e: xenapi::Error) -> Self {
        match e {
            xenapi::Error::Api(failure) => CliError::Api(failure),
            e @ (xenapi::Error::Transport { .. } | xenapi::Error::Http { .. }) => {
                CliError::Connection(e.to_string())
            }
            e => CliError::Other(e.to_string()),
        }
    }
}

/// The tool's result type.
pub type CliResult<T> = Result<T, CliError>;
