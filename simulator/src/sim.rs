//! The state of one simulated pool, shared by every connection and task thread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::error::Failure;
use crate::model::Model;
use crate::store::Store;
use crate::value::V;

/// Which endpoint of the pool a call came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The pool master: everything works.
    Master,
    /// A pool member: logins answer `HOST_IS_SLAVE`.
    Member,
}

/// Settings that shape behaviour.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The user name `login_with_password` accepts.
    pub user: String,
    /// The password it accepts.
    pub password: String,
    /// How long an `Async.` task stays pending before it runs.
    pub task_duration: Duration,
    /// How often metrics objects change; `None`: never.
    pub metrics_interval: Option<Duration>,
}

/// An `event.register` subscription.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The classes (lower case; `*` for all).
    pub classes: Vec<String>,
    /// The last event id delivered.
    pub cursor: u64,
}

/// The shared state.
#[derive(Debug)]
pub struct Sim {
    /// The objects.
    pub store: Store,
    /// Behaviour settings.
    pub config: SimConfig,
    /// `event.register` subscriptions by session ref.
    pub registrations: Mutex<HashMap<String, Registration>>,
    /// Set at shutdown: blocking calls return.
    pub stopping: AtomicBool,
    /// What a member's `HOST_IS_SLAVE` names: the master's address.
    pub master_address: OnceLock<String>,
    /// The current password (`session.change_password` changes it).
    pub password: Mutex<String>,
    /// xend mode's state outside the store (console ring, log, security labels).
    pub xend: Mutex<crate::xend::State>,
    next_domid: AtomicI64,
}

/// One call, checked and with typed arguments.
#[derive(Debug, Clone)]
pub struct CallCtx {
    /// The simulator.
    pub sim: Arc<Sim>,
    /// Where it came in.
    pub endpoint: Endpoint,
    /// The class index.
    pub class: usize,
    /// The message name.
    pub message: String,
    /// `Class.message` (without `Async.`).
    pub method: String,
    /// The session ref, for messages that take one.
    pub session: Option<String>,
    /// The arguments after the session, typed by the model.
    pub args: Vec<V>,
}

impl Sim {
    /// A simulator over an empty store.
    pub fn new(model: Arc<Model>, seed: u64, config: SimConfig) -> Sim {
        Sim {
            store: Store::new(model, seed),
            password: Mutex::new(config.password.clone()),
            config,
            registrations: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            master_address: OnceLock::new(),
            xend: Mutex::default(),
            next_domid: AtomicI64::new(1),
        }
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        self.store.model()
    }

    /// The index of a class the behaviour code needs.
    pub fn class(&self, name: &str) -> Result<usize, Failure> {
        self.model()
            .class(name)
            .ok_or_else(|| Failure::internal(format!("the model has no class {name}")))
    }

    /// `Ok` for a live session, else `SESSION_INVALID [ref]`.
    pub fn check_session(&self, session: &str) -> Result<(), Failure> {
        let class = self.class("session")?;
        if self.store.read(|t| t.exists(class, session)) {
            Ok(())
        } else {
            Err(Failure::new("SESSION_INVALID", [session]))
        }
    }

    /// A fresh domain id.
    pub fn next_domid(&self) -> i64 {
        self.next_domid.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether the simulator is shutting down.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// The pool master's host ref (the pool's `master`), or the first host.
    pub fn master_host(&self) -> String {
        self.store.read(|t| self.master_host_in(t))
    }

    /// [`Sim::master_host`] for code that already holds the store.
    pub fn master_host_in(&self, t: &crate::store::Inner) -> String {
        let model = self.model();
        let Some(host) = model.class("host") else {
            return crate::value::NULL_REF.into();
        };
        // A model without pools (xend's) has one host.
        model
            .class("pool")
            .and_then(|pool| {
                t.records(pool)
                    .first()
                    .and_then(|(r, _)| t.get(pool, r, "master").ok())
            })
            .and_then(|v| v.as_str().map(str::to_string))
            .or_else(|| t.refs(host).into_iter().next())
            .unwrap_or_else(|| crate::value::NULL_REF.into())
    }
}
