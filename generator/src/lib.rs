//! `xenapi-gen`: reads the compact data model in `model/` and renders the generated parts of the
//! workspace (the typed Rust API in `src/api/`, and the C ABI code and headers).
//!
//! - [`model`] loads and validates the model into typed values; every emitter works from it.
//! - [`output`] is the framework: the list of emitters, rendering every output file to memory,
//!   comparing with (and writing to) the checked-in tree.
//! - [`rust`] renders `src/api/`.
//! - [`c`] renders the C headers and the Rust side of the C ABI.
//! - [`import`] derives `model/` from an upstream data-model folder.
//! - [`import_xend`] derives `model/xend/` from libxen 4.4's data model.
#![warn(missing_docs)]

pub mod c;
pub mod import;
pub mod import_xend;
pub mod model;
pub mod naming;
pub mod output;
pub mod rust;

pub use model::{
    Class, Enum, ErrorDef, Field, Lifecycle, Message, Model, Param, Qualifier, Struct, StructField,
    Type,
};
pub use output::{GeneratedFile, EMITTERS};
