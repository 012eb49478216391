//! Gives the shared library the SONAME of the C SDK it replaces.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxenserver.so.2");
}
