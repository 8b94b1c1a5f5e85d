//! The session language: a subset of Python with Dask's names, parsed, evaluated and printed.
//!
//! Layout: [`syntax`] lowers rustpython's AST to a small positioned AST (rejecting what is not
//! supported); `interp` evaluates it with [`pyops`] for plain values and [`object::Native`] for the
//! rest; `builtins`, `verbs`, `client` and `job` are the functions; [`session`] is the public face
//! (`Session`, `run_script`); [`render`] prints tables as pandas does.

mod access;
mod builtins;
mod client;
mod complete;
pub mod data;
pub mod errors;
mod help;
mod interp;
pub mod job;
pub mod modules;
pub mod object;
mod plain_methods;
pub mod pyops;
pub mod render;
pub mod session;
mod shell;
pub mod syntax;
pub mod verbs;

pub use builtins::{format_bytes_u64, parse_bytes_str, Builtins};
pub use client::ClientObj;
pub use errors::{LangError, Pos};
pub use job::JobObj;
pub use object::{
    Args, BinOp, BuiltinFn, Collection, Native, Obj, Output, SessionCtx, Table, UnaryOp,
};
pub use render::render_table;
pub use session::{run_script, run_session, Session, StatementResult};
