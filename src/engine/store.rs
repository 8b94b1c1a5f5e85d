//! Results held by the engine behind futures, with reference counts.

use super::ids::Key;

/// A set of futures (one per key) that keeps its results alive while any handle holds it.
#[derive(Debug)]
pub struct Futures {
    pub keys: Vec<Key>,
}
