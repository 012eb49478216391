//! The complete C program in the README compiles as shown and does what the README says:
//! lists the VMs, and on a wrong password or an unreachable host prints why and exits 1.

mod support;

use std::path::Path;
use std::process::Command;

/// The C code block that follows the README's `<!-- readme-c-program -->` marker.
fn readme_program() -> String {
    let readme = std::fs::read_to_string(support::root().join("README.md")).unwrap();
    let after = readme
        .split_once("<!-- readme-c-program -->")
        .expect("the README marks its C program")
        .1;
    let code = after
        .split_once("```c\n")
        .expect("a ```c block follows the marker")
        .1;
    code.split_once("```").expect("the block ends").0.to_owned()
}

#[test]
fn the_readme_c_program_compiles_and_reports_failures() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-program");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("list_vms.c");
    std::fs::write(&src, readme_program()).unwrap();
    let exe = dir.join("list_vms");
    let lib = support::lib_dir();
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror"])
        .arg(format!("-I{}", support::root().join("include").display()))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lxenserver")
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "the README's program does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let sim = xapi_sim::Simulator::builder()
        .vms(3)
        .metrics_interval(None)
        .start()
        .unwrap();
    let ok = support::run(&exe, &[&sim.url(), "root", "xenroot"], true);
    let listing = String::from_utf8_lossy(&ok.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("linux-00001") && l.ends_with("Running")),
        "{listing}"
    );

    let run = |args: &[&str]| {
        let out = Command::new(&exe).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&[&sim.url(), "root", "wrong"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("login failed: SESSION_AUTHENTICATION_FAILED"),
        "{stderr}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let (code, stderr) = run(&[&url, "root", "xenroot"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("login failed: TRANSPORT_FAULT") && stderr.contains("refused"),
        "{stderr}"
    );

    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("usage:"), "{stderr}");
}
