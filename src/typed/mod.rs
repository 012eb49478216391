//! Hand-written support for the generated typed API in [`crate::api`]: waiting for tasks,
//! watching events, decoding event snapshots, and the macros generated enums use.

mod class_events;
mod events;
mod failure;
pub(crate) mod macros;
mod snapshot;
mod task;

pub use class_events::{ClassEvent, ClassEventBatch, ClassWatcher};
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
pub(crate) fn sent_optional(method: &str, given: &[(&str, bool)]) -> Result<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::value::Value;
    use crate::wire::{decode_call, encode_call, WireFormat};

    #[test]
    fn only_trailing_optional_parameters_may_be_left_out() {
        assert_eq!(sent_optional("m", &[]).unwrap(), 0);
        assert_eq!(sent_optional("m", &[("a", true), ("b", false)]).unwrap(), 1);
        assert_eq!(
            sent_optional("m", &[("a", false), ("b", false)]).unwrap(),
            0
        );
        let err = sent_optional("X.m", &[("a", true), ("b", false), ("c", true)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot encode: X.m: optional parameter `c` is given but `b` before it is not; \
             positional parameters can only be left out from the end"
        );
    }

    /// Sends `params` and returns what a server decodes.
    fn sent<P: Serialize>(format: WireFormat, params: &P) -> Vec<Value> {
        let body = encode_call(format, "X.m", Some("OpaqueRef:s"), params, 1).unwrap();
        decode_call(format, &body, &Limits::default())
            .unwrap()
            .params
    }

    #[test]
    fn call_params_carries_more_than_sixteen_required_parameters() {
        let (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q) = (
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            13,
            14,
            15,
            16,
            "seventeen",
        );
        let params =
            call_params!("X.m"; a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q;).unwrap();
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
            let got = sent(format, &params);
            assert_eq!(got.len(), 18);
            assert_eq!(got[16].as_i64(), Some(16));
            assert_eq!(got[17], Value::from("seventeen"));
        }
    }

    #[test]
    fn call_params_sends_the_given_optional_parameters_only() {
        let (name, size, tags): (&str, Option<i64>, Option<&[String]>) = ("x", Some(7), None);
        let params = call_params!("X.m"; name; "size" size, "tags" tags).unwrap();
        let got = sent(WireFormat::JsonRpc, &params);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].as_i64(), Some(7));
        let size: Option<i64> = None;
        let tags: Option<&[String]> = Some(&[]);
        assert!(call_params!("X.m"; name; "size" size, "tags" tags).is_err());
    }
}
