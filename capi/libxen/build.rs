//! Gives the shared library libxen's SONAME.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxenapi.so.1.0");
}
