//! The crate's error type.

use std::fmt;

/// A XenAPI failure: the server ran the call and refused it with an error code and parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiFailure {
    /// The error code, e.g. `HANDLE_INVALID`.
    pub code: String,
    /// The code's parameters, in wire order.
    pub params: Vec<String>,
}

impl ApiFailure {
    /// Builds a failure from a wire `ErrorDescription` (`[code, params...]`).
    ///
    /// An empty description becomes the code `""` with no parameters.
    pub fn from_description(mut description: Vec<String>) -> Self {
        if description.is_empty() {
            return ApiFailure {
                code: String::new(),
                params: Vec::new(),
            };
        }
        let code = description.remove(0);
        ApiFailure {
            code,
            params: description,
        }
    }

    /// The wire `ErrorDescription`: the code followed by the parameters.
    pub fn description(&self) -> Vec<String> {
        let mut d = Vec::with_capacity(self.params.len() + 1);
        d.push(self.code.clone());
        d.extend(self.params.iter().cloned());
        d
    }
}

/// Displays as `CODE` when there are no parameters, else `CODE(name=value, …)` with the
/// parameter names the data model gives the code (extra or unnamed parameters positionally),
/// e.g. `VM_BAD_POWER_STATE(vm=OpaqueRef:…, expected=halted, actual=running)`.
impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_named(f)
    }
}

impl std::error::Error for ApiFailure {}

/// Everything that can go wrong talking to a XenAPI server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be delivered or the response not read (connection, TLS, I/O).
    ///
    /// `Display` names only where the request was going: what happened is the `source`
    /// (and, for an I/O failure, its own source is the `std::io::Error`; see
    /// [`Error::io_error_kind`]). [`Error::report`] prints the whole chain, each part once.
    #[error("transport error talking to {url}")]
    Transport {
        /// Where the request was going.
        url: String,
        /// What happened.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The server answered with an HTTP status other than success.
    #[error("HTTP status {status} from {url}{}: {body_excerpt:?}", redirect(.location))]
    Http {
        /// Where the request went.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (a short excerpt, never the whole body).
        body_excerpt: String,
        /// The `Location` header of a redirection (redirections are not followed: a XenAPI
        /// call must not be sent twice).
        location: Option<String>,
    },
    /// The response (or, on the server side, the request) is not well-formed for its wire format.
    #[error("malformed message{}: expected {expected}, found {found}", at(.offset))]
    Decode {
        /// What the decoder was looking for.
        expected: String,
        /// What it found instead (a short excerpt or a description).
        found: String,
        /// The byte offset in the body where the problem was found, when known.
        offset: Option<usize>,
    },
    /// An XML-RPC `<fault>`: the server could not process the request at the protocol level.
    #[error("XML-RPC fault {code}: {string}")]
    Fault {
        /// The `faultCode`.
        code: i64,
        /// The `faultString`.
        string: String,
    },
    /// A JSON-RPC error object that is not a XenAPI failure (whose `code` is 1): a protocol
    /// error such as `-32601` (method not found) or `-32700` (parse error), or what a proxy
    /// or another server put there (`500`). The numeric code is kept as sent.
    #[error("JSON-RPC error {code}: {message}")]
    JsonRpc {
        /// The error object's `code`.
        code: i64,
        /// Its `message` (empty when absent).
        message: String,
        /// Its `data`, when present and not `null`.
        data: Option<crate::value::Value>,
    },
    /// The call failed: the server answered with a XenAPI error code and parameters.
    #[error("API failure: {0}")]
    Api(ApiFailure),
    /// The response body is larger than `Limits::max_response_bytes`.
    #[error("response larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The response nests arrays and structs deeper than `Limits::max_depth`.
    #[error("nesting deeper than the limit of {limit}{}", at(.offset))]
    TooDeep {
        /// The depth limit.
        limit: usize,
        /// Where the limit was exceeded.
        offset: Option<usize>,
    },
    /// Decoding the response into [`crate::Value`] would take more memory than
    /// [`crate::value::VALUE_BYTES_PER_BODY_BYTE`] times the body (a huge array of tiny
    /// values); decode it into a typed result instead.
    #[error(
        "the response would take more than {limit} bytes of memory as a Value (a tree of \
         many tiny values); decode it into a typed result instead"
    )]
    ValueTooLarge {
        /// The memory budget in bytes.
        limit: u64,
    },
    /// A task did not finish within the time the caller allowed (it keeps running on the
    /// server).
    #[error("task {task} still running after {waited:?}")]
    TaskTimeout {
        /// The task's reference.
        task: String,
        /// How long the caller waited.
        waited: std::time::Duration,
    },
    /// A value could not be encoded (e.g. a map key that is not a string).
    #[error("cannot encode: {0}")]
    Encode(String),
}

impl From<ApiFailure> for Error {
    fn from(failure: ApiFailure) -> Self {
        Error::Api(failure)
    }
}

impl Error {
    /// This error as a log line may show it: an API failure by its code alone (the
    /// parameters of some, such as `SESSION_INVALID`'s, are session references), anything
    /// else as `Display` shows it.
    pub fn loggable(&self) -> String {
        match self {
            Error::Api(failure) => failure.code.clone(),
            other => other.to_string(),
        }
    }

    /// This error and its causes, each printed once, joined by `": "` (what `Display` of a
    /// [`Error::Transport`] leaves to its sources).
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }

    /// The kind of the I/O error behind a transport failure, when there is one (e.g.
    /// `NotFound` for a missing Unix socket, `ConnectionRefused`, `ConnectionReset`).
    pub fn io_error_kind(&self) -> Option<std::io::ErrorKind> {
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                return Some(io.kind());
            }
            next = cause.source();
        }
        None
    }
}

fn redirect(location: &Option<String>) -> String {
    match location {
        Some(l) => format!(" (a redirection to {l}, not followed)"),
        None => String::new(),
    }
}

fn at(offset: &Option<usize>) -> String {
    match offset {
        Some(o) => format!(" at byte {o}"),
        None => String::new(),
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A decode error at a known offset.
    pub(crate) fn decode(
        expected: impl Into<String>,
        found: impl Into<String>,
        offset: usize,
    ) -> Self {
        Error::Decode {
            expected: expected.into(),
            found: found.into(),
            offset: Some(offset),
        }
    }

    /// Fills in the offset of a decode or depth error that was raised without one.
    pub(crate) fn at_offset(mut self, pos: usize) -> Self {
        match &mut self {
            Error::Decode { offset, .. } | Error::TooDeep { offset, .. } if offset.is_none() => {
                *offset = Some(pos)
            }
            _ => {}
        }
        self
    }
}

/// How a depth error reads when it has to travel through another library's error type.
pub(crate) const DEPTH_MARK: &str = "nesting deeper than the limit of ";

/// How a `Value` memory error reads when it travels through another library's error type.
pub(crate) const VALUE_MEMORY_MARK: &str = "value memory budget exceeded: ";

/// The error a message starting with one of the marks stands for.
pub(crate) fn from_mark(msg: &str) -> Option<Error> {
    let number = |rest: &str| {
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(limit) = msg.strip_prefix(DEPTH_MARK).and_then(number) {
        return Some(Error::TooDeep {
            limit: limit as usize,
            offset: None,
        });
    }
    msg.strip_prefix(VALUE_MEMORY_MARK)
        .and_then(number)
        .map(|limit| Error::ValueTooLarge { limit })
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let msg = msg.to_string();
        if let Some(e) = from_mark(&msg) {
            return e;
        }
        Error::Decode {
            expected: msg,
            found: "a value that does not fit".into(),
            offset: None,
        }
    }

    fn invalid_type(unexp: serde::de::Unexpected<'_>, exp: &dyn serde::de::Expected) -> Self {
        Error::Decode {
            expected: exp.to_string(),
            found: unexp.to_string(),
            offset: None,
        }
    }

    fn invalid_value(unexp: serde::de::Unexpected<'_>, exp: &dyn serde::de::Expected) -> Self {
        Self::invalid_type(unexp, exp)
    }

    fn invalid_length(len: usize, exp: &dyn serde::de::Expected) -> Self {
        Error::Decode {
            expected: exp.to_string(),
            found: format!("{len} elements"),
            offset: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Error::Decode {
            expected: format!("struct member `{field}`"),
            found: "the end of the struct".into(),
            offset: None,
        }
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Encode(msg.to_string())
    }
}
