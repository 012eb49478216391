//! Response bodies, with the records of large replies encoded once and reused.
//!
//! A `get_all_records` of thousands of objects is mostly records that did not change since the
//! last call. [`RecordCache`] keeps each record's encoding per format, keyed by the record's
//! `Arc`, which it holds: while it does, the store cannot change that record in place
//! (`Arc::make_mut` copies a shared record), so one allocation always has one content. A
//! response is then the envelope, encoded by `xenapi::wire` with a marker in place of each
//! record, with the records' bytes spliced in at the markers: byte for byte what encoding the
//! whole reply would give (a test checks it), without walking the records again. The spliced
//! body is never assembled: [`Body::write_to`] hands the pieces to the socket in vectored
//! writes, so a call allocates and copies nothing the size of the response.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, IoSlice, Write};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use xenapi::wire::{self, WireFormat};
use xenapi::Error;

use crate::model::Model;
use crate::reply::{RecordView, Reply, ReplyView};
use crate::store::Record;

/// Replies with fewer records are encoded directly: splicing pays off on large ones.
const SPLICE_MIN_RECORDS: usize = 32;

/// The cached encodings of records, per format.
#[derive(Debug, Default)]
pub struct RecordCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// By the address of the record (the `Arc` held in the entry keeps it unique).
    by_record: HashMap<usize, Entry>,
    /// Stale entries (records only the cache still holds) are dropped when the map grows
    /// past this.
    prune_at: usize,
}

#[derive(Debug)]
struct Entry {
    record: Arc<Record>,
    xml: Option<Arc<[u8]>>,
    json: Option<Arc<[u8]>>,
}

impl Entry {
    fn slot(&mut self, format: WireFormat) -> &mut Option<Arc<[u8]>> {
        match format {
            WireFormat::XmlRpc => &mut self.xml,
            WireFormat::JsonRpc | WireFormat::JsonRpcV1 => &mut self.json,
        }
    }
}

/// A response body: whole, or the pieces of a spliced one.
#[derive(Debug)]
pub enum Body {
    /// The bytes.
    Whole(Vec<u8>),
    /// The skeleton's `gaps` with `records[i]` between `gaps[i]` and `gaps[i + 1]`.
    Spliced {
        /// The envelope with record markers.
        skeleton: Vec<u8>,
        /// The parts of the skeleton around the markers (one more than the records).
        gaps: Vec<Range<usize>>,
        /// The records' encodings.
        records: Vec<Arc<[u8]>>,
    },
}

/// How many pieces go into one vectored write (Linux's `IOV_MAX`).
const MAX_SLICES: usize = 1024;

impl Body {
    /// The length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Body::Whole(b) => b.len(),
            Body::Spliced { gaps, records, .. } => {
                gaps.iter().map(|g| g.len()).sum::<usize>()
                    + records.iter().map(|r| r.len()).sum::<usize>()
            }
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pieces in order.
    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let (whole, spliced) = match self {
            Body::Whole(b) => (Some(b.as_slice()), None),
            Body::Spliced {
                skeleton,
                gaps,
                records,
            } => (None, Some((skeleton, gaps, records))),
        };
        let spliced = spliced.into_iter().flat_map(|(skeleton, gaps, records)| {
            gaps.iter().enumerate().flat_map(move |(i, gap)| {
                std::iter::once(&skeleton[gap.clone()]).chain(records.get(i).map(|r| &r[..]))
            })
        });
        whole.into_iter().chain(spliced)
    }

    /// The bytes, assembled (for the fault injections that cut or alter a body).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        self.pieces().for_each(|p| out.extend_from_slice(p));
        out
    }

    /// Writes `head`, then the body, in as few writes as the stream takes.
    pub fn write_to<W: Write>(&self, out: &mut W, head: &[u8]) -> io::Result<()> {
        let mut pieces = std::iter::once(head)
            .chain(self.pieces())
            .filter(|p| !p.is_empty());
        loop {
            let mut batch: Vec<IoSlice<'_>> =
                pieces.by_ref().take(MAX_SLICES).map(IoSlice::new).collect();
            if batch.is_empty() {
                return Ok(());
            }
            let mut rest = &mut batch[..];
            while !rest.is_empty() {
                match out.write_vectored(rest) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => IoSlice::advance_slices(&mut rest, n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

/// The success response to a call: `reply` encoded in `format` (with the request's JSON-RPC
/// `id`), exactly as `wire::encode_success` writes it.
pub fn success(
    model: &Model,
    cache: &RecordCache,
    format: WireFormat,
    reply: &Reply,
    id: Option<&serde_json::Value>,
) -> Result<Body, Error> {
    let mut records = Vec::new();
    collect(reply, &mut records);
    if records.len() < SPLICE_MIN_RECORDS {
        return wire::encode_success(format, &ReplyView { model, reply }, id).map(Body::Whole);
    }
    let encoded = cache.encodings(model, format, &records)?;
    let nonce = marker_nonce();
    let skeleton = wire::encode_success(
        format,
        &Skeleton {
            reply,
            nonce: &nonce,
            seen: &Cell::new(0),
        },
        id,
    )?;
    let gaps = gaps(format, &skeleton, &nonce, encoded.len());
    Ok(Body::Spliced {
        skeleton,
        gaps,
        records: encoded,
    })
}

/// The records of `reply`, in the order the encoder meets them.
fn collect<'a>(reply: &'a Reply, out: &mut Vec<(usize, &'a Arc<Record>)>) {
    match reply {
        Reply::V(_) => {}
        Reply::Rec(class, rec) => out.push((*class, rec)),
        Reply::Map(entries) => entries.iter().for_each(|(_, r)| collect(r, out)),
        Reply::List(items) => items.iter().for_each(|r| collect(r, out)),
    }
}

impl RecordCache {
    /// The encodings of `records` in `format`, encoding (and keeping) those not cached yet.
    fn encodings(
        &self,
        model: &Model,
        format: WireFormat,
        records: &[(usize, &Arc<Record>)],
    ) -> Result<Vec<Arc<[u8]>>, Error> {
        let mut found: Vec<Option<Arc<[u8]>>> = {
            let mut entries = self.lock();
            records
                .iter()
                .map(|(_, rec)| {
                    entries
                        .by_record
                        .get_mut(&key(rec))
                        .and_then(|e| e.slot(format).clone())
                })
                .collect()
        };
        let mut fresh = Vec::new();
        for (i, slot) in found.iter_mut().enumerate() {
            if slot.is_none() {
                let (class, rec) = records[i];
                let bytes: Arc<[u8]> =
                    wire::encode_value(format, &RecordView { model, class, rec })?.into();
                *slot = Some(bytes.clone());
                fresh.push((rec.clone(), bytes));
            }
        }
        if !fresh.is_empty() {
            let mut entries = self.lock();
            for (record, bytes) in fresh {
                let entry = entries.by_record.entry(key(&record)).or_insert(Entry {
                    record,
                    xml: None,
                    json: None,
                });
                *entry.slot(format) = Some(bytes);
            }
            entries.prune();
        }
        Ok(found
            .into_iter()
            .map(|b| b.expect("filled above"))
            .collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Entries {
    /// Drops the entries of records that only the cache still holds (replaced or deleted in
    /// the store), once the map has doubled since the last pruning.
    fn prune(&mut self) {
        if self.by_record.len() <= self.prune_at {
            return;
        }
        self.by_record
            .retain(|_, e| Arc::strong_count(&e.record) > 1);
        self.prune_at = (2 * self.by_record.len()).max(1024);
    }
}

fn key(rec: &Arc<Record>) -> usize {
    Arc::as_ptr(rec) as usize
}

/// A marker prefix no record, ref or value of a reply will spell by chance.
fn marker_nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(crate::value::now_secs() as u64);
    format!("xapi-sim-record-{:016x}-", h.finish())
}

/// A reply serialized with the marker `<nonce><n>` in place of its n-th record.
struct Skeleton<'a> {
    reply: &'a Reply,
    nonce: &'a str,
    /// How many records the serializer has met so far.
    seen: &'a Cell<usize>,
}

impl Serialize for Skeleton<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let part = |reply| Skeleton {
            reply,
            nonce: self.nonce,
            seen: self.seen,
        };
        match self.reply {
            Reply::V(v) => v.serialize(s),
            Reply::Rec(..) => {
                let n = self.seen.replace(self.seen.get() + 1);
                s.serialize_str(&format!("{}{n}", self.nonce))
            }
            Reply::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, r) in entries {
                    map.serialize_entry(k.as_str(), &part(r))?;
                }
                map.end()
            }
            Reply::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for r in items {
                    seq.serialize_element(&part(r))?;
                }
                seq.end()
            }
        }
    }
}

/// The parts of the skeleton around its `records` marker values (`<value>marker</value>` in
/// XML-RPC, `"marker"` in JSON), each of which a record's encoding (a whole value in the same
/// format) replaces.
fn gaps(format: WireFormat, skeleton: &[u8], nonce: &str, records: usize) -> Vec<Range<usize>> {
    let (open, close): (&[u8], &[u8]) = match format {
        WireFormat::XmlRpc => (b"<value>", b"</value>"),
        WireFormat::JsonRpc | WireFormat::JsonRpcV1 => (b"\"", b"\""),
    };
    let mut gaps = Vec::with_capacity(records + 1);
    let mut from = 0;
    for n in 0..records {
        let marker = [open, nonce.as_bytes(), n.to_string().as_bytes(), close].concat();
        let at = from
            + find(&skeleton[from..], &marker)
                .expect("the skeleton holds every record's marker in order");
        gaps.push(from..at);
        from = at + marker.len();
    }
    gaps.push(from..skeleton.len());
    gaps
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::records_reply;
    use crate::populate::{populate, PoolSpec};
    use crate::sim::{Sim, SimConfig};
    use crate::value::V;

    fn pool(vms: usize) -> Sim {
        let config = SimConfig {
            user: "root".into(),
            password: "xenroot".into(),
            task_duration: std::time::Duration::ZERO,
            metrics_interval: None,
            session_timeout: None,
        };
        let sim = Sim::new(Arc::new(Model::xenapi()), 3, config);
        let spec = PoolSpec {
            vms,
            hosts: 2,
            master_address: "127.0.0.1".into(),
        };
        sim.store.write(|t| populate(t, &spec));
        sim
    }

    fn all_vms(sim: &Sim) -> Reply {
        let vm = sim.model().class("VM").unwrap();
        records_reply(vm, sim.store.read(|t| t.records(vm)))
    }

    fn direct(sim: &Sim, format: WireFormat, reply: &Reply, id: &serde_json::Value) -> Vec<u8> {
        let model = sim.model();
        wire::encode_success(format, &ReplyView { model, reply }, Some(id)).unwrap()
    }

    /// A stream that takes at most 1000 bytes per write, as a full socket buffer would.
    struct OneAtATime<'a>(&'a mut Vec<u8>);

    impl Write for OneAtATime<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(1000);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut left = 1000;
            for b in bufs {
                let n = b.len().min(left);
                self.0.extend_from_slice(&b[..n]);
                left -= n;
                if left == 0 {
                    break;
                }
            }
            Ok(1000 - left)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const FORMATS: [WireFormat; 3] = [
        WireFormat::XmlRpc,
        WireFormat::JsonRpc,
        WireFormat::JsonRpcV1,
    ];

    #[test]
    fn spliced_responses_are_the_direct_encoding() {
        let sim = pool(80);
        let vm = sim.model().class("VM").unwrap();
        let label = sim.model().classes[vm].field("name_label").unwrap();
        let first = sim.store.read(|t| t.refs(vm))[0].clone();
        sim.store
            .write(|t| t.set(vm, &first, label, V::s("<a & \"b\"> \\ é \u{1F600}")))
            .unwrap();
        let id = serde_json::json!(7);
        let reply = all_vms(&sim);
        // The second round reads every record from the cache.
        for _ in 0..2 {
            for format in FORMATS {
                let body = success(sim.model(), &sim.encoded, format, &reply, Some(&id)).unwrap();
                assert!(matches!(body, Body::Spliced { .. }));
                let want = direct(&sim, format, &reply, &id);
                assert_eq!(body.len(), want.len());
                assert!(body.to_vec() == want, "{format:?}");
                let mut written = Vec::new();
                body.write_to(&mut OneAtATime(&mut written), b"HEAD")
                    .unwrap();
                assert!(
                    written[..4] == *b"HEAD" && written[4..] == want,
                    "{format:?}"
                );
            }
        }
        // Nested: records inside a list inside a map.
        let nested = Reply::Map(vec![
            ("a".into(), Reply::List(vec![reply.clone(), Reply::s("x")])),
            ("b".into(), reply),
        ]);
        for format in FORMATS {
            let got = success(sim.model(), &sim.encoded, format, &nested, Some(&id)).unwrap();
            assert!(
                got.to_vec() == direct(&sim, format, &nested, &id),
                "{format:?}"
            );
        }
    }

    #[test]
    fn a_changed_record_is_encoded_again() {
        let sim = pool(40);
        let vm = sim.model().class("VM").unwrap();
        let label = sim.model().classes[vm].field("name_label").unwrap();
        let id = serde_json::json!("x");
        let before = success(
            sim.model(),
            &sim.encoded,
            WireFormat::JsonRpc,
            &all_vms(&sim),
            Some(&id),
        )
        .unwrap()
        .to_vec();
        let first = sim.store.read(|t| t.refs(vm))[0].clone();
        sim.store
            .write(|t| t.set(vm, &first, label, V::s("renamed")))
            .unwrap();
        let reply = all_vms(&sim);
        let after = success(
            sim.model(),
            &sim.encoded,
            WireFormat::JsonRpc,
            &reply,
            Some(&id),
        )
        .unwrap()
        .to_vec();
        assert!(after != before);
        assert!(after == direct(&sim, WireFormat::JsonRpc, &reply, &id));
        assert!(String::from_utf8(after).unwrap().contains("\"renamed\""));
    }

    #[test]
    fn stale_encodings_are_dropped() {
        let sim = pool(40);
        let vm = sim.model().class("VM").unwrap();
        let label = sim.model().classes[vm].field("name_label").unwrap();
        let refs = sim.store.read(|t| t.refs(vm));
        for round in 0..80 {
            success(
                sim.model(),
                &sim.encoded,
                WireFormat::XmlRpc,
                &all_vms(&sim),
                None,
            )
            .unwrap();
            sim.store.write(|t| {
                for r in &refs {
                    t.set(vm, r, label, V::s(format!("round {round}"))).unwrap();
                }
            });
        }
        let kept = sim.encoded.lock().by_record.len();
        // 80 rounds made 80 encodings per VM; those of replaced records go once the map doubles.
        assert!(kept <= 1024 + refs.len(), "{kept} encodings kept");
    }
}
