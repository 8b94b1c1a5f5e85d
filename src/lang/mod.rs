//! The session language: a subset of Python with Dask's names, parsed, evaluated and printed.

pub mod object;
pub use object::{
    Args, BinOp, BuiltinFn, Collection, Native, Obj, Output, SessionCtx, Table, UnaryOp,
};
