//! Hand-written support for the generated typed API in [`crate::api`]: waiting for tasks,
//! watching events, decoding event snapshots, and the macros generated enums use.

mod events;
mod failure;
pub(crate) mod macros;
mod snapshot;
mod task;

pub use events::{EventBatch, EventWatcher};
pub use snapshot::Snapshot;
pub use task::{decode_task_result, TaskHandle, WaitOptions};

pub(crate) use macros::{error_codes, long_params, xenapi_enum};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::types::Class;

/// A class whose objects have a record type (every class still served).
pub trait HasRecord: Class {
    /// The record: every field of an object of this class.
    type Record: DeserializeOwned + Serialize + Clone + std::fmt::Debug;
}

/// The result type generated code asks for when a message returns nothing: accepts and
/// discards whatever the server sent (xapi sends an empty string).
pub(crate) type Void = serde::de::IgnoredAny;

/// Converts a list decoded as strings into refs or enums (see the generator's `wire_result`).
pub(crate) fn from_strings<T: From<String>>(strings: Vec<String>) -> Vec<T> {
    strings.into_iter().map(T::from).collect()
}

/// What every generated file imports.
pub(crate) mod prelude {
    pub(crate) use super::{
        from_strings, long_params, EventBatch, HasRecord, Snapshot, TaskHandle, Void,
    };
    pub(crate) use crate::api::*;
    pub(crate) use crate::types::{Class, DateTime, Ref};
    pub(crate) use crate::Result;
    pub(crate) use serde::{Deserialize, Serialize};
    pub(crate) use std::collections::HashMap;
}
