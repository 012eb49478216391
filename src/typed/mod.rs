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

pub(crate) use macros::{error_codes, xenapi_enum};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::types::Class;
use crate::wire::Param;

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

/// The parameters of a call with optional trailing ones: `required`, then those of `optional`
/// that are given (see [`sent_optional`]); `optional` pairs each one's name with its value.
pub(crate) fn with_optional<'a>(
    method: &str,
    required: &[&'a dyn Param],
    optional: &[(&str, Option<&'a dyn Param>)],
) -> Result<Vec<&'a dyn Param>> {
    let given: Vec<(&str, bool)> = optional
        .iter()
        .map(|(name, value)| (*name, value.is_some()))
        .collect();
    let sent = sent_optional(method, &given)?;
    Ok(required
        .iter()
        .copied()
        .chain(optional[..sent].iter().filter_map(|(_, value)| *value))
        .collect())
}

/// An optional parameter as [`with_optional`] takes it.
pub(crate) fn opt<T: Serialize>(value: &Option<T>) -> Option<&dyn Param> {
    value.as_ref().map(|v| v as &dyn Param)
}

/// What every generated file imports.
pub(crate) mod prelude {
    pub(crate) use super::{
        from_strings, opt, with_optional, EventBatch, HasRecord, Snapshot, TaskHandle, Void,
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
    use crate::types::DateTime;
    use crate::value::Value;
    use crate::wire::{decode_call, encode_call, encode_call_params, WireFormat};
    use std::collections::BTreeMap;

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
    fn sent(format: WireFormat, params: &[&dyn Param]) -> Vec<Value> {
        let body = encode_call_params(format, "X.m", Some("OpaqueRef:s"), params, 1).unwrap();
        decode_call(format, &body, &Limits::default())
            .unwrap()
            .params
    }

    #[test]
    fn erased_parameters_are_sent_as_the_same_bytes_as_a_tuple() {
        let record = BTreeMap::from([("k", vec![1.5, f64::INFINITY])]);
        let refs = ["OpaqueRef:a".to_string(), "OpaqueRef:<&>".to_string()];
        let when = DateTime::from_unix(1_700_000_000, 0);
        let tuple = ("s", -7i64, true, 0.1f64, &refs[..], &record, when, 3i32);
        let erased: [&dyn Param; 8] = [
            &"s",
            &-7i64,
            &true,
            &0.1f64,
            &&refs[..],
            &&record,
            &when,
            &3i32,
        ];
        for format in [
            WireFormat::XmlRpc,
            WireFormat::JsonRpc,
            WireFormat::JsonRpcV1,
        ] {
            for session in [None, Some("OpaqueRef:s")] {
                assert_eq!(
                    encode_call_params(format, "X.m", session, &erased, 9).unwrap(),
                    encode_call(format, "X.m", session, &tuple, 9).unwrap(),
                    "{format:?} {session:?}"
                );
                assert_eq!(
                    encode_call_params(format, "X.m", session, &[], 9).unwrap(),
                    encode_call(format, "X.m", session, &(), 9).unwrap(),
                    "{format:?} {session:?}"
                );
            }
        }
        let bad: [&dyn Param; 1] = [&"a\u{1}b"];
        assert!(matches!(
            encode_call_params(WireFormat::XmlRpc, "X.m", None, &bad, 1),
            Err(Error::Encode(_))
        ));
    }

    #[test]
    fn more_than_sixteen_parameters_are_sent() {
        let numbers: Vec<i64> = (1..=16).collect();
        let mut params: Vec<&dyn Param> = numbers.iter().map(|n| n as &dyn Param).collect();
        params.push(&"seventeen");
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
            let got = sent(format, &params);
            assert_eq!(got.len(), 18);
            assert_eq!(got[16].as_i64(), Some(16));
            assert_eq!(got[17], Value::from("seventeen"));
        }
    }

    #[test]
    fn with_optional_sends_the_given_optional_parameters_only() {
        let (name, size, tags): (&str, Option<i64>, Option<&[String]>) = ("x", Some(7), None);
        let params = with_optional(
            "X.m",
            &[&name],
            &[("size", opt(&size)), ("tags", opt(&tags))],
        )
        .unwrap();
        let got = sent(WireFormat::JsonRpc, &params);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].as_i64(), Some(7));
        let size: Option<i64> = None;
        let tags: Option<&[String]> = Some(&[]);
        let err = match with_optional(
            "X.m",
            &[&name],
            &[("size", opt(&size)), ("tags", opt(&tags))],
        ) {
            Err(e) => e,
            Ok(params) => panic!("{} parameters accepted", params.len()),
        };
        assert!(
            err.to_string().contains("`tags` is given but `size`"),
            "{err}"
        );
    }
}
