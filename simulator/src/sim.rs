//! The state of one simulated pool, shared by every connection and task thread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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
    /// The Unix socket: the master, reached locally (xend accepted any credentials there).
    Local,
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
    /// How long a session may stay unused before it expires (`SESSION_INVALID`); `None`:
    /// never, as by default.
    pub session_timeout: Option<Duration>,
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
    /// When each session was last used, kept only with a session timeout.
    pub session_use: Mutex<HashMap<String, Instant>>,
    /// The master this pool joined (`pool.join`): logins then answer `HOST_IS_SLAVE` with it.
    pub joined_master: OnceLock<String>,
    next_domid: AtomicI64,
    /// The encodings of records recently sent in large replies.
    pub encoded: crate::encode::RecordCache,
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
            joined_master: OnceLock::new(),
            session_use: Mutex::new(HashMap::new()),
            next_domid: AtomicI64::new(1),
            encoded: Default::default(),
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
        let invalid = || Failure::new("SESSION_INVALID", [session]);
        if !self.store.read(|t| t.exists(class, session)) {
            return Err(invalid());
        }
        let Some(timeout) = self.config.session_timeout else {
            return Ok(());
        };
        let now = Instant::now();
        let expired = {
            let mut uses = self.session_use.lock().unwrap_or_else(|e| e.into_inner());
            let last = uses.entry(session.to_string()).or_insert(now);
            let expired = now.duration_since(*last) > timeout;
            if expired {
                uses.remove(session);
            } else {
                *last = now;
            }
            expired
        };
        if expired {
            // As xapi's session garbage collection: the session is gone for good, with its
            // event registration.
            let _ = self.store.write(|t| t.remove(class, session));
            let registered = self
                .registrations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(session)
                .is_some();
            if registered {
                self.store.write(|t| t.unsubscribe());
            }
            self.store.wake_all();
            return Err(invalid());
        }
        Ok(())
    }

    /// Starts the inactivity clock of a new session (with a session timeout).
    pub fn touch_session(&self, session: &str) {
        if self.config.session_timeout.is_some() {
            self.session_use
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(session.to_string(), Instant::now());
        }
    }

    /// Forgets the inactivity clock of a session that ended.
    pub fn forget_session(&self, session: &str) {
        if self.config.session_timeout.is_some() {
            self.session_use
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(session);
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
