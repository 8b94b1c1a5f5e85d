//! Dtype inference from a sample of text fields, as pandas' C parser does for `read_csv` (and Dask applies the
//! sample's dtypes to every partition). The same value rules are used by the diagnostic pass, so a value that
//! the fast reader rejects is explained with the rule that inferred the column.

use polars::prelude::DataType;

/// Fields pandas reads as missing by default (`na_values`); passed to polars as null values too.
pub const NA_VALUES: &[&str] = &[
    "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "#N/A", "<NA>",
    "#NA",
];

/// True when a field is missing (pandas NaN).
pub fn is_na(field: &str) -> bool {
    // Every spelling is at most 4 bytes: most fields are rejected by their length alone.
    field.len() <= 4 && NA_VALUES.contains(&field)
}

/// An integer as polars' reader parses it: optional sign, digits (leading zeros allowed: `070014`).
pub fn is_int(field: &str) -> bool {
    field.parse::<i64>().is_ok()
}

/// A float as polars' reader parses it (`1.5`, `-2e3`, `.5`, `inf`).
pub fn is_float(field: &str) -> bool {
    let b = field.as_bytes();
    // Rust accepts "infinity"/"nan" spellings that polars does not; pandas' NA list already covers nan.
    !b.is_empty() && field.parse::<f64>().is_ok()
}

/// A boolean as pandas (True/TRUE/true) and polars (any case) read it.
pub fn is_bool(field: &str) -> bool {
    field.eq_ignore_ascii_case("true") || field.eq_ignore_ascii_case("false")
}

/// What one column's sample values allow, most specific first.
#[derive(Debug, Clone, Copy)]
pub struct ColumnGuess {
    all_int: bool,
    all_float: bool,
    all_bool: bool,
    any_na: bool,
    any_value: bool,
}

impl Default for ColumnGuess {
    fn default() -> Self {
        Self {
            all_int: true,
            all_float: true,
            all_bool: true,
            any_na: false,
            any_value: false,
        }
    }
}

impl ColumnGuess {
    /// Account for one field of the sample.
    pub fn add(&mut self, field: &str) {
        if is_na(field) {
            self.any_na = true;
            return;
        }
        self.any_value = true;
        if self.all_int && !is_int(field) {
            self.all_int = false;
        }
        if self.all_float && !is_float(field) {
            self.all_float = false;
        }
        if self.all_bool && !is_bool(field) {
            self.all_bool = false;
        }
    }

    /// pandas' choice: all missing → float64; ints → int64 (float64 if any missing); floats → float64;
    /// booleans → bool (object if any missing); otherwise object (String).
    pub fn dtype(&self) -> DataType {
        if !self.any_value {
            DataType::Float64
        } else if self.all_int && !self.any_na {
            DataType::Int64
        } else if self.all_int || self.all_float {
            DataType::Float64
        } else if self.all_bool && !self.any_na {
            DataType::Boolean
        } else {
            DataType::String
        }
    }
}

/// Whether `field` (not missing) fits `dtype` as the fast reader would parse it. `None`: cannot tell.
pub fn fits(field: &str, dtype: &DataType) -> Option<bool> {
    if is_na(field) {
        return Some(true);
    }
    Some(match dtype {
        DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8 => is_int(field),
        DataType::UInt64 | DataType::UInt32 | DataType::UInt16 | DataType::UInt8 => {
            field.parse::<u64>().is_ok()
        }
        DataType::Float64 | DataType::Float32 => is_float(field),
        DataType::Boolean => is_bool(field),
        DataType::String => true,
        _ => return None,
    })
}

/// The pandas name of a dtype, for messages (`int64`, `float64`, `bool`, `object`).
pub fn pandas_dtype_name(dtype: &DataType) -> String {
    match dtype {
        DataType::Int64 => "int64".into(),
        DataType::Int32 => "int32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Float32 => "float32".into(),
        DataType::Boolean => "bool".into(),
        DataType::String => "object".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_na_spelling_passes_the_length_check() {
        assert!(NA_VALUES.iter().all(|s| s.len() <= 4 && is_na(s)));
        assert!(!is_na("NAN!") && !is_na("nothing") && !is_na("0"));
    }

    fn guess(values: &[&str]) -> DataType {
        let mut g = ColumnGuess::default();
        values.iter().for_each(|v| g.add(v));
        g.dtype()
    }

    #[test]
    fn pandas_rules() {
        assert_eq!(guess(&["1", "-2", "070014"]), DataType::Int64);
        assert_eq!(guess(&["1", ""]), DataType::Float64);
        assert_eq!(guess(&["1", "2.5"]), DataType::Float64);
        assert_eq!(guess(&["", "NA"]), DataType::Float64);
        assert_eq!(guess(&["True", "false"]), DataType::Boolean);
        assert_eq!(guess(&["True", ""]), DataType::String);
        assert_eq!(guess(&["Y", "N", ""]), DataType::String);
        assert_eq!(guess(&["1", "x"]), DataType::String);
        assert_eq!(fits("abc", &DataType::Int64), Some(false));
        assert_eq!(fits("", &DataType::Int64), Some(true));
        assert_eq!(fits("1e3", &DataType::Float64), Some(true));
    }
}
