//! XenAPI client.
#![warn(missing_docs)]

pub mod error;
pub mod limits;
pub mod transport;

pub use error::{ApiFailure, Error, Result};
pub use limits::Limits;
