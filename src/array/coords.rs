//! Index coordinates (one per dimension that has a coordinate variable) and label lookup for `sel`:
//! numbers (exact or `method="nearest"`), slices (inclusive, as pandas), and partial date strings on
//! time coordinates (`"2015-01"` selects the whole month, in the coordinate's calendar).

use std::sync::Arc;

use crate::engine::value::fmt_float;
use crate::error::{Error, Result};
use crate::io::netcdf::time::{parse_date, period_end, Resolution};
use crate::io::netcdf::{Attrs, RawType, TimeUnits};

#[derive(Debug, Clone, PartialEq)]
pub struct Coord {
    /// The coordinate's (and its dimension's) name.
    pub name: String,
    /// Values in the file's units (time stays numeric, in `time`'s units).
    pub values: Arc<Vec<f64>>,
    pub attrs: Attrs,
    /// CF time decoding, when this is a time coordinate.
    pub time: Option<TimeUnits>,
    /// Stored type, for writing back.
    pub dtype: RawType,
}

/// A label for `sel`.
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    Num(f64),
    Str(String),
    Slice(Option<Box<Label>>, Option<Box<Label>>),
}

/// Positions a label selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    Index(usize),
    Range(usize, usize),
}

impl Coord {
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// numpy dtype shown in reprs (`object` for cftime dates, `datetime64[ns]` for standard ones).
    pub fn dtype_name(&self) -> &'static str {
        match &self.time {
            Some(t) if t.calendar.is_numpy() => "datetime64[ns]",
            Some(_) => "object",
            None => self.dtype.name(),
        }
    }
    /// Label `i` as xarray shows it.
    pub fn label(&self, i: usize) -> String {
        let v = self.values[i];
        match &self.time {
            Some(t) => t.decode(v).format(t.calendar.is_numpy()),
            None => fmt_float(v),
        }
    }
    /// The coordinate restricted to positions `start, start+step, ...` (`len` of them).
    pub fn take(&self, start: usize, len: usize, step: usize) -> Coord {
        let values = (0..len).map(|k| self.values[start + k * step]).collect();
        Coord {
            values: Arc::new(values),
            ..self.clone()
        }
    }
    fn ascending(&self) -> bool {
        self.values.len() < 2 || self.values[0] <= self.values[self.values.len() - 1]
    }
    fn range_text(&self) -> String {
        if self.is_empty() {
            return "is empty".into();
        }
        format!(
            "ranges from {} to {}",
            self.label(0),
            self.label(self.len() - 1)
        )
    }

    /// A label as a value range `[lo, hi]` (inclusive) or `[lo, hi)` for partial dates.
    fn bounds(&self, l: &Label) -> Result<(f64, f64, bool)> {
        match (l, &self.time) {
            (Label::Num(x), _) => Ok((*x, *x, true)),
            (Label::Str(s), Some(t)) => {
                let (d, res) = parse_date(s, t.calendar)?;
                let lo = t.encode(&d);
                if res == Resolution::Second {
                    Ok((lo, lo, true))
                } else {
                    Ok((lo, t.encode(&period_end(&d, res, t.calendar)), false))
                }
            }
            (Label::Str(s), None) => Err(Error::value(format!(
                "cannot select '{s}' on '{}': it is not a time coordinate",
                self.name
            ))),
            (Label::Slice(..), _) => Err(Error::value("nested slice in sel")),
        }
    }

    /// Positions selected by `label` (`nearest` for `method="nearest"`).
    pub fn locate(&self, label: &Label, nearest: bool) -> Result<Pos> {
        let v = &self.values;
        if let Label::Slice(a, b) = label {
            let asc = self.ascending();
            let lo = a.as_ref().map(|l| self.bounds(l)).transpose()?;
            let hi = b.as_ref().map(|l| self.bounds(l)).transpose()?;
            let inside = |x: f64| {
                let after_a = match lo {
                    None => true,
                    Some((l, _, _)) if asc => x >= l,
                    Some((_, h, incl)) => {
                        if incl {
                            x <= h
                        } else {
                            x < h
                        }
                    }
                };
                let before_b = match hi {
                    None => true,
                    Some((_, h, incl)) if asc => {
                        if incl {
                            x <= h
                        } else {
                            x < h
                        }
                    }
                    Some((l, _, _)) => x >= l,
                };
                after_a && before_b
            };
            let first = v.iter().position(|&x| inside(x));
            let last = v.iter().rposition(|&x| inside(x));
            return match (first, last) {
                (Some(f), Some(l)) => Ok(Pos::Range(f, l + 1)),
                _ => Err(Error::value(format!(
                    "sel: {} selects nothing on '{}', which {}",
                    fmt_label(label),
                    self.name,
                    self.range_text()
                ))),
            };
        }
        let (lo, hi, incl) = self.bounds(label)?;
        if lo != hi || !incl {
            // A partial date: every value in its period (the dimension is kept).
            let f = v.iter().position(|&x| x >= lo && x < hi);
            let l = v.iter().rposition(|&x| x >= lo && x < hi);
            return match (f, l) {
                (Some(f), Some(l)) => Ok(Pos::Range(f, l + 1)),
                _ => Err(Error::value(format!(
                    "sel: {} is not in '{}', which {}",
                    fmt_label(label),
                    self.name,
                    self.range_text()
                ))),
            };
        }
        if let Some(i) = v.iter().position(|&x| x == lo) {
            return Ok(Pos::Index(i));
        }
        let best = v
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1 - lo).abs().total_cmp(&(b.1 - lo).abs()))
            .map(|(i, _)| i);
        let (vmin, vmax) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let step = if v.len() > 1 {
            (vmax - vmin) / (v.len() - 1) as f64
        } else {
            0.0
        };
        match best {
            Some(i) if nearest && lo >= vmin - step && lo <= vmax + step => Ok(Pos::Index(i)),
            Some(i) if !nearest => Err(Error::value(format!(
                "sel: {} is not a value of '{}' (nearest is {}); use method=\"nearest\"",
                fmt_label(label),
                self.name,
                self.label(i)
            ))),
            _ => Err(Error::value(format!(
                "sel: {} is outside '{}', which {}",
                fmt_label(label),
                self.name,
                self.range_text()
            ))),
        }
    }
}

fn fmt_label(l: &Label) -> String {
    match l {
        Label::Num(x) => fmt_float(*x),
        Label::Str(s) => format!("'{s}'"),
        Label::Slice(a, b) => {
            let f =
                |x: &Option<Box<Label>>| x.as_ref().map_or("None".to_string(), |l| fmt_label(l));
            format!("slice({}, {})", f(a), f(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lat(desc: bool) -> Coord {
        let mut v: Vec<f64> = (0..6).map(|j| -75.0 + 30.0 * j as f64).collect();
        if desc {
            v.reverse();
        }
        Coord {
            name: "lat".into(),
            values: Arc::new(v),
            attrs: vec![],
            time: None,
            dtype: RawType::F64,
        }
    }
    fn sl(a: f64, b: f64) -> Label {
        Label::Slice(Some(Box::new(Label::Num(a))), Some(Box::new(Label::Num(b))))
    }

    #[test]
    fn slices_are_inclusive_and_follow_the_order() {
        assert_eq!(
            lat(false).locate(&sl(-45.0, 15.0), false).unwrap(),
            Pos::Range(1, 4)
        );
        // Descending coordinates take slices from high to low, as pandas does.
        assert_eq!(
            lat(true).locate(&sl(15.0, -45.0), false).unwrap(),
            Pos::Range(2, 5)
        );
        assert!(lat(false).locate(&sl(80.0, 85.0), false).is_err());
    }

    #[test]
    fn exact_and_nearest_labels() {
        let c = lat(false);
        assert_eq!(c.locate(&Label::Num(15.0), false).unwrap(), Pos::Index(3));
        let e = c.locate(&Label::Num(20.0), false).err().unwrap();
        assert!(e.to_string().contains("nearest is 15.0"), "{e}");
        assert_eq!(c.locate(&Label::Num(20.0), true).unwrap(), Pos::Index(3));
        assert!(c.locate(&Label::Num(500.0), true).is_err());
    }

    #[test]
    fn time_strings_select_periods_in_the_calendar() {
        let t = TimeUnits::parse("days since 2000-01-01", "360_day").unwrap();
        let values: Vec<f64> = (0..720).map(|d| d as f64 + 0.5).collect();
        let c = Coord {
            name: "time".into(),
            values: Arc::new(values),
            attrs: vec![],
            time: Some(t),
            dtype: RawType::F64,
        };
        assert_eq!(
            c.locate(&Label::Str("2000-02".into()), false).unwrap(),
            Pos::Range(30, 60)
        );
        assert_eq!(
            c.locate(&Label::Str("2001".into()), false).unwrap(),
            Pos::Range(360, 720)
        );
        assert_eq!(
            c.locate(&Label::Str("2000-02-30 12:00:00".into()), false)
                .unwrap(),
            Pos::Index(59)
        );
        assert_eq!(c.label(59), "2000-02-30 12:00:00");
    }
}
