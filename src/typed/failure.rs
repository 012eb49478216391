//! Typed access to an [`ApiFailure`]'s code and named parameters.

use std::fmt;

use crate::api::ErrorCode;
use crate::error::ApiFailure;

impl ApiFailure {
    /// The error code, typed (`ErrorCode::Other` for a code the model does not know).
    pub fn code(&self) -> ErrorCode {
        ErrorCode::from_code(&self.code)
    }

    /// The parameter the model names `name` for this code (e.g. `"actual"` for
    /// `VM_BAD_POWER_STATE`), if the server sent it.
    pub fn param(&self, name: &str) -> Option<&str> {
        let position = self.code().param_names().iter().position(|n| *n == name)?;
        self.params.get(position).map(String::as_str)
    }

    /// Writes `CODE(name=value, …)`: parameters the model names are written `name=value`,
    /// any beyond those positionally; a code without parameters is written alone.
    pub(crate) fn write_named(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)?;
        if self.params.is_empty() {
            return Ok(());
        }
        let code = self.code();
        let mut names = code.param_names().iter();
        f.write_str("(")?;
        for (i, value) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match names.next() {
                Some(name) => write!(f, "{name}={value}")?,
                None => f.write_str(value)?,
            }
        }
        f.write_str(")")
    }
}
