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

pub(crate) use macros::{call_params, error_codes, xenapi_enum};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
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

/// How many of a call's optional parameters to send: those given, which must come first, as
/// parameters are positional and a server reads a shorter call as one that left out its last
/// parameters. `given` pairs each optional parameter's name with whether the caller gave it.
/// A parameter left out before one that is given is an [`Error::Encode`]: sending a stand-in
/// value could change what the call does, and the model has no defaults to send instead.
pub fn sent_optional(method: &str, given: &[(&str, bool)]) -> Result<usize> {
    let sent = given.iter().take_while(|(_, is_given)| *is_given).count();
    match given[sent..].iter().find(|(_, is_given)| *is_given) {
        None => Ok(sent),
        Some((later, _)) => Err(Error::Encode(format!(
            "{method}: optional parameter `{later}` is given but `{}` before it is not; \
             positional parameters can only be left out from the end",
            given[sent].0
        ))),
    }
}

/// What every generated file imports.
pub(crate) mod prelude {
    pub(crate) use super::{
        call_params, from_strings, EventBatch, HasRecord, Snapshot, TaskHandle, Void,
    };
    pub(crate) use crate::api::*;
    pub(crate) use crate::types::{Class, DateTime, Ref};
    pub(crate) use crate::Result;
    pub(crate) use serde::{Deserialize, Serialize};
    pub(crate) use std::collections::HashMap;
}
