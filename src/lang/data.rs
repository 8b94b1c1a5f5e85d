//! The data modules' builtins, registered in every session.
//!
//! Each data module exports `pub fn builtins() -> Vec<(&'static str, BuiltinFn)>`; list them here so
//! every session gets them (`read_csv`, `read_parquet`, `open_dataset`, `open_mfdataset`...). Later
//! entries replace earlier ones of the same name, and data builtins replace the language's own.

use super::object::BuiltinFn;

/// Every data module's builtins, merged into [`super::Builtins::standard`].
pub fn data_builtins() -> Vec<(&'static str, BuiltinFn)> {
    let mut all: Vec<(&'static str, BuiltinFn)> = Vec::new();
    all.extend(crate::frame::builtins());
    all.extend(crate::array::builtins());
    all
}
