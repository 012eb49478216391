//! The bench command runs end to end on a small pool and prints every figure with a ratio
//! (the numbers themselves are for BENCHMARKS.md, not for assertions).

use std::process::Command;

#[test]
fn bench_command_prints_every_figure_with_its_ratio() {
    let svg = std::env::temp_dir().join(format!("xenapi-bench-smoke-{}.svg", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_xenapi-bench"))
        .args([
            "--vms",
            "64",
            "--quick",
            "--no-python",
            "--no-xo",
            "--no-build",
            "--svg",
        ])
        .arg(&svg)
        .output()
        .expect("the bench command runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let line = |prefix: &str| -> &str {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{stdout}"))
    };
    for path in [
        "typed XML-RPC",
        "Value XML-RPC",
        "C ABI XML-RPC",
        "typed JSON-RPC",
        "Value JSON-RPC",
    ] {
        assert!(
            line(&format!("decode {path}:")).contains("x the time of"),
            "{stdout}"
        );
        assert!(
            line(&format!("memory {path}:")).contains("x the response size"),
            "{stdout}"
        );
    }
    for calls in [
        "calls XmlRpc, 1 thread",
        "calls XmlRpc, 8 thread",
        "calls JsonRpc, 1 thread",
        "calls JsonRpc, 8 thread",
    ] {
        assert!(line(calls).contains("x the"), "{stdout}");
    }
    assert!(line("events:").contains("x the"), "{stdout}");
    for drain in ["typed (Event::from_class)", "dynamic Value (session.call)"] {
        assert!(
            line(&format!("events {drain}:")).contains("/s ["),
            "{stdout}"
        );
    }
    assert!(
        line("e2e typed JSON-RPC:").contains("reference"),
        "{stdout}"
    );
    for contender in ["typed XML-RPC", "Value JSON-RPC", "C libxenserver JSON-RPC"] {
        assert!(
            line(&format!("e2e {contender}:")).contains("x the time of typed JSON-RPC"),
            "{stdout}"
        );
    }
    assert!(line("e2e breakdown JsonRpc").contains("server"), "{stdout}");

    let chart = std::fs::read_to_string(&svg).expect("the chart was written");
    let _ = std::fs::remove_file(&svg);
    assert!(
        chart.starts_with("<svg") && chart.contains("typed XML-RPC"),
        "{chart}"
    );
}
