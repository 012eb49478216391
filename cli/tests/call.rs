//! `xenapi call` against the simulator over real sockets: every argument kind, both output
//! forms, the errors and exit codes, `--async`.

mod common;

use std::time::Duration;

use common::{call, login, run, simulator, vm_named, xenapi, PASSWORD};
use xenapi::Value;

fn field(session: &xenapi::Session, vm: &str, name: &str) -> Value {
    session
        .call(&format!("VM.get_{name}"), &[vm.into()])
        .unwrap_or_else(|e| panic!("VM.get_{name}: {e}"))
}

#[test]
fn refs_as_opaqueref_uuid_and_name_label() {
    let sim = simulator(Duration::ZERO);
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00001");
    let uuid = field(&session, &vm, "uuid");
    let uuid = uuid.as_str().unwrap();

    for (given, label) in [(vm.as_str(), "by-ref"), (uuid, "by-uuid")] {
        let out = call(&sim, &["VM.set_name_label", given, label]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(field(&session, &vm, "name_label"), Value::from(label));
    }
    let out = call(&sim, &["VM.set_name_label", "by-uuid", "by-name"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(field(&session, &vm, "name_label"), Value::from("by-name"));

    let out = call(&sim, &["VM.get_uuid", "by-name"]);
    assert_eq!(out.stdout, format!("{uuid}\n"));
}

#[test]
fn ints_floats_bools_enums_maps_and_sets() {
    let sim = simulator(Duration::ZERO);
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00002");
    let ok = |args: &[&str]| {
        let out = call(&sim, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.stdout
    };

    ok(&["VM.set_user_version", "linux-00002", "-7"]);
    assert_eq!(field(&session, &vm, "user_version").as_i64(), Some(-7));
    assert_eq!(ok(&["VM.get_user_version", "linux-00002"]), "-7\n");
    assert_eq!(
        ok(&["VM.get_user_version", "linux-00002", "--json"]),
        "-7\n"
    );

    ok(&["VM.set_is_a_template", "linux-00002", "yes"]);
    assert_eq!(field(&session, &vm, "is_a_template"), Value::Bool(true));
    ok(&["VM.set_is_a_template", "linux-00002", "false"]);
    assert_eq!(field(&session, &vm, "is_a_template"), Value::Bool(false));

    ok(&["VM.set_HVM_shadow_multiplier", "linux-00002", "2.5"]);
    assert_eq!(
        field(&session, &vm, "HVM_shadow_multiplier").as_f64(),
        Some(2.5)
    );

    ok(&["VM.set_actions_after_crash", "linux-00002", "RESTART"]);
    assert_eq!(
        field(&session, &vm, "actions_after_crash"),
        Value::from("restart")
    );

    ok(&["VM.set_other_config", "linux-00002", "a=1", "b=x=y"]);
    let config: serde_json::Value =
        serde_json::from_str(&ok(&["--json", "VM.get_other_config", "linux-00002"])).unwrap();
    assert_eq!(config, serde_json::json!({"a": "1", "b": "x=y"}));
    ok(&["VM.add_to_other_config", "linux-00002", "c", "3"]);
    assert_eq!(
        field(&session, &vm, "other_config").get("c"),
        Some(&Value::from("3"))
    );

    ok(&["VM.set_tags", "linux-00002", "red", "green", "blue"]);
    assert_eq!(
        ok(&["VM.get_tags", "linux-00002"]),
        "- red\n- green\n- blue\n"
    );
    ok(&["VM.set_tags", "linux-00002"]);
    assert_eq!(ok(&["VM.get_tags", "linux-00002"]), "[]\n");
    ok(&["VM.set_tags", "linux-00002", r#"["a b", "c"]"#]);
    assert_eq!(
        field(&session, &vm, "tags"),
        Value::Array(vec!["a b".into(), "c".into()])
    );
}

#[test]
fn datetimes_and_records() {
    let sim = simulator(Duration::ZERO);
    // A datetime argument reaches the server as a datetime: message.get_since finds a
    // message created now after a past date and not after a future one.
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00001");
    let uuid = field(&session, &vm, "uuid");
    let out = call(
        &sim,
        &[
            "message.create",
            "cli-test",
            "3",
            "VM",
            uuid.as_str().unwrap(),
            "body text",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = call(&sim, &["message.get_since", "20240131T12:34:56Z"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("cli-test"), "{}", out.stdout);
    let out = call(&sim, &["message.get_since", "20990101T00:00:00Z"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("cli-test"), "{}", out.stdout);
    let out = call(&sim, &["message.get_since", "yesterday"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("\"yesterday\" is not a datetime"),
        "{}",
        out.stderr
    );

    let out = call(
        &sim,
        &[
            "network.create",
            "name_label=lab",
            "MTU=9000",
            "other_config={\"k\":\"v\"}",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let net = out.stdout.trim().to_string();
    assert!(net.starts_with("OpaqueRef:"), "{net}");
    let record: serde_json::Value =
        serde_json::from_str(&call(&sim, &["--json", "network.get_record", &net]).stdout).unwrap();
    assert_eq!(record["name_label"], "lab");
    assert_eq!(record["MTU"], 9000);
    assert_eq!(record["other_config"], serde_json::json!({"k": "v"}));
}

#[test]
fn records_for_people_and_for_scripts() {
    let sim = simulator(Duration::ZERO);
    let pretty = call(&sim, &["VM.get_record", "linux-00003"]);
    assert_eq!(pretty.code, 0, "{}", pretty.stderr);
    let lines: Vec<&str> = pretty.stdout.lines().collect();
    let name = lines.iter().find(|l| l.starts_with("name_label")).unwrap();
    let uuid = lines.iter().find(|l| l.starts_with("uuid")).unwrap();
    assert!(name.ends_with(": linux-00003"), "{name}");
    // Keys are padded to one column.
    assert_eq!(name.find(": "), uuid.find(": "));
    // Nested maps are indented under their key.
    let vcpus = lines
        .iter()
        .position(|l| l.starts_with("VCPUs_params"))
        .unwrap();
    assert!(lines[vcpus].ends_with(": {}") || lines[vcpus + 1].starts_with("  "));

    let json = call(&sim, &["VM.get_record", "linux-00003", "--json"]);
    let record: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(record["name_label"], "linux-00003");
    // XML-RPC carries ints as strings; the model makes them numbers again.
    assert!(
        record["memory_static_max"].is_i64(),
        "{}",
        record["memory_static_max"]
    );
    assert!(record["VCPUs_max"].is_i64());
    assert!(record["is_a_template"].is_boolean());
}

#[test]
fn json_rpc_gives_the_same_answers() {
    let sim = simulator(Duration::ZERO);
    let out = run(
        xenapi(&sim),
        &[
            "--format",
            "json",
            "call",
            "VM.get_name_label",
            "linux-00004",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "linux-00004\n");
}

#[test]
fn usage_errors_name_what_is_wrong_and_exit_2() {
    let sim = simulator(Duration::ZERO);
    let cases: [(&[&str], &str); 6] = [
        (
            &["VM.get_recrod", "x"],
            "unknown method \"VM.get_recrod\"; did you mean VM.get_record",
        ),
        (
            &["VM.clone", "linux-00001"],
            "VM.clone takes 2 arguments, got 1: VM.clone(vm: VM ref, new_name: string) -> VM ref",
        ),
        (
            &["VM.set_user_version", "linux-00001", "seven"],
            "argument value: \"seven\" is not an int",
        ),
        (
            &["VM.set_is_a_template", "linux-00001", "maybe"],
            "argument value: \"maybe\" is not a bool",
        ),
        (
            &["VM.set_actions_after_crash", "linux-00001", "explode"],
            "is not one of on_crash_behaviour (destroy, coredump_and_destroy, restart",
        ),
        (
            &["VM.get_uuid", "no-such-vm"],
            "argument self: no VM is named \"no-such-vm\" (give an OpaqueRef, a uuid or an existing name-label)",
        ),
    ];
    for (args, message) in cases {
        let out = call(&sim, args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    let session = login(&sim);
    for name in ["linux-00005", "linux-00006"] {
        session
            .call(
                "VM.set_name_label",
                &[vm_named(&session, name).into(), "twin".into()],
            )
            .unwrap();
    }
    let out = call(&sim, &["VM.get_uuid", "twin"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("2 VMs are named \"twin\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("give an OpaqueRef or a uuid"),
        "{}",
        out.stderr
    );

    let out = run(xenapi(&sim), &["call"]);
    assert_eq!(out.code, 2, "clap's usage error: {}", out.stderr);
}

#[test]
fn api_failures_exit_1_with_the_code_and_named_params() {
    let sim = simulator(Duration::ZERO);
    let out = call(
        &sim,
        &[
            "VM.get_uuid",
            "OpaqueRef:00000000-0000-0000-0000-000000000000",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("HANDLE_INVALID(class=VM, handle=OpaqueRef:00000000"),
        "{}",
        out.stderr
    );
    let out = call(
        &sim,
        &["VM.get_uuid", "00000000-0000-0000-0000-000000000000"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no VM has the uuid 00000000-"),
        "{}",
        out.stderr
    );
}

#[test]
fn connection_errors_exit_3_and_the_password_is_never_printed() {
    let sim = simulator(Duration::ZERO);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = xenapi(&sim);
    cmd.env("XENAPI_URL", format!("http://127.0.0.1:{port}"));
    let out = run(cmd, &["call", "VM.get_all"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        out.stderr
    );

    let mut cmd = xenapi(&sim);
    cmd.env("XENAPI_PASSWORD", "wrong-one");
    let out = run(cmd, &["call", "VM.get_all"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("SESSION_AUTHENTICATION_FAILED"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-one"), "{}", out.stderr);

    // Help shows where the password may come from, never its value (run checks).
    let out = run(xenapi(&sim), &["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("XENAPI_PASSWORD"), "{}", out.stdout);
    let out = run(
        xenapi(&sim),
        &["call", "--password", PASSWORD, "--url", "http://[::1"],
    );
    assert_ne!(out.code, 0);

    let mut cmd = xenapi(&sim);
    cmd.env_remove("XENAPI_PASSWORD");
    let out = run(cmd, &["call", "VM.get_all"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no password given"), "{}", out.stderr);
}

#[test]
fn async_waits_for_a_long_task_and_decodes_its_result() {
    let sim = simulator(Duration::from_millis(1200));
    let session = login(&sim);
    let started = std::time::Instant::now();
    let out = call(
        &sim,
        &[
            "--async",
            "--no-progress",
            "VM.clone",
            "linux-00006",
            "copy",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(started.elapsed() >= Duration::from_millis(1200));
    let clone = out.stdout.trim();
    assert_eq!(vm_named(&session, "copy"), clone);
    // The finished task was cleaned up.
    let tasks = session.call("task.get_all", &[]).unwrap();
    assert_eq!(tasks.as_array().map(<[Value]>::len), Some(0), "{tasks:?}");

    let out = call(
        &sim,
        &["--async", "VM.start", "OpaqueRef:gone", "false", "false"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("HANDLE_INVALID"), "{}", out.stderr);
    let out = call(&sim, &["--async", "VM.get_uuid", "linux-00006"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("VM.get_uuid has no Async form"),
        "{}",
        out.stderr
    );
    let _ = PASSWORD;
}

#[test]
fn xend_refs_are_uuids_and_the_model_is_api_1_0() {
    let out = run(
        std::process::Command::new(env!("CARGO_BIN_EXE_xenapi")),
        &[
            "call",
            "--sim",
            "xend",
            "VM.get_domid",
            "00000000-0000-0000-0000-000000000000",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "0\n", "Domain-0 is at the zero UUID");

    let sim = common::xend_simulator(Duration::ZERO);
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00002");
    assert!(!vm.starts_with("OpaqueRef:"), "{vm}");
    let out = call(&sim, &["VM.set_name_label", &vm, "by-uuid"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(field(&session, &vm, "name_label"), Value::from("by-uuid"));
    let out = call(
        &sim,
        &["VM.set_VCPUs_params", "by-uuid", "weight=256", "cap=0"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);

    let record: serde_json::Value =
        serde_json::from_str(&call(&sim, &["--json", "VM.get_record", "by-uuid"]).stdout)
            .expect("JSON");
    assert_eq!(record["uuid"], vm.as_str());
    assert_eq!(
        record["VCPUs_params"],
        serde_json::json!({"weight": "256", "cap": "0"})
    );
    assert!(record["memory_static_max"].is_i64(), "{record}");

    // Messages of xapi's API only are unknown here.
    let out = call(&sim, &["VM.get_all_records"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown method \"VM.get_all_records\""),
        "{}",
        out.stderr
    );
    let out = call(&sim, &["VM.get_uuid", "nobody"]);
    assert!(
        out.stderr
            .contains("no VM is named \"nobody\" (give a uuid or an existing name-label)"),
        "{}",
        out.stderr
    );
}

#[test]
fn xend_async_reports_percentages_and_plain_results() {
    let sim = common::xend_simulator(Duration::from_millis(800));
    let session = login(&sim);
    let vms = session.call("VM.get_all", &[]).unwrap();
    let halted = vms
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|vm| field(&session, vm, "power_state") == Value::from("Halted"))
        .expect("a halted VM")
        .to_string();
    let out = call(&sim, &["--async", "VM.clone", &halted, "xend-copy"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), vm_named(&session, "xend-copy"));

    let running = vm_named(&session, "linux-00002");
    let out = call(
        &sim,
        &["--async", "--no-progress", "VM.start", &running, "false"],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("VM_BAD_POWER_STATE") && out.stderr.contains("actual=Running"),
        "{}",
        out.stderr
    );
}

#[test]
fn tls_by_pin_or_ca_and_refusals_exit_3() {
    let sim = xapi_sim::Simulator::builder()
        .credentials("root", PASSWORD)
        .tls(true)
        .metrics_interval(None)
        .start()
        .unwrap();
    let url = sim.url();
    assert!(url.starts_with("https://"), "{url}");
    let pin = sim.fingerprint().unwrap().to_string();
    let ca = std::env::temp_dir().join(format!("xenapi-cli-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, sim.certificate_pem().unwrap()).unwrap();

    let name = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend(["call", "VM.get_name_label", "linux-00001"]);
        run(xenapi(&sim), &args)
    };
    let out = name(&["--pin", &pin]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "linux-00001\n"),
        "{}",
        out.stderr
    );
    let out = name(&["--ca", ca.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = name(&["--insecure"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // Self-signed: refused by the public roots, and by another pin.
    let out = name(&[]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let wrong = "00".repeat(32);
    let out = name(&["--pin", &wrong]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let out = name(&["--pin", "not-hex"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--pin"), "{}", out.stderr);
    let _ = std::fs::remove_file(ca);
}
