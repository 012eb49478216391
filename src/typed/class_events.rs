//! Events of one class, their snapshots decoded straight from the response into the class's
//! record type: no dynamic [`Value`](crate::Value) tree, no copy.
//!
//! Asking `event.from` for one class means every snapshot in the response is a record of that
//! class, so the whole batch decodes in one typed pass. A snapshot that is not such a record
//! makes that pass fail; the same response is then decoded again through dynamic values, so
//! that only the event with the odd snapshot carries the error and the batch (and its token)
//! is kept.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;

use super::events::Pending;
use super::{EventBatch, HasRecord};
use crate::api::{Event, EventOperation, EventRecord};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::types::{Class, Ref};
use crate::wire::{decode_response, WireFormat};
use crate::Session;

/// One event about an object of class `C`, from [`Event::from_class`] or a [`ClassWatcher`].
pub struct ClassEvent<C: HasRecord> {
    /// The event's id (increasing).
    pub id: i64,
    /// Whether the object was added, modified or deleted.
    pub operation: EventOperation,
    /// The object.
    pub object: Ref<C>,
    /// The object's record as of the event: `None` when the event carries no snapshot
    /// (deletions), an error when the snapshot is not a record of `C` (or the event is about
    /// another class).
    pub snapshot: Option<Result<C::Record>>,
}

impl<C: HasRecord> fmt::Debug for ClassEvent<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassEvent")
            .field("class", &C::NAME)
            .field("id", &self.id)
            .field("operation", &self.operation)
            .field("object", &self.object.as_str())
            .field("snapshot", &self.snapshot)
            .finish()
    }
}

/// What `event.from` returns for one class: its events with typed snapshots, the object
/// counts and the token to pass next time.
pub struct ClassEventBatch<C: HasRecord> {
    /// The events, oldest first.
    pub events: Vec<ClassEvent<C>>,
    /// Per class name, how many objects exist.
    pub valid_ref_counts: HashMap<String, i64>,
    /// Where the next `event.from` should continue.
    pub token: String,
}

impl<C: HasRecord> fmt::Debug for ClassEventBatch<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassEventBatch")
            .field("events", &self.events)
            .field("valid_ref_counts", &self.valid_ref_counts)
            .field("token", &self.token)
            .finish()
    }
}

impl Event {
    /// Calls `event.from([C::NAME], token, timeout)`: the events of class `C` since `token`
    /// (`""`: one `add` per existing object), each snapshot decoded as `C`'s record while the
    /// response is read. Blocks on the server up to `timeout` seconds waiting for an event.
    pub fn from_class<C: HasRecord>(
        session: &Session,
        token: &str,
        timeout: f64,
    ) -> Result<ClassEventBatch<C>> {
        let classes = [C::NAME];
        session.call_decoding(
            "event.from",
            &(&classes[..], token, timeout),
            &mut decode_class_batch::<C>,
        )
    }
}

/// The wire shape of a batch whose snapshots are records `R`.
#[derive(Deserialize)]
#[serde(default, bound = "R: Deserialize<'de>")]
struct WireBatch<R> {
    events: Vec<WireEvent<R>>,
    valid_ref_counts: HashMap<String, i64>,
    token: String,
}

impl<R> Default for WireBatch<R> {
    fn default() -> Self {
        WireBatch {
            events: Vec::new(),
            valid_ref_counts: HashMap::new(),
            token: String::new(),
        }
    }
}

/// The wire shape of one event; fields it does not name (`timestamp`, `obj_uuid`) are skipped.
#[derive(Deserialize)]
#[serde(default, bound = "R: Deserialize<'de>")]
struct WireEvent<R> {
    id: i64,
    class: String,
    operation: EventOperation,
    #[serde(rename = "ref")]
    object: String,
    snapshot: Option<R>,
}

impl<R> Default for WireEvent<R> {
    fn default() -> Self {
        WireEvent {
            id: 0,
            class: String::new(),
            operation: EventOperation::default(),
            object: String::new(),
            snapshot: None,
        }
    }
}

fn decode_class_batch<C: HasRecord>(
    format: WireFormat,
    body: &[u8],
    limits: &Limits,
) -> Result<ClassEventBatch<C>> {
    match decode_response::<WireBatch<C::Record>>(format, body, limits) {
        Ok(batch) => Ok(ClassEventBatch {
            events: batch.events.into_iter().map(typed_event::<C>).collect(),
            valid_ref_counts: batch.valid_ref_counts,
            token: batch.token,
        }),
        // A broken body fails this decode too, with its own error.
        Err(Error::Decode { .. }) => {
            let batch: EventBatch = decode_response(format, body, limits)?;
            Ok(ClassEventBatch {
                events: batch.events.into_iter().map(dynamic_event::<C>).collect(),
                valid_ref_counts: batch.valid_ref_counts,
                token: batch.token,
            })
        }
        Err(e) => Err(e),
    }
}

fn typed_event<C: HasRecord>(e: WireEvent<C::Record>) -> ClassEvent<C> {
    let snapshot = match other_class::<C>(&e.class) {
        Some(err) => e.snapshot.map(|_| Err(err)),
        None => e.snapshot.map(Ok),
    };
    ClassEvent {
        id: e.id,
        operation: e.operation,
        object: Ref::new(e.object),
        snapshot,
    }
}

fn dynamic_event<C: HasRecord>(e: EventRecord) -> ClassEvent<C> {
    let snapshot = (!e.snapshot.is_empty()).then(|| match other_class::<C>(&e.class) {
        Some(err) => Err(err),
        None => e.snapshot.into_record(),
    });
    ClassEvent {
        id: e.id,
        operation: e.operation,
        object: Ref::new(e.r#ref),
        snapshot,
    }
}

/// The error of a snapshot of class `class` where one of `C` was asked for, if it is another.
fn other_class<C: Class>(class: &str) -> Option<Error> {
    (!class.eq_ignore_ascii_case(C::NAME)).then(|| Error::Decode {
        expected: format!("an event of class {}", C::NAME),
        found: format!("an event of class {class:?}"),
        offset: None,
    })
}

/// Follows `event.from` for one class: an iterator over its events, oldest first, snapshots
/// typed, that blocks waiting for more.
///
/// Starting from the empty token, the first events are one `add` per existing object. The
/// iterator ends after yielding the first error (for example when the session expires); a
/// snapshot that does not decode is not such an error, it stays inside its event.
pub struct ClassWatcher<'s, C: HasRecord> {
    session: &'s Session,
    token: String,
    timeout: f64,
    pending: Pending<ClassEvent<C>>,
}

impl<'s, C: HasRecord> ClassWatcher<'s, C> {
    /// Watches the objects of class `C` from now, starting with the current state of each.
    pub fn new(session: &'s Session) -> Self {
        Self::from_token(session, "")
    }

    /// Watches the objects of class `C` from a token an earlier batch returned.
    pub fn from_token(session: &'s Session, token: &str) -> Self {
        ClassWatcher {
            session,
            token: token.to_owned(),
            timeout: 30.0,
            pending: Pending::default(),
        }
    }

    /// How long each `event.from` call waits on the server for events, in seconds (default 30).
    pub fn with_poll_timeout(mut self, seconds: f64) -> Self {
        self.timeout = seconds;
        self
    }

    /// The token after the events fetched so far.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Fetches the next batch (possibly empty, after the poll timeout) and advances the token.
    /// Events still buffered for the iterator are not included.
    pub fn next_batch(&mut self) -> Result<ClassEventBatch<C>> {
        let batch = Event::from_class::<C>(self.session, &self.token, self.timeout)?;
        self.token.clone_from(&batch.token);
        Ok(batch)
    }
}

impl<C: HasRecord> Iterator for ClassWatcher<'_, C> {
    type Item = Result<ClassEvent<C>>;

    fn next(&mut self) -> Option<Self::Item> {
        let ClassWatcher {
            session,
            token,
            timeout,
            pending,
        } = self;
        pending.next(|| {
            let batch = Event::from_class::<C>(session, token, *timeout)?;
            *token = batch.token;
            Ok(batch.events)
        })
    }
}
