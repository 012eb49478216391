//! `xapi-sim`: an xapi-compatible XenAPI server, for tests, examples and benchmarks.
//!
//! Everything is driven by the data model (`model/xenapi.json`, embedded): every class has an
//! object store with refs and uuids, and every implicit message works (getters, setters,
//! `add_to_`/`remove_from_` maps, `add_`/`remove_` sets, create, destroy, `get_record`,
//! `get_by_uuid`, `get_by_name_label`, `get_all`, `get_all_records`,
//! `get_all_records_where`), with xapi's checks and errors. The messages users rely on have
//! real behaviour (see [`behaviour`]); every other explicit message has an effect inferred
//! from the model or a canned answer of its result type ([`behaviour::explicit`], listed in
//! `MESSAGES.md`). Both wire formats (XML-RPC on every path but JSON-RPC's,
//! JSON-RPC v1/v2 on `/jsonrpc`) over HTTP/1.1 keep-alive, HTTPS, and a Unix socket.
//!
//! [`SimulatorBuilder::xend`] serves xend's API 1.0 instead (see [`xend`]).
//!
//! ```no_run
//! let sim = xapi_sim::Simulator::builder().vms(100).hosts(2).seed(7).start().unwrap();
//! println!("{} (JSON-RPC: {})", sim.url(), sim.jsonrpc_url());
//! let (user, password) = sim.credentials(); // root / xenroot by default
//! # let _ = (user, password);
//! // sim.member_url(): a pool member, whose logins answer HOST_IS_SLAVE [master address].
//! // sim.faults(): fault injection. sim.store(): direct access to the objects.
//! // Dropping `sim` stops it.
//! ```
//!
//! The pool member listens on 127.0.0.2 with the master's port when the master is on
//! 127.0.0.1, so `HOST_IS_SLAVE` carries the master's bare IP as xapi does, and a client that
//! replaces the host of its URL (keeping scheme and port) reaches the master. When that
//! address cannot be bound, the member takes an ephemeral port and `HOST_IS_SLAVE` carries
//! `ip:port`.
#![warn(missing_docs)]

pub mod behaviour;
pub mod dispatch;
pub mod encode;
pub mod error;
pub mod faults;
pub mod fxhash;
pub mod generic;
pub mod http;
pub mod http_client;
pub mod model;
pub mod populate;
pub mod python;
pub mod query;
pub mod reply;
pub mod rng;
pub mod server;
pub mod sim;
pub mod store;
pub mod tls;
pub mod value;
pub mod xend;
pub mod xva;

pub use error::Failure;
pub use faults::{FaultKind, Faults, When};
pub use model::{Dialect, Model};
pub use server::{RunningSimulator, Simulator, SimulatorBuilder, StartError};
pub use store::Store;
pub use value::V;
