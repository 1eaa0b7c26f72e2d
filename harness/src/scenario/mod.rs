//! Scenario files: the format ([`model`], [`values`]) and loading with
//! errors that name the file, line and column ([`load`]).

mod located;
pub mod load;
pub mod model;
pub mod values;

pub use load::{load_dir, load_file, LoadError, LoadedScenario};
pub use model::*;
pub use located::Located;
pub use values::Version;
