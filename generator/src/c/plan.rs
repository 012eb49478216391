//! What the C library contains: the classes, their record members and functions, and every
//! set and map type they use. Both C emitters (headers and the Rust `extern "C"` code) render
//! from this one plan, so a prototype and the code behind it cannot disagree on the surface.

use std::collections::{BTreeMap, BTreeSet};

use super::names::{self, ctype, is_session, lower, map_name, member, set_name, Ctx};
use crate::model::{Class, Field, Lifecycle, Model, Type};
use crate::output::RenderError;

/// The symbols the published libxenserver 2.14 exported: removed parts of the model are kept
/// in the C library only when 2.14 had them, so binaries linked against it still load.
const COMPAT_SYMBOLS: &str =
    include_str!("../../../capi/xenserver/abi/libxenserver-2.14.symbols.txt");

/// How a class appears in C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `typedef void *xen_c`, sets, records, record_opts.
    Object,
    /// The session class: `xen_session` is the session struct itself; only its record and
    /// messages.
    Session,
    /// Events have no refs: only the record and its set.
    Event,
}

/// A record member.
pub struct Member<'m> {
    /// The model field.
    pub field: &'m Field,
    /// The C member name.
    pub name: String,
}

/// A parameter of a generated function.
pub struct Param {
    /// The C name.
    pub name: String,
    /// The model type.
    pub ty: Type,
}

/// A generated RPC function.
pub struct Func {
    /// The C name, e.g. `xen_vm_get_power_state`.
    pub name: String,
    /// The wire method, e.g. `VM.get_power_state`.
    pub wire: String,
    /// The result type (`None`: void).
    pub result: Option<Type>,
    /// The parameters after the session (and result).
    pub params: Vec<Param>,
    /// Accessors whose records get their `handle` filled in.
    pub special: Option<Special>,
}

/// Functions with extra work after the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `get_record(self)`: the record's handle is `self`.
    GetRecord,
    /// `get_all_records()`: each record's handle is its key.
    GetAllRecords,
    /// Returns a session ref: the result is a new session on the same transport.
    NewSession,
}

/// What distinguishes the two C dialects in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `_async` twins of messages with an `Async.` form (libxenserver; libxen has none).
    pub asyncs: bool,
    /// libxenserver 2.14 compatibility: removed parts it exported, its dropped enums and maps,
    /// and `event.from`'s batch types.
    pub xenserver_compat: bool,
}

impl Options {
    /// libxenserver (`libxenserver.so.2`, xapi's model).
    pub const XENSERVER: Options = Options {
        asyncs: true,
        xenserver_compat: true,
    };
    /// libxen (`libxenapi.so.1.0`, xend's model).
    pub const LIBXEN: Options = Options {
        asyncs: false,
        xenserver_compat: false,
    };
}

/// C spellings a dialect fixes where the rule (lower case) does not give them: libxen's
/// `xen_cpu_pool_add_host_CPU_live`, `xen_host_cpu_record.cpu_pools`.
#[derive(Debug, Clone, Default)]
pub struct Spellings {
    /// (class, message) → C function name.
    pub functions: BTreeMap<(String, String), String>,
    /// (class, field) → C member name.
    pub members: BTreeMap<(String, String), String>,
}

/// One class.
pub struct ClassPlan<'m> {
    /// The model class.
    pub class: &'m Class,
    /// Lower-case C name (`vm`).
    pub c: String,
    /// How it appears.
    pub kind: Kind,
    /// Record members, in model order.
    pub members: Vec<Member<'m>>,
    /// RPC functions (with `_async` twins already expanded).
    pub funcs: Vec<Func>,
    /// Whether the session record starts with a `handle` (libxenserver's generated one does).
    session_handle: bool,
}

/// The whole C surface.
pub struct Plan<'m> {
    /// The model.
    pub model: &'m Model,
    /// Every class in the library.
    pub classes: Vec<ClassPlan<'m>>,
    /// Every map type: name → (key, value).
    pub maps: BTreeMap<String, (Type, Type)>,
    /// Every set type: name → (element, context).
    pub sets: BTreeMap<String, (Type, Ctx)>,
    /// Every enum: the model's, then the compatibility ones it no longer has.
    pub enums: Vec<(String, Vec<String>)>,
    /// What is in the library only because libxenserver 2.14 had it: removed classes and
    /// messages, and the compatibility enums and maps.
    pub compat_kept: Vec<String>,
    /// The dialect's options.
    pub options: Options,
}

/// Enums the published 2.14 library had that the current model has dropped (their values
/// are those the 2.x servers sent), kept so programs built against it still compile and load.
const COMPAT_ENUMS: &[(&str, &[&str])] = &[(
    "pgpu_dom0_access",
    &[
        "enabled",
        "disable_on_reboot",
        "disabled",
        "enable_on_reboot",
    ],
)];

/// Map types 2.14 had that no current message or field uses.
const COMPAT_MAPS: &[&str] = &[
    "(string -> string set) map",
    "(string -> (string -> string) map) map",
];

fn compat() -> BTreeSet<&'static str> {
    COMPAT_SYMBOLS.lines().map(str::trim).collect()
}

fn kept(lifecycle: Lifecycle, symbol: &str, compat: &BTreeSet<&str>) -> bool {
    lifecycle != Lifecycle::Removed || compat.contains(symbol)
}

/// Hand-written in the runtime: they create or free the session struct.
const HAND_WRITTEN: &[&str] = &[
    "login_with_password",
    "slave_local_login_with_password",
    "logout",
    "local_logout",
];

impl<'m> Plan<'m> {
    /// Builds libxenserver's plan from the model.
    pub fn new(model: &'m Model) -> Result<Plan<'m>, RenderError> {
        Plan::with(model, Options::XENSERVER, &Spellings::default())
    }

    /// Builds the plan of a dialect from the model.
    pub fn with(
        model: &'m Model,
        options: Options,
        spellings: &Spellings,
    ) -> Result<Plan<'m>, RenderError> {
        let compat = if options.xenserver_compat {
            compat()
        } else {
            BTreeSet::new()
        };
        let mut classes = Vec::new();
        let mut compat_kept = Vec::new();
        for class in &model.classes {
            let c = lower(&class.name);
            let kind = match class.name.as_str() {
                "session" => Kind::Session,
                "event" => Kind::Event,
                _ => Kind::Object,
            };
            let anchor = format!("xen_{c}_record_free");
            if !kept(class.lifecycle, &anchor, &compat) {
                continue;
            }
            if class.lifecycle == Lifecycle::Removed {
                compat_kept.push(format!("class {}", class.name));
            }
            let members = class
                .fields
                .iter()
                .filter(|f| ctype(&f.ty, Ctx::Record).is_some())
                .map(|field| Member {
                    field,
                    name: spellings
                        .members
                        .get(&(class.name.clone(), field.name.clone()))
                        .cloned()
                        .unwrap_or_else(|| member(&field.name)),
                })
                .collect();
            let mut funcs = Vec::new();
            for m in &class.messages {
                let name = spellings
                    .functions
                    .get(&(class.name.clone(), m.name.clone()))
                    .cloned()
                    .unwrap_or_else(|| format!("xen_{c}_{}", lower(&m.name)));
                let expressible = ctype_all(&m.result) && m.params.iter().all(|p| ctype_all(&p.ty));
                // A session ref result becomes a new `xen_session *` sharing the transport;
                // one nested in a container has no C spelling.
                let nested_session = {
                    let mut found = false;
                    m.result.visit(&mut |t| found |= is_session(t));
                    found && !is_session(&m.result)
                };
                if !m.session
                    || HAND_WRITTEN.contains(&m.name.as_str()) && kind == Kind::Session
                    || !expressible
                    || nested_session
                    || !kept(m.lifecycle, &name, &compat)
                {
                    continue;
                }
                if m.lifecycle == Lifecycle::Removed {
                    compat_kept.push(format!("message {}.{} ({name})", class.name, m.name));
                }
                let params = params(class, &c, m);
                let result = (m.result != Type::Void).then(|| m.result.clone());
                let own_record = Type::Record(class.name.clone());
                let special = match (m.name.as_str(), &result) {
                    ("get_record", Some(r))
                        if *r == own_record && kind == Kind::Object && params.len() == 1 =>
                    {
                        Some(Special::GetRecord)
                    }
                    ("get_all_records", Some(Type::Map(_, v)))
                        if **v == own_record && kind == Kind::Object =>
                    {
                        Some(Special::GetAllRecords)
                    }
                    (_, Some(r)) if is_session(r) => Some(Special::NewSession),
                    _ => None,
                };
                if m.is_async && options.asyncs {
                    funcs.push(Func {
                        name: format!("{name}_async"),
                        wire: format!("Async.{}.{}", class.name, m.name),
                        result: Some(Type::Ref("task".into())),
                        params: params
                            .iter()
                            .map(|p| Param {
                                name: p.name.clone(),
                                ty: p.ty.clone(),
                            })
                            .collect(),
                        special: None,
                    });
                }
                funcs.push(Func {
                    name,
                    wire: format!("{}.{}", class.name, m.name),
                    result,
                    params,
                    special,
                });
            }
            classes.push(ClassPlan {
                class,
                c,
                kind,
                members,
                funcs,
                session_handle: options.xenserver_compat,
            });
        }
        let compat_enums: &[(&str, &[&str])] = if options.xenserver_compat {
            COMPAT_ENUMS
        } else {
            &[]
        };
        let mut plan = Plan {
            model,
            options,
            classes,
            maps: BTreeMap::new(),
            sets: BTreeMap::new(),
            compat_kept,
            enums: model
                .enums
                .iter()
                .map(|e| (e.name.clone(), e.values.clone()))
                .chain(
                    compat_enums
                        .iter()
                        .filter(|(n, _)| model.enum_named(n).is_none())
                        .map(|(n, v)| (n.to_string(), v.iter().map(|v| v.to_string()).collect())),
                )
                .collect(),
        };
        for (n, _) in compat_enums
            .iter()
            .filter(|(n, _)| model.enum_named(n).is_none())
        {
            plan.compat_kept.push(format!("enum {n}"));
        }
        if options.xenserver_compat {
            for t in COMPAT_MAPS {
                plan.compat_kept.push(format!("map {t}"));
            }
        }
        plan.collect_containers();
        plan.check_unique()?;
        Ok(plan)
    }

    fn collect_containers(&mut self) {
        let mut uses: Vec<(Type, Ctx)> = Vec::new();
        for cp in &self.classes {
            uses.extend(cp.members.iter().map(|m| (m.field.ty.clone(), Ctx::Record)));
            for f in &cp.funcs {
                uses.extend(f.result.iter().map(|t| (t.clone(), Ctx::Sig)));
                uses.extend(f.params.iter().map(|p| (p.ty.clone(), Ctx::Sig)));
            }
            if cp.kind == Kind::Object {
                // Every object class has its ref set and its record sets.
                uses.push((
                    Type::Set(Box::new(Type::Ref(cp.class.name.clone()))),
                    Ctx::Sig,
                ));
            }
        }
        for s in &self.model.structs {
            uses.extend(s.fields.iter().map(|f| (f.ty.clone(), Ctx::Record)));
        }
        if self.options.xenserver_compat {
            // event.from's batch.
            uses.push(("(string -> int) map".parse().expect("type"), Ctx::Sig));
            uses.push(("string set".parse().expect("type"), Ctx::Sig));
            for t in COMPAT_MAPS {
                uses.push((t.parse().expect("type"), Ctx::Sig));
            }
        }
        for (t, ctx) in uses {
            self.collect(&t, ctx);
        }
    }

    fn collect(&mut self, t: &Type, ctx: Ctx) {
        match t {
            Type::Set(e) => {
                self.sets.insert(set_name(e, ctx), ((**e).clone(), ctx));
                self.collect(e, Ctx::Sig);
            }
            Type::Map(k, v) => {
                self.maps
                    .insert(map_name(k, v), ((**k).clone(), (**v).clone()));
                self.collect(k, Ctx::Sig);
                self.collect(v, Ctx::Sig);
            }
            Type::Option(inner) => self.collect(inner, ctx),
            _ => {}
        }
    }

    /// Every exported C function name must be unique.
    fn check_unique(&self) -> Result<(), RenderError> {
        let mut seen = BTreeSet::new();
        for name in self.function_names() {
            if !seen.insert(name.clone()) {
                return Err(RenderError {
                    emitter: "c",
                    message: format!("two C functions would be named {name}"),
                });
            }
        }
        Ok(())
    }

    /// The names of every generated C function (RPCs and helpers).
    pub fn function_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for cp in &self.classes {
            out.extend(cp.helper_names());
            out.extend(cp.funcs.iter().map(|f| f.name.clone()));
        }
        for (e, _) in &self.enums {
            let n = lower(e);
            out.extend(
                ["to_string", "from_string", "set_alloc", "set_free"]
                    .map(|s| format!("xen_{n}_{s}")),
            );
        }
        for name in self
            .maps
            .keys()
            .chain(self.primitive_sets().map(|(n, _)| n))
        {
            out.extend(["alloc", "free"].map(|s| format!("{name}_{s}")));
        }
        out
    }

    /// Sets whose element is not a class or enum (those live in the class or enum header).
    pub fn primitive_sets(&self) -> impl Iterator<Item = (&String, &Type)> {
        self.sets.iter().filter_map(|(n, (e, _))| match e {
            Type::Ref(_) | Type::Record(_) | Type::Enum(_) => None,
            other => Some((n, other)),
        })
    }
}

impl ClassPlan<'_> {
    /// The alloc/free helpers of the class, by kind.
    pub fn helper_names(&self) -> Vec<String> {
        let c = &self.c;
        let list: &[&str] = match self.kind {
            Kind::Object => &[
                "free",
                "set_alloc",
                "set_free",
                "record_alloc",
                "record_free",
                "record_opt_alloc",
                "record_opt_free",
                "record_set_alloc",
                "record_set_free",
                "record_opt_set_alloc",
                "record_opt_set_free",
            ],
            Kind::Session => &["record_alloc", "record_free"],
            Kind::Event => &[
                "record_alloc",
                "record_free",
                "record_set_alloc",
                "record_set_free",
            ],
        };
        list.iter().map(|s| format!("xen_{c}_{s}")).collect()
    }

    /// Whether the record struct starts with a `handle`.
    pub fn has_handle(&self) -> bool {
        match self.kind {
            Kind::Object => true,
            Kind::Session => self.session_handle,
            Kind::Event => false,
        }
    }
}

fn ctype_all(t: &Type) -> bool {
    *t == Type::Void || ctype(t, Ctx::Sig).is_some()
}

/// C parameters of a message: `self` is named after the class, a setter's value after its
/// field, a constructor's record is `record`, and names are C/C++-safe and distinct from
/// `session` and `result`.
fn params(class: &Class, c: &str, m: &crate::model::Message) -> Vec<Param> {
    let setter_field = m
        .name
        .strip_prefix("set_")
        .filter(|f| class.field(f).is_some());
    let mut out: Vec<Param> = Vec::new();
    for p in &m.params {
        let mut name = match (p.name.as_str(), setter_field) {
            ("self", _) if c == "session" => "self_session".to_owned(),
            ("self", _) => c.to_owned(),
            ("value", Some(field)) => names::member(field),
            ("args", _) if matches!(&p.ty, Type::Record(r) if *r == class.name) => {
                "record".to_owned()
            }
            (other, _) => names::member(other),
        };
        while name == "session" || name == "result" || out.iter().any(|q| q.name == name) {
            name.push('_');
        }
        out.push(Param {
            name,
            ty: p.ty.clone(),
        });
    }
    out
}
