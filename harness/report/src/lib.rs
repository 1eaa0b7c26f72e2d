//! What a run of the suite found, as data, and its renderings. The JSON form
//! of [`RunReport`] is the source of truth; every other rendering is derived
//! from it, so `lastwill report merge` can rebuild them from JSON alone.
#![forbid(unsafe_code)]

pub mod result;

pub use result::*;
