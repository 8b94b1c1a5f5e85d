//! The log/errors store: every error with its full chain, deduplicated (per layer for task failures,
//! per first line otherwise) with a repeat count; and the memory history behind the sparkline.

use std::collections::VecDeque;

use crate::engine::LogLevel;

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub level: LogLevel,
    /// What makes two entries the same: `layer:<name>` for task failures, else the first line.
    pub key: String,
    /// The outermost message.
    pub message: String,
    /// Causes, outermost first (includes `message`).
    pub chain: Vec<String>,
    pub count: u32,
}

#[derive(Debug, Clone, Default)]
pub struct LogStore {
    pub entries: Vec<LogEntry>,
}

impl LogStore {
    /// Add an entry, or bump the count of the entry with the same key (and keep the newest text).
    pub fn push(&mut self, level: LogLevel, key: Option<String>, chain: Vec<String>) {
        let message = chain.first().cloned().unwrap_or_default();
        let key = key.unwrap_or_else(|| message.lines().next().unwrap_or("").to_string());
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            e.count += 1;
            e.message = message;
            e.chain = chain;
            e.level = e.level.max(level);
            return;
        }
        self.entries.push(LogEntry {
            level,
            key,
            message,
            chain,
            count: 1,
        });
    }

    /// An engine `Log` event: errors carry their chain one cause per line.
    pub fn push_event(&mut self, level: LogLevel, message: &str) {
        let chain: Vec<String> = message.lines().map(str::to_string).collect();
        self.push(level, None, chain);
    }

    pub fn errors(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.level == LogLevel::Error)
            .count()
    }
}

/// Recent memory samples (seconds since the engine started, process bytes, managed bytes).
#[derive(Debug, Clone, Default)]
pub struct MemHistory {
    pub samples: VecDeque<(f64, u64, u64)>,
}

impl MemHistory {
    /// Keep ten minutes at one sample per second.
    pub const CAP: usize = 600;

    pub fn push(&mut self, t: f64, process: u64, managed: u64) {
        if self
            .samples
            .back()
            .is_some_and(|(last, _, _)| t - last < 0.5)
        {
            return;
        }
        if self.samples.len() == Self::CAP {
            self.samples.pop_front();
        }
        self.samples.push_back((t, process, managed));
    }

    /// The last `n` process samples, oldest first.
    pub fn process_tail(&self, n: usize) -> Vec<u64> {
        let skip = self.samples.len().saturating_sub(n);
        self.samples.iter().skip(skip).map(|s| s.1).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups_by_key_and_keeps_newest() {
        let mut l = LogStore::default();
        l.push(
            LogLevel::Error,
            Some("layer:read-csv".into()),
            vec!["task 1 failed".into()],
        );
        l.push(
            LogLevel::Error,
            Some("layer:read-csv".into()),
            vec!["task 7 failed".into(), "bad".into()],
        );
        l.push_event(LogLevel::Warn, "spilling\nmore");
        l.push_event(LogLevel::Info, "spilling\nagain");
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[0].count, 2);
        assert_eq!(l.entries[0].chain, vec!["task 7 failed", "bad"]);
        assert_eq!(l.entries[1].level, LogLevel::Warn);
        assert_eq!(l.errors(), 1);
        let mut m = MemHistory::default();
        for i in 0..700 {
            m.push(i as f64, i, 0);
        }
        m.push(699.2, 1, 1);
        assert_eq!(m.samples.len(), MemHistory::CAP);
        assert_eq!(m.process_tail(2), vec![698, 699]);
    }
}
