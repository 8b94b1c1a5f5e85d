//! The workbench's view of the language session: a small trait the real `lang::Session` implements
//! (wired by the lead), so the UI can be developed and tested against [`FakeConsole`].

use crate::lang::object::Output;

/// An error of one statement, as the session reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleError {
    pub message: String,
    /// Causes, outermost first.
    pub chain: Vec<String>,
    pub line: usize,
    pub col: usize,
    /// The error with a caret under the source, when the session renders one.
    pub rendered: String,
}

/// The result of one statement (or of a background compute finishing).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleEntry {
    pub line: usize,
    pub source: String,
    pub output: Option<Output>,
    pub error: Option<ConsoleError>,
}

/// What the datasets pane shows about one named handle. Built by [`describe_obj`] or by hand in tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetInfo {
    pub name: String,
    /// The type name (`DataFrame`, `Dataset`, `DataArray`, `int`...).
    pub kind: String,
    pub npartitions: Option<u64>,
    /// The chunk grid as text (`((100, 100), (50,))`).
    pub chunks: Option<String>,
    /// Frame columns with their dtypes (dtype empty when unknown).
    pub columns: Vec<(String, String)>,
    /// Array variables: coordinates first, then data variables (a DataArray is its own variable).
    pub variables: Vec<Variable>,
    /// Array/dataset dimensions with sizes (0 when unknown).
    pub dims: Vec<(String, u64)>,
    pub attrs: Vec<(String, String)>,
    /// Estimated bytes of the computed result.
    pub nbytes: Option<u64>,
    /// Bytes the engine holds for it now (persisted partitions in memory).
    pub held: Option<u64>,
    pub persisted: bool,
    /// The output layer's key name, to match memory rows to handles.
    pub layer: Option<String>,
    /// One line for plain values (`42`, `'abc'`).
    pub summary: String,
}

/// A 2-D slice of an array for the heatmap: row-major values (NaN for missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f64>,
    /// Dimension names along rows (drawn top to bottom) and columns.
    pub y: String,
    pub x: String,
    /// Where the slice was taken (`time=0`), shown in the title.
    pub at: String,
}

impl Grid {
    /// (min, max) of the finite values, if any.
    pub fn range(&self) -> Option<(f64, f64)> {
        let mut it = self.values.iter().copied().filter(|v| v.is_finite());
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.values
            .get(r * self.cols + c)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// One variable of an array dataset, as `ncdump -h` lists it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variable {
    pub name: String,
    pub dtype: String,
    pub dims: Vec<String>,
    pub is_coord: bool,
}

/// What the workbench needs from the language session.
///
/// The real `Session` implements this by converting its `StatementResult`s into [`ConsoleEntry`]s
/// and its `names()` through [`crate::ui::describe::describe_obj`].
pub trait Console {
    /// Run source text (one or more statements); returns at once (computes become jobs).
    fn run(&mut self, src: &str, filename: &str) -> Vec<ConsoleEntry>;
    /// Results of background computes that finished since the last call.
    fn poll(&mut self) -> Vec<ConsoleEntry>;
    /// Every named handle, described for the datasets pane.
    fn names(&mut self) -> Vec<DatasetInfo>;
    /// Completion candidates for `line` with the cursor at byte `cursor` (whole replacement words).
    fn complete(&mut self, line: &str, cursor: usize) -> Vec<String>;
    /// A 2-D slice of `name` (variable `var` of a dataset, or the array itself) for the heatmap:
    /// the last two dimensions at index 0 of the others, at most `max_rows` x `max_cols` values
    /// (strided), rows in drawing order (the real session puts the largest y on top, as xarray's
    /// `.plot()` does). The error says why not (not an array, fewer than two dimensions...).
    fn slice2d(
        &mut self,
        _name: &str,
        _var: Option<&str>,
        _max_rows: usize,
        _max_cols: usize,
    ) -> Result<Grid, String> {
        Err("heatmaps are not available in this session".into())
    }
}

/// A scripted console for tests, benches and demos: echoes statements, answers completions from
/// a fixed word list, and returns errors for statements starting with `raise`.
#[derive(Debug, Default, Clone)]
pub struct FakeConsole {
    /// What `slice2d` returns.
    pub grid: Option<Grid>,
    pub ran: Vec<String>,
    pub names: Vec<DatasetInfo>,
    pub words: Vec<String>,
    pub pending: Vec<ConsoleEntry>,
}

impl Console for FakeConsole {
    fn run(&mut self, src: &str, _filename: &str) -> Vec<ConsoleEntry> {
        self.ran.push(src.to_string());
        let (output, error) = match src.strip_prefix("raise ") {
            Some(msg) => (
                None,
                Some(ConsoleError {
                    message: msg.to_string(),
                    chain: vec![msg.to_string(), "caused by: fake".into()],
                    line: 1,
                    col: 1,
                    rendered: String::new(),
                }),
            ),
            None => (Some(Output::Text(src.to_string())), None),
        };
        vec![ConsoleEntry {
            line: self.ran.len(),
            source: src.to_string(),
            output,
            error,
        }]
    }
    fn poll(&mut self) -> Vec<ConsoleEntry> {
        std::mem::take(&mut self.pending)
    }
    fn names(&mut self) -> Vec<DatasetInfo> {
        self.names.clone()
    }
    fn slice2d(
        &mut self,
        name: &str,
        _var: Option<&str>,
        _r: usize,
        _c: usize,
    ) -> Result<Grid, String> {
        self.grid
            .clone()
            .ok_or_else(|| format!("{name} is not an array"))
    }
    fn complete(&mut self, line: &str, cursor: usize) -> Vec<String> {
        let word = crate::ui::state::input::word_before(line, cursor);
        self.words
            .iter()
            .filter(|w| w.starts_with(word))
            .cloned()
            .collect()
    }
}
