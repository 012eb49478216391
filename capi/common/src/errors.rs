//! How a failed call is described on the session (`error_description`).

use xenapi::Error;

use crate::session::codes;

/// The `error_description` strings for a failure: the server's own for an API failure,
/// `[FAULT, code, string]` for an XML-RPC fault or a JSON-RPC error that is not a XenAPI one, `[SERVER_FAULT, message]` for a response
/// that cannot be understood.
pub fn describe(e: &Error) -> Vec<String> {
    match e {
        Error::Api(failure) => failure.description(),
        Error::Fault { code, string } => {
            vec![codes::FAULT.into(), code.to_string(), string.clone()]
        }
        Error::JsonRpc { code, message, .. } => {
            vec![codes::FAULT.into(), code.to_string(), message.clone()]
        }
        Error::Encode(msg) => vec![codes::CLIENT_ERROR.into(), msg.clone()],
        Error::Transport { .. } | Error::Http { .. } => {
            vec![codes::TRANSPORT_FAULT.into(), e.report()]
        }
        other => vec![codes::SERVER_FAULT.into(), other.to_string()],
    }
}
