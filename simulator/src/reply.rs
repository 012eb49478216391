//! What a call returns, serialized lazily: records stay shared `Arc`s until the encoder walks
//! them, so a 40 MB `get_all_records` is never copied into an intermediate tree.

use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::Model;
use crate::store::Record;
use crate::value::V;

/// A call's result.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A plain value.
    V(V),
    /// The record of an object of class `.0`.
    Rec(usize, Arc<Record>),
    /// A struct of replies (an event, a map of ref → record).
    Map(Vec<(String, Reply)>),
    /// An array of replies.
    List(Vec<Reply>),
}

impl Reply {
    /// The void result (xapi sends an empty string).
    pub fn void() -> Reply {
        Reply::V(V::Str(String::new()))
    }

    /// A string result.
    pub fn s(s: impl Into<String>) -> Reply {
        Reply::V(V::Str(s.into()))
    }
}

/// A reply with the model that names record fields: what the wire encoder serializes.
pub struct ReplyView<'a> {
    /// The model.
    pub model: &'a Model,
    /// The reply.
    pub reply: &'a Reply,
}

/// A record with the model that names its fields: how the wire encoder sees a record.
pub(crate) struct RecordView<'a> {
    pub(crate) model: &'a Model,
    pub(crate) class: usize,
    pub(crate) rec: &'a Record,
}

impl Serialize for RecordView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = &self.model.classes[self.class].fields;
        let mut map = s.serialize_map(Some(fields.len()))?;
        for (f, v) in fields.iter().zip(self.rec.iter()) {
            map.serialize_entry(f.name.as_str(), v)?;
        }
        map.end()
    }
}

impl Serialize for ReplyView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.model;
        match self.reply {
            Reply::V(v) => v.serialize(s),
            Reply::Rec(class, rec) => RecordView {
                model,
                class: *class,
                rec,
            }
            .serialize(s),
            Reply::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, r) in entries {
                    map.serialize_entry(k.as_str(), &ReplyView { model, reply: r })?;
                }
                map.end()
            }
            Reply::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for r in items {
                    seq.serialize_element(&ReplyView { model, reply: r })?;
                }
                seq.end()
            }
        }
    }
}
