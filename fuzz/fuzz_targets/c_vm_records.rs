#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenserver::fuzzing::c_vm_records(data));
