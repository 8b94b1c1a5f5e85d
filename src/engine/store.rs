//! Results held by the engine behind futures: one entry per persisted key, reference-counted by the
//! `Futures` handles that hold it. Dropping the last handle releases the data.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use super::ids::{JobId, Key, LayerId, TaskId};
use super::spill::SpillFile;
use super::value::Value;
use crate::error::Error;

/// The state of one stored key (Dask's future statuses).
pub enum EntryState {
    /// Being computed by `job`; `waiters` are tasks of other jobs that need the value.
    Pending {
        job: JobId,
        waiters: Vec<(JobId, TaskId)>,
    },
    Memory {
        value: Arc<Value>,
        bytes: u64,
    },
    /// Moved to disk; `bytes` is what it holds in memory once loaded.
    Spilled {
        file: Arc<SpillFile>,
        bytes: u64,
    },
    Error(Arc<Error>),
    Cancelled,
}

pub struct Entry {
    pub state: EntryState,
    /// Number of live `Futures` handles naming this key.
    pub refs: u32,
    pub layer_name: Arc<str>,
    /// Last use (the state's clock), for least-recently-used spilling.
    pub tick: u64,
}

/// Every stored key. Lives inside the scheduler state, under its lock.
#[derive(Default)]
pub struct Store {
    pub entries: HashMap<Key, Entry>,
    /// Entries per layer, so materialization only looks keys up for layers that have any.
    pub per_layer: HashMap<LayerId, u32>,
    /// Bytes of entries in memory.
    pub bytes: u64,
    /// Bytes (in memory terms) of entries spilled to disk.
    pub spilled: u64,
    /// Bumped by restart: handles from an older generation release nothing.
    pub generation: u64,
}

impl Store {
    pub fn contains(&self, key: Key) -> bool {
        self.per_layer.contains_key(&key.layer) && self.entries.contains_key(&key)
    }

    /// Add a reference to `key`, creating a pending entry for `job` if absent.
    pub fn acquire(&mut self, key: Key, layer_name: &Arc<str>, job: JobId) {
        match self.entries.get_mut(&key) {
            Some(e) => e.refs += 1,
            None => {
                self.entries.insert(
                    key,
                    Entry {
                        state: EntryState::Pending {
                            job,
                            waiters: Vec::new(),
                        },
                        refs: 1,
                        layer_name: layer_name.clone(),
                        tick: 0,
                    },
                );
                *self.per_layer.entry(key.layer).or_default() += 1;
            }
        }
    }

    /// Drop one reference; the entry (and its data) goes when none remain.
    pub fn release(&mut self, key: Key) {
        let gone = match self.entries.get_mut(&key) {
            Some(e) => {
                e.refs = e.refs.saturating_sub(1);
                e.refs == 0
            }
            None => false,
        };
        if gone {
            self.remove(key);
        }
    }

    pub fn remove(&mut self, key: Key) -> Option<Entry> {
        let e = self.entries.remove(&key)?;
        self.forget_bytes(&e.state);
        if let Some(c) = self.per_layer.get_mut(&key.layer) {
            *c -= 1;
            if *c == 0 {
                self.per_layer.remove(&key.layer);
            }
        }
        Some(e)
    }

    /// Store a computed value; returns the tasks of other jobs waiting for it.
    pub fn fulfil(&mut self, key: Key, value: &Arc<Value>, bytes: u64) -> Vec<(JobId, TaskId)> {
        let Some(e) = self.entries.get_mut(&key) else {
            return Vec::new();
        };
        let old = std::mem::replace(
            &mut e.state,
            EntryState::Memory {
                value: value.clone(),
                bytes,
            },
        );
        self.bytes += bytes;
        self.forget_bytes(&old);
        match old {
            EntryState::Pending { waiters, .. } => waiters,
            _ => Vec::new(),
        }
    }

    /// Mark a key failed or cancelled; returns its waiters.
    pub fn fail(&mut self, key: Key, state: EntryState) -> Vec<(JobId, TaskId)> {
        let Some(e) = self.entries.get_mut(&key) else {
            return Vec::new();
        };
        let old = std::mem::replace(&mut e.state, state);
        self.forget_bytes(&old);
        match old {
            EntryState::Pending { waiters, .. } => waiters,
            _ => Vec::new(),
        }
    }

    /// Take a state leaving an entry off the byte counts.
    fn forget_bytes(&mut self, old: &EntryState) {
        match old {
            EntryState::Memory { bytes, .. } => self.bytes -= bytes,
            EntryState::Spilled { bytes, .. } => self.spilled -= bytes,
            _ => {}
        }
    }

    /// Forget everything (restart).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.per_layer.clear();
        self.bytes = 0;
        self.spilled = 0;
        self.generation += 1;
    }
}

/// Something that can release store references when a handle drops (the engine's shared state).
pub trait Releaser: Send + Sync {
    fn release(&self, keys: &[Key], generation: u64);
}

/// A set of futures (one per key) that keeps its results alive while any handle holds it.
pub struct Futures {
    pub keys: Vec<Key>,
    pub layer_name: Arc<str>,
    pub(crate) generation: u64,
    pub(crate) owner: Weak<dyn Releaser>,
}

impl std::fmt::Debug for Futures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Futures({}, {} keys)", self.layer_name, self.keys.len())
    }
}

impl Drop for Futures {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            owner.release(&self.keys, self.generation);
        }
    }
}
