#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenapi::fuzzing::json_vm_records(data));
