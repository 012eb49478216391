//! XenAPI client: the typed Rust API, the XML-RPC and JSON-RPC codecs, and the transports.
//!
//! The pieces and the contracts between them are described in `docs/DESIGN.md`.
#![warn(missing_docs)]

pub mod error;
pub mod limits;
pub mod session;
pub mod transport;
pub mod types;
pub mod value;
pub mod wire;

pub use error::{ApiFailure, Error, Result};
pub use limits::Limits;
pub use session::{Client, ClientBuilder, Session};
pub use types::{Class, DateTime, Ref};
pub use value::{from_value, Struct, Value};
pub use wire::{Call, WireFormat};
