//! libxenserver C ABI.
