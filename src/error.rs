//! Library error type: every failure names what failed (file, line, column, layer, partition) and why.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One error of the library. `Display` gives the whole message on one line; [`Error::chain`] lists causes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read, written or parsed. `line`/`column` are 1-based when known.
    #[error("{path}{}: {message}", fmt_pos(*.line, *.column))]
    File {
        path: PathBuf,
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
    /// An operating system error on a path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The user asked for something that does not exist or does not fit (unknown column, bad argument...).
    #[error("{0}")]
    Value(String),
    /// A task failed: which layer, which partition, and the cause.
    #[error("task ('{layer}', {index}) failed: {source}")]
    Task {
        layer: String,
        index: u32,
        #[source]
        source: Box<Error>,
    },
    /// The job or the data it depends on was cancelled.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// An error from polars, with what we were doing when it happened.
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    /// An error from the netCDF library, with what we were doing.
    #[error("{context}: {message}")]
    NetCdf { context: String, message: String },
    /// The memory guard refused a computation, or a memory limit was hit.
    #[error("{0}")]
    Memory(String),
}

fn fmt_pos(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

impl Error {
    /// A value error with a message.
    pub fn value(msg: impl Into<String>) -> Self {
        Error::Value(msg.into())
    }

    /// An error about a file, without position.
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::File {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An io error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Wrap a polars error with context.
    pub fn polars(context: impl Into<String>, source: polars::error::PolarsError) -> Self {
        Error::Polars {
            context: context.into(),
            source,
        }
    }

    /// True when this error (or its root) is a cancellation.
    pub fn is_cancelled(&self) -> bool {
        match self {
            Error::Cancelled(_) => true,
            Error::Task { source, .. } => source.is_cancelled(),
            _ => false,
        }
    }

    /// The messages of this error and each of its causes, outermost first.
    pub fn chain(&self) -> Vec<String> {
        let mut out = vec![self.to_string()];
        let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(e) = cur {
            out.push(e.to_string());
            cur = e.source();
        }
        out
    }

    /// The innermost cause's message (what really went wrong).
    pub fn root_cause(&self) -> String {
        self.chain().pop().unwrap_or_default()
    }
}
