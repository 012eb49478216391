//! The C ABI exercised by a C program against canned XML-RPC responses (no server).

mod support;

#[test]
fn offline_program_passes() {
    let exe = support::build("offline", &["support.c"], &["-lcurl"]);
    let out = support::run(&exe, &[], false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

#[test]
fn offline_program_is_clean_under_valgrind() {
    let exe = support::build("offline", &["support.c"], &["-lcurl"]);
    support::run(&exe, &[], true);
}

#[test]
fn records_built_the_libvirt_way_are_sent_and_freed_cleanly() {
    let exe = support::build("record_building", &["support.c"], &["-lcurl"]);
    let out = support::run(&exe, &[], true);
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}
