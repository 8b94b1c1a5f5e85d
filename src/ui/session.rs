//! The real language session as the workbench's [`Console`].

use super::{describe_obj, Console, ConsoleEntry, ConsoleError, DatasetInfo};
use crate::lang::{Session, StatementResult};

fn entry(r: StatementResult) -> ConsoleEntry {
    ConsoleEntry {
        line: r.line as usize,
        source: r.source,
        output: r.output,
        error: r.error.map(|e| ConsoleError {
            message: e.message,
            chain: e.chain,
            line: e.line as usize,
            col: e.col as usize,
            rendered: e.rendered,
        }),
    }
}

impl Console for Session {
    fn run(&mut self, src: &str, filename: &str) -> Vec<ConsoleEntry> {
        self.run_source(src, filename)
            .into_iter()
            .map(entry)
            .collect()
    }
    fn poll(&mut self) -> Vec<ConsoleEntry> {
        Session::poll(self).into_iter().map(entry).collect()
    }
    fn names(&mut self) -> Vec<DatasetInfo> {
        let names = Session::names(self);
        let cx = self.ctx();
        names.iter().map(|(k, o)| describe_obj(k, o, cx)).collect()
    }
    fn complete(&mut self, line: &str, cursor: usize) -> Vec<String> {
        Session::complete(self, line, cursor)
    }
}
