//! Event snapshots: kept as a dynamic [`Value`] until the caller asks for a typed record,
//! because an event's class is only known once the whole event has been read.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::value::{from_value, Value};
use crate::Result;

/// The snapshot of an object carried by an event: its record, as the server sent it.
///
/// Decode it with [`Snapshot::to_record`], or through
/// [`EventRecord::snapshot_of`](crate::api::EventRecord::snapshot_of).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Snapshot(pub Value);

impl Snapshot {
    /// Whether the event carried no snapshot (deletions, and events of the old API).
    pub fn is_empty(&self) -> bool {
        self.0.is_nil()
    }

    /// Decodes a copy of the snapshot as `R` (normally a record type such as
    /// [`VmRecord`](crate::api::VmRecord)).
    pub fn to_record<R: DeserializeOwned>(&self) -> Result<R> {
        from_value(self.0.clone())
    }

    /// Decodes the snapshot as `R`, consuming it.
    pub fn into_record<R: DeserializeOwned>(self) -> Result<R> {
        from_value(self.0)
    }
}
