//! Replays the C ABI fuzz target's corpus and past crashes (`fuzz/corpus/c_vm_records`,
//! `fuzz/artifacts/c_vm_records`) through its entry point, `xenserver::fuzzing`.

use std::path::Path;

#[test]
fn every_corpus_file_and_past_crash_replays() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut replayed = 0;
    for kind in ["corpus", "artifacts"] {
        let dir = fuzz.join(kind).join("c_vm_records");
        for file in std::fs::read_dir(&dir).unwrap().flatten() {
            xenserver::fuzzing::c_vm_records(&std::fs::read(file.path()).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 5, "only {replayed} inputs");
}
