//! The object store: every class of the model, objects by ref and uuid, the paired fields kept
//! consistent, and the change log that events are made from.
//!
//! Records are `Arc`s: readers (a 40 MB `get_all_records`, an event snapshot) take cheap
//! clones under the lock and serialize outside it; a writer copies a record only while a
//! reader still holds the old one.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::error::Failure;
use crate::fxhash::{FxHashMap, FxIndexMap};
use crate::model::{Dialect, Model, Ty};
use crate::rng::Rng;
use crate::value::{now_secs, NULL_REF, V};

/// A record: the values of a class's fields, in model order.
pub type Record = Vec<V>;

/// A stored object.
#[derive(Debug, Clone)]
pub struct Obj {
    /// Its record.
    pub rec: Arc<Record>,
    /// The generation that created it.
    pub ctime: u64,
    /// The generation that last changed it.
    pub mtime: u64,
}

/// The objects of one class.
#[derive(Debug, Default)]
pub struct Table {
    /// The objects by ref, in creation order (deletion moves the last object into the
    /// gap), so that a seed gives the same listing every time.
    pub objs: FxIndexMap<String, Obj>,
    by_uuid: FxHashMap<String, String>,
    /// The highest `mtime` of any object, tombstones included.
    pub last_change: u64,
}

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Created.
    Add,
    /// Modified.
    Mod,
    /// Destroyed.
    Del,
}

impl Op {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Mod => "mod",
            Op::Del => "del",
        }
    }
}

/// One change, as `event.next` reports it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The generation (the event id).
    pub id: u64,
    /// Seconds since the epoch.
    pub time: i64,
    /// The class index.
    pub class: usize,
    /// What happened.
    pub op: Op,
    /// The object's ref.
    pub obj_ref: String,
    /// The record after the change (before it, for a deletion).
    pub snapshot: Arc<Record>,
    /// For a modification, the first field that changed (xend's events name it).
    pub field: Option<usize>,
}

/// A destroyed object, remembered so that `event.from` can report the deletion.
#[derive(Debug, Clone)]
pub struct Tombstone {
    /// The generation of the deletion.
    pub gen: u64,
    /// The class index.
    pub class: usize,
    /// The ref.
    pub obj_ref: String,
}

const CHANGE_LOG_LEN: usize = 20_000;
const TOMBSTONES_LEN: usize = 20_000;

/// The store's state, reached through [`Store::read`] and [`Store::write`].
#[derive(Debug)]
pub struct Inner {
    model: Arc<Model>,
    /// One table per class, indexed like `Model::classes`.
    pub tables: Vec<Table>,
    /// The current generation: incremented by every change.
    pub gen: u64,
    /// The recent changes (bounded), for `event.next`.
    pub changes: VecDeque<Change>,
    /// The recent deletions (bounded), for `event.from`.
    pub tombstones: VecDeque<Tombstone>,
    /// Random numbers for refs, uuids and generated values.
    pub rng: Rng,
    /// How many `event.register` subscriptions exist: changes are logged (with a snapshot
    /// each) only while there is one, which spares memory and record copies otherwise.
    pub subscribers: usize,
    /// Whether refs are the objects' UUIDs (xend) rather than `OpaqueRef:<uuid>` (xapi).
    uuid_refs: bool,
}

/// The object store of one simulated pool.
#[derive(Debug)]
pub struct Store {
    model: Arc<Model>,
    inner: Mutex<Inner>,
    changed: Condvar,
}

impl Store {
    /// An empty store over `model`; `seed` makes refs and uuids deterministic.
    pub fn new(model: Arc<Model>, seed: u64) -> Store {
        let tables = model.classes.iter().map(|_| Table::default()).collect();
        Store {
            inner: Mutex::new(Inner {
                model: model.clone(),
                tables,
                gen: 0,
                changes: VecDeque::new(),
                tombstones: VecDeque::new(),
                rng: Rng::new(seed),
                subscribers: 0,
                uuid_refs: model.dialect == Dialect::Xend,
            }),
            model,
            changed: Condvar::new(),
        }
    }

    /// The model served.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere never leaves a record half-written (records are replaced whole),
        // so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` with read access.
    pub fn read<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` with write access; wakes event waiters when anything changed.
    pub fn write<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut guard = self.lock();
        let before = guard.gen;
        let r = f(&mut guard);
        let changed = guard.gen != before;
        drop(guard);
        if changed {
            self.changed.notify_all();
        }
        r
    }

    /// Wakes every waiter (used at shutdown).
    pub fn wake_all(&self) {
        self.changed.notify_all();
    }

    /// Waits until `ready` holds or `deadline` passes or `stop()` is true; returns what `ready`
    /// last returned.
    pub fn wait_until<R>(
        &self,
        deadline: Instant,
        stop: impl Fn() -> bool,
        mut ready: impl FnMut(&Inner) -> Option<R>,
    ) -> Option<R> {
        let mut guard = self.lock();
        loop {
            if let Some(r) = ready(&guard) {
                return Some(r);
            }
            let now = Instant::now();
            if now >= deadline || stop() {
                return None;
            }
            guard = self
                .changed
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Inner {
    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// A fresh ref: `OpaqueRef:<uuid>`, or (xend) a bare UUID, which becomes the uuid of the
    /// object inserted under it.
    pub fn new_ref(&mut self) -> String {
        if self.uuid_refs {
            self.rng.uuid()
        } else {
            format!("OpaqueRef:{}", self.rng.uuid())
        }
    }

    /// With UUID refs (xend), the object's uuid is its ref.
    fn uuid_from_ref(&self, class: usize, r: &str, rec: &mut Record) {
        if self.uuid_refs {
            if let Some(ui) = self.model.classes[class].field("uuid") {
                rec[ui] = V::s(r);
            }
        }
    }

    /// The object `r` of `class`, or `HANDLE_INVALID`.
    pub fn obj(&self, class: usize, r: &str) -> Result<&Obj, Failure> {
        self.tables[class].objs.get(r).ok_or_else(|| {
            Failure::new(
                "HANDLE_INVALID",
                [self.model.classes[class].name.as_str(), r],
            )
        })
    }

    /// Whether `r` is an object of `class`.
    pub fn exists(&self, class: usize, r: &str) -> bool {
        self.tables[class].objs.contains_key(r)
    }

    /// The value of field `field` of object `r`.
    pub fn field(&self, class: usize, r: &str, field: usize) -> Result<&V, Failure> {
        Ok(&self.obj(class, r)?.rec[field])
    }

    /// Field by name (for behaviour code that knows its fields exist).
    pub fn get(&self, class: usize, r: &str, field: &str) -> Result<V, Failure> {
        let fi = self.field_index(class, field)?;
        Ok(self.field(class, r, fi)?.clone())
    }

    /// The index of a field, or an `INTERNAL_ERROR` naming it.
    pub fn field_index(&self, class: usize, field: &str) -> Result<usize, Failure> {
        let c = &self.model.classes[class];
        c.field(field)
            .ok_or_else(|| Failure::internal(format!("the model has no field {}.{field}", c.name)))
    }

    /// The ref of the object of `class` with `uuid`, or `UUID_INVALID`.
    pub fn by_uuid(&self, class: usize, uuid: &str) -> Result<String, Failure> {
        self.tables[class]
            .by_uuid
            .get(uuid)
            .cloned()
            .ok_or_else(|| {
                Failure::new(
                    "UUID_INVALID",
                    [self.model.classes[class].name.as_str(), uuid],
                )
            })
    }

    /// A record with every field at its default (the model's, or the type's zero), a fresh
    /// uuid in `uuid`.
    pub fn default_record(&mut self, class: usize) -> Record {
        let model = self.model.clone();
        let c = &model.classes[class];
        let mut rec: Record = c
            .fields
            .iter()
            .map(|f| f.default.clone().unwrap_or_else(|| zero_of(&model, &f.ty)))
            .collect();
        if let Some(ui) = c.field("uuid") {
            rec[ui] = V::Str(self.rng.uuid());
        }
        rec
    }

    /// Inserts a new object, keeping paired fields consistent; returns its ref.
    pub fn insert(&mut self, class: usize, r: String, mut rec: Record) -> String {
        self.uuid_from_ref(class, &r, &mut rec);
        self.gen += 1;
        let gen = self.gen;
        if let Some(ui) = self.model.classes[class].field("uuid") {
            if let Some(u) = rec[ui].as_str() {
                self.tables[class].by_uuid.insert(u.to_string(), r.clone());
            }
        }
        let rec = Arc::new(rec);
        let table = &mut self.tables[class];
        table.objs.insert(
            r.clone(),
            Obj {
                rec: rec.clone(),
                ctime: gen,
                mtime: gen,
            },
        );
        table.last_change = gen;
        self.log(class, Op::Add, &r, rec.clone(), None);
        self.link_pairs(class, &r, None, &rec);
        r
    }

    /// Inserts an object as is: no paired-field upkeep and no change logged. For bulk building,
    /// followed by [`Inner::rebuild_pairs`].
    pub fn insert_raw(&mut self, class: usize, r: String, mut rec: Record) {
        self.uuid_from_ref(class, &r, &mut rec);
        self.gen += 1;
        let gen = self.gen;
        if let Some(ui) = self.model.classes[class].field("uuid") {
            if let Some(u) = rec[ui].as_str() {
                self.tables[class].by_uuid.insert(u.to_string(), r.clone());
            }
        }
        let table = &mut self.tables[class];
        table.objs.insert(
            r,
            Obj {
                rec: Arc::new(rec),
                ctime: gen,
                mtime: gen,
            },
        );
        table.last_change = gen;
    }

    /// Recomputes every paired set field from the ref fields that point at it.
    pub fn rebuild_pairs(&mut self) {
        let model = self.model.clone();
        for p in &model.pairs {
            for obj in self.tables[p.target_class].objs.values_mut() {
                Arc::make_mut(&mut obj.rec)[p.set_field] = V::Set(Vec::new());
            }
            let links: Vec<(String, String)> = self.tables[p.class]
                .objs
                .iter()
                .filter_map(|(r, o)| {
                    o.rec[p.field]
                        .as_str()
                        .map(|target| (target.to_string(), r.clone()))
                })
                .collect();
            for (target, member) in links {
                if let Some(obj) = self.tables[p.target_class].objs.get_mut(&target) {
                    if let V::Set(items) = &mut Arc::make_mut(&mut obj.rec)[p.set_field] {
                        items.push(V::Str(member));
                    }
                }
            }
        }
    }

    /// Counts a new `event.register` subscription; returns the current generation.
    pub fn subscribe(&mut self) -> u64 {
        self.subscribers += 1;
        self.gen
    }

    /// Counts a subscription gone; with none left, the change log is dropped.
    pub fn unsubscribe(&mut self) {
        self.subscribers = self.subscribers.saturating_sub(1);
        if self.subscribers == 0 {
            self.changes.clear();
        }
    }

    /// Changes object `r` with `f`, keeping paired fields consistent and recording the change.
    pub fn modify(
        &mut self,
        class: usize,
        r: &str,
        f: impl FnOnce(&mut Record),
    ) -> Result<(), Failure> {
        self.obj(class, r)?;
        self.gen += 1;
        let gen = self.gen;
        let table = &mut self.tables[class];
        let obj = table.objs.get_mut(r).expect("checked above");
        let old = obj.rec.clone();
        f(Arc::make_mut(&mut obj.rec));
        obj.mtime = gen;
        let new = obj.rec.clone();
        table.last_change = gen;
        let field = if self.subscribers > 0 {
            old.iter().zip(new.iter()).position(|(a, b)| a != b)
        } else {
            None
        };
        self.log(class, Op::Mod, r, new.clone(), field);
        self.link_pairs(class, r, Some(&old), &new);
        Ok(())
    }

    /// Sets one field.
    pub fn set(&mut self, class: usize, r: &str, field: usize, v: V) -> Result<(), Failure> {
        self.modify(class, r, |rec| rec[field] = v)
    }

    /// Sets one field by name.
    pub fn set_named(&mut self, class: usize, r: &str, field: &str, v: V) -> Result<(), Failure> {
        let fi = self.field_index(class, field)?;
        self.set(class, r, fi, v)
    }

    /// Destroys object `r`, removing it from the sets that list it.
    pub fn remove(&mut self, class: usize, r: &str) -> Result<(), Failure> {
        self.obj(class, r)?;
        self.gen += 1;
        let gen = self.gen;
        let table = &mut self.tables[class];
        let obj = table.objs.swap_remove(r).expect("checked above");
        table.last_change = gen;
        if let Some(ui) = self.model.classes[class].field("uuid") {
            if let Some(u) = obj.rec[ui].as_str() {
                table.by_uuid.remove(u);
            }
        }
        self.log(class, Op::Del, r, obj.rec.clone(), None);
        self.tombstones.push_back(Tombstone {
            gen,
            class,
            obj_ref: r.to_string(),
        });
        if self.tombstones.len() > TOMBSTONES_LEN {
            self.tombstones.pop_front();
        }
        self.unlink_pairs(class, r, &obj.rec);
        Ok(())
    }

    fn log(&mut self, class: usize, op: Op, r: &str, snapshot: Arc<Record>, field: Option<usize>) {
        if self.subscribers == 0 {
            return;
        }
        self.changes.push_back(Change {
            id: self.gen,
            time: now_secs(),
            class,
            op,
            obj_ref: r.to_string(),
            snapshot,
            field,
        });
        if self.changes.len() > CHANGE_LOG_LEN {
            self.changes.pop_front();
        }
    }

    /// After an insert or modify: move `r` between the target sets its paired fields point at.
    fn link_pairs(&mut self, class: usize, r: &str, old: Option<&Record>, new: &Record) {
        let model = self.model.clone();
        for p in model.pairs.iter().filter(|p| p.class == class) {
            let before = old.and_then(|o| o[p.field].as_str()).unwrap_or(NULL_REF);
            let after = new[p.field].as_str().unwrap_or(NULL_REF);
            if old.is_some() && before == after {
                continue;
            }
            if old.is_some() {
                self.set_membership(p.target_class, before, p.set_field, r, false);
            }
            self.set_membership(p.target_class, after, p.set_field, r, true);
        }
    }

    fn unlink_pairs(&mut self, class: usize, r: &str, rec: &Record) {
        let model = self.model.clone();
        for p in model.pairs.iter().filter(|p| p.class == class) {
            if let Some(target) = rec[p.field].as_str() {
                self.set_membership(p.target_class, target, p.set_field, r, false);
            }
        }
    }

    fn set_membership(
        &mut self,
        class: usize,
        target: &str,
        set_field: usize,
        member: &str,
        present: bool,
    ) {
        if target == NULL_REF || !self.exists(class, target) {
            return;
        }
        let has = self.tables[class].objs[target].rec[set_field]
            .as_set()
            .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(member)));
        if has == present {
            return;
        }
        let _ = self.modify(class, target, |rec| {
            if let V::Set(items) = &mut rec[set_field] {
                if present {
                    items.push(V::s(member));
                } else {
                    items.retain(|x| x.as_str() != Some(member));
                }
            } else if present {
                rec[set_field] = V::sset([member]);
            }
        });
    }

    /// The refs of every object of `class`.
    pub fn refs(&self, class: usize) -> Vec<String> {
        self.tables[class].objs.keys().cloned().collect()
    }

    /// `(ref, record)` of every object of `class`.
    pub fn records(&self, class: usize) -> Vec<(String, Arc<Record>)> {
        self.tables[class]
            .objs
            .iter()
            .map(|(r, o)| (r.clone(), o.rec.clone()))
            .collect()
    }
}

/// The zero of a type: what a field without a model default starts as (an enum: its first
/// value, so that records only ever hold valid enum values).
pub fn zero_of(model: &Model, ty: &Ty) -> V {
    match ty {
        Ty::String => V::Str(String::new()),
        Ty::Int => V::Int(0),
        Ty::Float => V::Float(0.0),
        Ty::Bool => V::Bool(false),
        Ty::DateTime => V::DateTime("19700101T00:00:00Z".into()),
        Ty::Ref(_) => V::Str(NULL_REF.into()),
        Ty::Set(_) => V::Set(Vec::new()),
        Ty::Map(_, _) | Ty::Record(_) | Ty::AnyRecord | Ty::EventBatch => V::Map(Vec::new()),
        Ty::Enum(e) => V::Str(model.enums[*e].values.first().cloned().unwrap_or_default()),
        Ty::Option(_) | Ty::Void => V::Nil,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(Arc::new(Model::xenapi()), 1)
    }

    #[test]
    fn paired_fields_follow_create_modify_destroy() {
        let s = store();
        let m = s.model().clone();
        let (vm, vif) = (m.class("VM").unwrap(), m.class("VIF").unwrap());
        let vifs = m.classes[vm].field("VIFs").unwrap();
        let vif_vm = m.classes[vif].field("VM").unwrap();
        s.write(|t| {
            let rec = t.default_record(vm);
            let a = t.new_ref();
            t.insert(vm, a.clone(), rec);
            let rec = t.default_record(vm);
            let b = t.new_ref();
            t.insert(vm, b.clone(), rec);
            let mut rec = t.default_record(vif);
            rec[vif_vm] = V::s(&a);
            let v = t.new_ref();
            t.insert(vif, v.clone(), rec);
            assert_eq!(t.field(vm, &a, vifs).unwrap(), &V::sset([v.as_str()]));
            t.set(vif, &v, vif_vm, V::s(&b)).unwrap();
            assert_eq!(t.field(vm, &a, vifs).unwrap(), &V::Set(vec![]));
            assert_eq!(t.field(vm, &b, vifs).unwrap(), &V::sset([v.as_str()]));
            t.remove(vif, &v).unwrap();
            assert_eq!(t.field(vm, &b, vifs).unwrap(), &V::Set(vec![]));
            assert_eq!(t.tombstones.back().unwrap().obj_ref, v);
        });
    }

    #[test]
    fn changes_are_logged_only_while_someone_subscribes() {
        let s = store();
        let vm = s.model().class("VM").unwrap();
        s.write(|t| {
            let rec = t.default_record(vm);
            let r = t.new_ref();
            t.insert(vm, r.clone(), rec);
            assert!(t.changes.is_empty());
            let cursor = t.subscribe();
            t.set_named(vm, &r, "name_label", V::s("x")).unwrap();
            assert_eq!(t.changes.len(), 1);
            assert_eq!(t.changes[0].id, cursor + 1);
            t.unsubscribe();
            assert!(t.changes.is_empty());
        });
    }

    #[test]
    fn unknown_refs_and_uuids_fail_as_xapi_does() {
        let s = store();
        let vm = s.model().class("VM").unwrap();
        s.read(|t| {
            assert_eq!(
                t.obj(vm, "OpaqueRef:x").unwrap_err().0,
                ["HANDLE_INVALID", "VM", "OpaqueRef:x"]
            );
            assert_eq!(
                t.by_uuid(vm, "nope").unwrap_err().0,
                ["UUID_INVALID", "VM", "nope"]
            );
        });
    }
}
