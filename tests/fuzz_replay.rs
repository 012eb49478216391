//! Replays every corpus file and every past crash of the fuzz targets (`fuzz/corpus/<target>`,
//! `fuzz/artifacts/<target>`) through their entry points (`xenapi::fuzzing`), so that a normal
//! `cargo test` keeps what fuzzing found; then a cheap mutation pass over the seeds. The C
//! target is replayed by capi/xenserver/tests/fuzz_replay.rs.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use xenapi::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>` (none when the directory does not exist).
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fuzz_dir().join(kind).join(target))
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_corpus_file_and_past_crash_replays() {
    for (target, entry) in TARGETS {
        let corpus = files("corpus", target);
        assert!(
            corpus.len() >= 3,
            "{target}: the corpus has {} seeds",
            corpus.len()
        );
        for file in corpus.iter().chain(&files("artifacts", target)) {
            entry(&std::fs::read(file).unwrap());
        }
    }
}

/// All seeds of all targets, with the target's index.
fn seeds() -> Vec<(usize, Vec<u8>)> {
    TARGETS
        .iter()
        .enumerate()
        .flat_map(|(i, (target, _))| {
            files("corpus", target)
                .into_iter()
                .map(move |f| (i, std::fs::read(f).unwrap()))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Seeds with bytes overwritten, inserted or cut at random places: a poor man's fuzzer
    /// for machines without libFuzzer.
    #[test]
    fn mutated_seeds_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let seeds = seeds();
        let (target, seed) = &seeds[pick.index(seeds.len())];
        let mut data = seed.clone();
        for (at, byte, kind) in edits {
            let i = at.index(data.len().max(1));
            match kind {
                0 if i < data.len() => data[i] = byte,
                1 => data.insert(i.min(data.len()), byte),
                _ => data.truncate(i),
            }
        }
        (TARGETS[*target].1)(&data);
    }
}

/// Regenerates the seeds from the simulator (`cargo test --test fuzz_replay -- --ignored`):
/// requests and responses of a short session in both wire formats.
#[test]
#[ignore]
fn capture_seeds_from_the_simulator() {
    use std::sync::{Arc, Mutex};
    use xenapi::transport::{FnTransport, Transport, UreqTransport};
    use xenapi::{Client, Limits, Value, WireFormat};

    let sim = xapi_sim::Simulator::builder()
        .vms(2)
        .hosts(1)
        .seed(7)
        .start()
        .unwrap();
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let inner = UreqTransport::new(&sim.url(), Default::default()).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let record = log.clone();
        let transport = FnTransport::new(move |body| {
            let response = inner.post(format.path(), body, &Limits::default())?;
            record
                .lock()
                .unwrap()
                .push((body.to_vec(), response.clone()));
            Ok(response)
        });
        let client = Client::builder_with_transport(transport)
            .format(format)
            .build()
            .unwrap();
        let s = client
            .login_with_password("root", "xenroot", "1.0", "fuzz-seeds")
            .unwrap();
        for method in ["VM.get_all_records", "VM.get_all", "host.get_all_records"] {
            s.call(method, &[]).unwrap();
        }
        let _ = s.call("VM.get_record", &[Value::from("OpaqueRef:nonexistent")]);
        s.logout().unwrap();
        let prefix = if format == WireFormat::XmlRpc {
            "xml"
        } else {
            "json"
        };
        let log = log.lock().unwrap();
        for (n, (request, response)) in log.iter().enumerate() {
            write_seed("request", &format!("sim-{prefix}-{n}"), request);
            write_seed(
                &format!("{prefix}_response_value"),
                &format!("sim-{n}"),
                response,
            );
            if n == 1 {
                write_seed(
                    &format!("{prefix}_vm_records"),
                    "sim-get_all_records",
                    response,
                );
                if format == WireFormat::XmlRpc {
                    write_seed("c_vm_records", "sim-get_all_records", response);
                }
            }
        }
    }
}

/// Seeds from the real VM records in tests/data, and the smallest answers: `VM.get_all_records`
/// with one record and with none, and a failure.
#[test]
#[ignore]
fn make_seeds_from_real_records() {
    use xenapi::wire::{encode_failure, encode_success, WireFormat};
    use xenapi::{Struct, Value};
    let files = [
        include_str!("data/real-xs72-vm1.json"),
        include_str!("data/real-xs72-vm2.json"),
        include_str!("data/real-xs72-vm3.json"),
    ];
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let prefix = if format == WireFormat::XmlRpc {
            "xml"
        } else {
            "json"
        };
        let mut targets = vec![
            format!("{prefix}_vm_records"),
            format!("{prefix}_response_value"),
        ];
        if format == WireFormat::XmlRpc {
            targets.push("c_vm_records".into());
        }
        for (n, text) in files.iter().enumerate() {
            let all: Value = serde_json::from_str(text).unwrap();
            let vm = all.get("VM").cloned().unwrap();
            let mut one = Struct::new();
            one.insert(format!("OpaqueRef:real-{n}"), vm);
            let body = encode_success(format, &Value::Struct(one), None).unwrap();
            for t in &targets {
                write_seed(t, &format!("real-xs72-vm{}", n + 1), &body);
            }
        }
        let empty = encode_success(format, &Value::Struct(Struct::new()), None).unwrap();
        let failure = encode_failure(
            format,
            &["SESSION_INVALID".to_string(), "OpaqueRef:x".to_string()],
            None,
        );
        for t in &targets {
            write_seed(t, "empty", &empty);
            write_seed(t, "failure", &failure);
        }
    }
}

fn write_seed(target: &str, name: &str, bytes: &[u8]) {
    let dir = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}
