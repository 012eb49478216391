//! The checked-in generated files must be exactly what the generator renders from `model/`.

use xenapi_gen::model::Model;
use xenapi_gen::output;

#[test]
fn generated_files_are_current() {
    let root = output::default_root();
    let model = Model::load(&root.join("model")).expect("model loads");
    let files = output::render_all(&model).expect("model renders");
    let differences = output::compare(&root, &files).expect("tree readable");
    let list: Vec<String> = differences.iter().map(ToString::to_string).collect();
    assert!(
        differences.is_empty(),
        "generated files are not current; run `cargo run -p xenapi-gen`:\n{}",
        list.join("\n")
    );
}
