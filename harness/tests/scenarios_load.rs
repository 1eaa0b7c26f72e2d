//! Every scenario shipped in `scenarios/` loads without error, and ids are
//! unique: a broken file is caught here, with its file, line and column.

use std::path::Path;

#[test]
fn every_shipped_scenario_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let (loaded, errors) = lastwill::scenario::load_dir(&root);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(shown.is_empty(), "scenario errors:\n{}", shown.join("\n"));
    println!("{} scenarios loaded", loaded.len());
}
