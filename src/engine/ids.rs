//! Typed ids: every id is a newtype made by one macro, so a job id is never passed where a layer id belongs.

use std::sync::atomic::{AtomicU32, Ordering};

macro_rules! define_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u32);

        impl $name {
            /// The raw index, for indexing dense tables.
            #[inline]
            pub fn idx(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

define_id!(
    /// A job (one compute, persist or export submission), unique for the process.
    JobId
);
define_id!(
    /// A layer of the high-level graph, unique for the process.
    LayerId
);
define_id!(
    /// A task inside one job's materialized graph (dense index into the job's tables).
    TaskId
);
define_id!(
    /// A worker thread of the engine pool.
    WorkerId
);

static NEXT_LAYER: AtomicU32 = AtomicU32::new(1);
static NEXT_JOB: AtomicU32 = AtomicU32::new(1);

impl LayerId {
    /// A fresh process-unique layer id.
    pub fn fresh() -> Self {
        LayerId(NEXT_LAYER.fetch_add(1, Ordering::Relaxed))
    }
}

impl JobId {
    /// A fresh process-unique job id.
    pub fn fresh() -> Self {
        JobId(NEXT_JOB.fetch_add(1, Ordering::Relaxed))
    }
}

/// A task key as Dask names it: `(layer-name, index)`. Stored as ids; the name lives on the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub layer: LayerId,
    pub index: u32,
}

impl Key {
    pub fn new(layer: LayerId, index: u32) -> Self {
        Key { layer, index }
    }
}
