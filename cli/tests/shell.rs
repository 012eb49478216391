//! `xenapi shell` driven through a real pseudo-terminal: completion, hints, help, history
//! across runs, failures that leave the shell usable, `exit`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{simulator, xend_simulator, PASSWORD};
use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Session};
use xapi_sim::RunningSimulator;

const PROMPT: &str = "xenapi> ";
const UP: &str = "\x1b[A";

fn shell(sim: &RunningSimulator, history: &Path) -> expectrl::session::OsSession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xenapi"));
    cmd.arg("shell")
        .env("TERM", "xterm")
        .env("XENAPI_URL", sim.url())
        .env("XENAPI_USER", "root")
        .env("XENAPI_PASSWORD", PASSWORD)
        .env("XENAPI_HISTORY", history);
    let mut session = Session::spawn(cmd).expect("the shell starts in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(15)));
    session.expect(PROMPT).expect("a prompt");
    session
}

/// Sends `line`, waits for `wanted` in the answer and then for the next prompt; returns what
/// was printed up to `wanted`. (The prompt is redrawn while a line is typed, so the prompt
/// alone does not mark the end of an answer.)
fn answer(session: &mut expectrl::session::OsSession, line: &str, wanted: &str) -> String {
    session.send_line(line).unwrap();
    let found = session
        .expect(wanted)
        .unwrap_or_else(|e| panic!("{line}: no {wanted:?}: {e}"));
    session.expect(PROMPT).expect("the prompt again");
    String::from_utf8_lossy(found.before()).into_owned()
}

fn exits_cleanly(mut session: expectrl::session::OsSession) -> String {
    let rest = session.expect(Eof).expect("the shell ends");
    let status = session.get_process().wait().expect("exit status");
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
    // Eof matches everything that was left unread.
    String::from_utf8_lossy(rest.get(0).unwrap_or_default()).into_owned()
}

#[test]
fn completes_names_hints_parameters_and_shows_help() {
    let sim = simulator(Duration::ZERO);
    let dir = tempdir();
    let mut sh = shell(&sim, &dir.join("history"));

    sh.send("VM_metr\t").unwrap();
    sh.expect("VM_metrics.").expect("the class completed");
    sh.send("get_reco\t").unwrap();
    sh.expect("get_record").expect("the message completed");
    // The hint names the parameters still to give.
    sh.send(" ").unwrap();
    sh.expect("<self: VM_metrics ref>")
        .expect("a parameter hint");
    // Ctrl-U clears the line.
    sh.send("\x15").unwrap();

    sh.send("pool.get_all_r\t").unwrap();
    sh.expect("ecords")
        .expect("completed to pool.get_all_records");
    sh.send("\r").unwrap();
    sh.expect("name_label").expect("pool records");
    sh.expect(PROMPT).unwrap();

    answer(&mut sh, "help VM_metrics", "messages of VM_metrics:");
    sh.send_line("json on").unwrap();
    answer(
        &mut sh,
        "VM.get_record linux-00001",
        "\"name_label\": \"linux-00001\"",
    );
    sh.send_line("json off").unwrap();
    answer(&mut sh, "VM.get_record linux-00001", "name_label ");
    answer(
        &mut sh,
        "help VM.clone",
        "VM.clone(vm: VM ref, new_name: string) -> VM ref\r\n  vm: VM ref",
    );

    sh.send_line("exit").unwrap();
    exits_cleanly(sh);
}

#[test]
fn failures_print_their_code_and_the_shell_goes_on() {
    let sim = simulator(Duration::ZERO);
    let dir = tempdir();
    let mut sh = shell(&sim, &dir.join("history"));

    let out = answer(
        &mut sh,
        "VM.get_uuid OpaqueRef:nope",
        "handle: OpaqueRef:nope",
    );
    assert!(
        out.contains("API failure: HANDLE_INVALID\r\n  class : VM"),
        "{out}"
    );

    answer(
        &mut sh,
        "VM.get_recrod linux-00001",
        "error: unknown method \"VM.get_recrod\"; did you mean VM.get_record",
    );
    answer(
        &mut sh,
        "VM.set_name_label linux-00001 \"two words",
        "error: unclosed \" quote",
    );
    answer(
        &mut sh,
        "VM.set_name_label linux-00001 \"two words\"",
        "\r\n",
    );
    answer(
        &mut sh,
        "VM.get_name_label 'two words'",
        "\r\ntwo words\r\n",
    );

    // Lines typed ahead (or pasted) while a call runs are kept.
    sh.send("VM.get_power_state 'two words'\rVM.get_power_state linux-00002\r")
        .unwrap();
    sh.expect("\r\nRunning\r\n")
        .expect("the first line's answer");
    sh.expect("\r\nHalted\r\n")
        .expect("the second line's answer");
    sh.expect(PROMPT).unwrap();

    // Ctrl-C abandons the line, not the shell; Ctrl-D leaves.
    sh.send("VM.get_all\x03").unwrap();
    sh.expect(PROMPT).unwrap();
    sh.send("\x04").unwrap();
    let rest = exits_cleanly(sh);
    assert!(!rest.contains(PASSWORD));
}

#[test]
fn history_is_kept_across_runs() {
    let sim = simulator(Duration::ZERO);
    let dir = tempdir();
    let history = dir.join("history");

    let mut sh = shell(&sim, &history);
    answer(
        &mut sh,
        "VM.get_name_label linux-00005",
        "\r\nlinux-00005\r\n",
    );
    sh.send_line("exit").unwrap();
    exits_cleanly(sh);
    let saved = std::fs::read_to_string(&history).expect("a history file");
    assert!(saved.contains("VM.get_name_label linux-00005"), "{saved}");

    let mut sh = shell(&sim, &history);
    sh.send(UP).unwrap();
    sh.send(UP).unwrap();
    sh.expect("VM.get_name_label linux-00005")
        .expect("recalled");
    sh.send("\r").unwrap();
    sh.expect("\r\nlinux-00005\r\n")
        .expect("the recalled line ran");
    sh.expect(PROMPT).unwrap();
    sh.send_line("exit").unwrap();
    exits_cleanly(sh);
}

#[test]
fn async_shows_progress_on_a_terminal() {
    let sim = simulator(Duration::from_millis(1500));
    let dir = tempdir();
    let mut sh = shell(&sim, &dir.join("history"));
    sh.send_line("async VM.clone linux-00006 copy").unwrap();
    sh.expect("VM.clone [").expect("a progress bar");
    sh.expect("%").expect("a percentage");
    answer(&mut sh, "VM.get_name_label copy", "\r\ncopy\r\n");
    sh.send_line("exit").unwrap();
    exits_cleanly(sh);
}

#[test]
fn xend_completes_its_own_classes_and_takes_uuids() {
    let sim = xend_simulator(Duration::ZERO);
    let dir = tempdir();
    let mut sh = shell(&sim, &dir.join("history"));
    // cpu_pool is a class of xend's API only.
    sh.send("cpu_po\t").unwrap();
    sh.expect("cpu_pool.").expect("the class completed");
    sh.send("\x15").unwrap();
    answer(
        &mut sh,
        "VM.get_domid 00000000-0000-0000-0000-000000000000",
        "\r\n0\r\n",
    );
    // xend refuses lifecycle operations on Domain-0; the shell reports it and goes on.
    let out = answer(
        &mut sh,
        "VM.start 00000000-0000-0000-0000-000000000000 false",
        "OPERATION_NOT_ALLOWED",
    );
    assert!(out.contains("API failure"), "{out}");
    answer(
        &mut sh,
        "VM.get_power_state 00000000-0000-0000-0000-000000000000",
        "\r\nRunning\r\n",
    );
    sh.send_line("exit").unwrap();
    exits_cleanly(sh);
}

#[test]
fn the_password_is_asked_for_without_echo() {
    let sim = simulator(Duration::ZERO);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xenapi"));
    cmd.args(["call", "VM.get_name_label", "linux-00002"])
        .env("TERM", "xterm")
        .env("XENAPI_URL", sim.url())
        .env_remove("XENAPI_USER")
        .env_remove("XENAPI_PASSWORD");
    let mut session = Session::spawn(cmd).expect("the tool starts in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(15)));
    session
        .expect(format!("Password for root at {}: ", sim.url()).as_str())
        .expect("a password prompt");
    // The prompt is written before echo is turned off: wait for the terminal to stop echoing.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while session
        .get_process()
        .get_echo()
        .expect("the terminal's echo flag")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "echo never turned off"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    session.send_line(PASSWORD).unwrap();
    let rest = exits_cleanly(session);
    assert!(rest.contains("linux-00002"), "{rest}");
    assert!(!rest.contains(PASSWORD), "the password was echoed: {rest}");
}

/// A fresh directory under the target's temporary folder.
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "xenapi-shell-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
