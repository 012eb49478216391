//! Events: the typed result of `event.from`, typed access to snapshots, and a watcher that
//! follows the event stream.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::HasRecord;
use crate::api::{Event, EventRecord};
use crate::types::{Class, Ref};
use crate::{Result, Session};

/// What `event.from` returns: the events since the token, the number of objects of each
/// class the session may see, and the token to pass next time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventBatch {
    /// The events, oldest first.
    pub events: Vec<EventRecord>,
    /// Per class name, how many objects exist.
    pub valid_ref_counts: HashMap<String, i64>,
    /// Where the next `event.from` should continue.
    pub token: String,
}

impl EventRecord {
    /// Whether the event is about an object of class `C` (servers spell the class in any case).
    pub fn is_class<C: Class>(&self) -> bool {
        self.class.eq_ignore_ascii_case(C::NAME)
    }

    /// The object's reference, if the event is about an object of class `C`.
    pub fn object_ref<C: Class>(&self) -> Option<Ref<C>> {
        self.is_class::<C>().then(|| Ref::new(self.r#ref.as_str()))
    }

    /// The object's record, if the event is about an object of class `C` and carries a
    /// snapshot (deletions do not); an error if the snapshot does not decode as the record.
    pub fn snapshot_of<C: HasRecord>(&self) -> Option<Result<C::Record>> {
        (self.is_class::<C>() && !self.snapshot.is_empty()).then(|| self.snapshot.to_record())
    }
}

/// Follows `event.from`: an iterator over events, oldest first, that blocks waiting for more.
///
/// Starting from the empty token, the first events are one `add` per existing object. The
/// iterator ends after yielding the first error (for example when the session expires).
pub struct EventWatcher<'s> {
    session: &'s Session,
    classes: Vec<String>,
    token: String,
    timeout: f64,
    pending: Pending<EventRecord>,
}

impl<'s> EventWatcher<'s> {
    /// Watches `classes` (class names such as `"VM"`, or `"*"` for all) from now, starting
    /// with the current state of every object.
    pub fn new(session: &'s Session, classes: &[&str]) -> Self {
        Self::from_token(session, classes, "")
    }

    /// Watches `classes` from a token an earlier batch returned.
    pub fn from_token(session: &'s Session, classes: &[&str], token: &str) -> Self {
        EventWatcher {
            session,
            classes: classes.iter().map(|c| (*c).to_owned()).collect(),
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
    pub fn next_batch(&mut self) -> Result<EventBatch> {
        let batch = Event::from(self.session, &self.classes, &self.token, self.timeout)?;
        self.token.clone_from(&batch.token);
        Ok(batch)
    }
}

impl Iterator for EventWatcher<'_> {
    type Item = Result<EventRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        let EventWatcher {
            session,
            classes,
            token,
            timeout,
            pending,
        } = self;
        pending.next(|| {
            let batch = Event::from(session, classes, token, *timeout)?;
            *token = batch.token;
            Ok(batch.events)
        })
    }
}

/// What a watcher has fetched but not yet yielded, and whether its stream ended in an error.
pub(crate) struct Pending<E> {
    queue: VecDeque<E>,
    failed: bool,
}

impl<E> Default for Pending<E> {
    fn default() -> Self {
        Pending {
            queue: VecDeque::new(),
            failed: false,
        }
    }
}

impl<E> Pending<E> {
    /// The oldest event not yet yielded, fetching batches with `fetch` while there is none;
    /// after `fetch` fails, its error once and then the end.
    pub(crate) fn next(&mut self, mut fetch: impl FnMut() -> Result<Vec<E>>) -> Option<Result<E>> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(Ok(event));
            }
            if self.failed {
                return None;
            }
            match fetch() {
                Ok(events) => self.queue.extend(events),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
