//! `xapi-sim`: an xapi-compatible XenAPI server for tests, examples and benchmarks.
#![warn(missing_docs)]

pub mod behaviour;
pub mod dispatch;
pub mod error;
pub mod generic;
pub mod model;
pub mod populate;
pub mod query;
pub mod reply;
pub mod rng;
pub mod sim;
pub mod store;
pub mod value;
