//! Small notifications the engine sends to subscribers (the UI, `tessera run`'s progress, benchmarks).
//! Payloads never cross the channel: a subscriber that wants details pulls [`super::snapshot`].

use std::sync::Arc;

use super::ids::{JobId, LayerId, TaskId, WorkerId};

/// Kinds of job the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    Compute,
    Persist,
    Export,
    Shell,
    Download,
    Other,
}

impl JobKind {
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Compute => "compute",
            JobKind::Persist => "persist",
            JobKind::Export => "export",
            JobKind::Shell => "shell",
            JobKind::Download => "download",
            JobKind::Other => "job",
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Pending,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Done | JobStatus::Failed | JobStatus::Cancelled
        )
    }
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// One notification. Cheap to clone; most variants are `Copy`-sized.
#[derive(Debug, Clone)]
pub enum Event {
    JobSubmitted {
        job: JobId,
        kind: JobKind,
    },
    TaskStarted {
        job: JobId,
        task: TaskId,
        layer: LayerId,
        worker: WorkerId,
    },
    TaskFinished {
        job: JobId,
        task: TaskId,
        layer: LayerId,
        worker: WorkerId,
        nbytes: u64,
    },
    TaskFailed {
        job: JobId,
        task: TaskId,
        layer: LayerId,
    },
    JobProgress {
        job: JobId,
        done: u64,
        total: u64,
    },
    JobFinished {
        job: JobId,
        status: JobStatus,
    },
    /// Something for the log pane (errors carry their whole chain in the message, one cause per line).
    Log {
        level: LogLevel,
        message: Arc<str>,
    },
    /// Memory figures changed noticeably (spill, pause, release).
    Memory,
}
