//! Scenario files: the format ([`model`], [`values`]) and loading with
//! errors that name the file, line and column ([`load`]).

pub mod load;
mod located;
pub mod model;
pub mod values;

pub(crate) use load::yaml_error;
pub use load::{load_dir, load_file, LoadError, LoadedScenario};
pub use located::{write_at, Located};
pub use model::*;
pub use values::Version;
