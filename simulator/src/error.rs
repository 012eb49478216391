//! xapi failures: an error code and its parameters, as `ErrorDescription` carries them.

use std::fmt;

/// A XenAPI failure: `[CODE, params...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub Vec<String>);

impl Failure {
    /// A failure with a code and parameters.
    pub fn new<S: AsRef<str>>(code: &str, params: impl IntoIterator<Item = S>) -> Failure {
        let mut v = vec![code.to_string()];
        v.extend(params.into_iter().map(|p| p.as_ref().to_string()));
        Failure(v)
    }

    /// The error code.
    pub fn code(&self) -> &str {
        &self.0[0]
    }

    /// `INTERNAL_ERROR [message]`.
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure(vec!["INTERNAL_ERROR".into(), message.into()])
    }

    /// `MESSAGE_METHOD_UNKNOWN [method]`.
    pub fn method_unknown(method: &str) -> Failure {
        Failure::new("MESSAGE_METHOD_UNKNOWN", [method])
    }

    /// `NOT_IMPLEMENTED [function]`: a message of the model the simulator does not simulate.
    pub fn not_implemented(method: &str) -> Failure {
        Failure::new("NOT_IMPLEMENTED", [method])
    }

    /// `FIELD_TYPE_ERROR [field]`.
    pub fn field_type(field: &str) -> Failure {
        Failure::new("FIELD_TYPE_ERROR", [field])
    }

    /// `VM_BAD_POWER_STATE [vm, expected, actual]` with xapi's lower-case state names.
    pub fn bad_power_state(vm: &str, expected: &str, actual: &str) -> Failure {
        Failure::new(
            "VM_BAD_POWER_STATE",
            [
                vm,
                &expected.to_ascii_lowercase(),
                &actual.to_ascii_lowercase(),
            ],
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.join(" "))
    }
}

impl std::error::Error for Failure {}
