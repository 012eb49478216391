//! The `xapi-sim` binary's command line.

use std::process::Command;

#[test]
fn help_lists_every_flag_with_its_default_and_the_credentials() {
    let out = Command::new(env!("CARGO_BIN_EXE_xapi-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--unix",
        "--tls",
        "--vms",
        "--hosts",
        "--seed",
        "--user",
        "--password",
        "--session-timeout",
        "--no-member",
        "--help",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(flag) || l.contains(&format!(", {flag}")))
            .unwrap_or_else(|| panic!("{flag} is not in --help:\n{text}"));
        if flag != "--help" {
            let entry = &text[text.find(line).unwrap()..];
            let entry = entry.split("\n  -").next().unwrap();
            assert!(entry.contains("default"), "{flag} has no default: {entry}");
        }
    }
    assert!(
        text.contains(r#"user "root", password "xenroot""#),
        "{text}"
    );
    // The credentials shown are the ones given.
    let out = Command::new(env!("CARGO_BIN_EXE_xapi-sim"))
        .args(["--user", "admin", "--password", "s3cret", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(r#"user "admin", password "s3cret""#),
        "{text}"
    );
}

#[test]
fn bad_flags_are_refused_with_the_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_xapi-sim"))
        .args(["--session-timeout", "soon"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not a number"), "{err}");
}
