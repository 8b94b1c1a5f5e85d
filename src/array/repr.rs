//! Text forms as xarray and Dask show them: sizes, value previews, coordinate and variable lines.

use super::coords::Coord;
use super::dataarray::DataArray;
use super::grid::DType;
use crate::engine::value::fmt_float;
use crate::engine::NdArray;
use crate::io::netcdf::{fmt_attr, Attrs};

pub use crate::units::format_bytes;

/// The first line of xarray's DataArray repr: `<xarray.DataArray 'pr' (lat: 36, lon: 72)> Size: 10kB`.
pub fn dataarray_header(
    name: Option<&str>,
    dims: &[String],
    shape: &[usize],
    nbytes: u64,
) -> String {
    let dims: Vec<String> = dims
        .iter()
        .zip(shape)
        .map(|(d, n)| format!("{d}: {n}"))
        .collect();
    let name = name.map(|n| format!("'{n}' ")).unwrap_or_default();
    format!(
        "<xarray.DataArray {name}({})> Size: {}",
        dims.join(", "),
        render_nbytes(nbytes)
    )
}

/// xarray's `Size:` text: decimal units, no decimals (`3GB`, `58kB`).
pub fn render_nbytes(n: u64) -> String {
    let mut x = n as f64;
    for unit in ["B", "kB", "MB", "GB", "TB", "PB"] {
        if x < 1000.0 || unit == "PB" {
            return format!("{x:.0}{unit}");
        }
        x /= 1000.0;
    }
    unreachable!()
}

/// Python's float repr with numpy's float32 digits: shortest round-trip text for the dtype and
/// at least two exponent digits (`5.521991e-06`).
pub fn py_float(x: f64, dt: DType) -> String {
    let s = if dt == DType::F32 && x.is_finite() {
        let t = format!("{:?}", x as f32);
        if t.contains('e') {
            t
        } else {
            fmt_float(t.parse().unwrap_or(x))
        }
    } else {
        fmt_float(x)
    };
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ("-", d),
                None => ("+", e.trim_start_matches('+')),
            };
            let m = m.strip_suffix(".0").unwrap_or(m);
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn fmt_elem(x: f64, dt: DType) -> String {
    if dt.is_float() {
        py_float(x, dt)
    } else {
        format!("{}", x as i64)
    }
}

/// numpy's `array([...], dtype=...)` with at most 3 edge items per axis once past 1000 values.
pub fn fmt_values(a: &NdArray, dt: DType) -> String {
    let f = a.to_f64();
    let shape = f.shape().to_vec();
    let flat: Vec<f64> = f.iter().copied().collect();
    let summarize = flat.len() > 1000;
    fn rec(flat: &[f64], shape: &[usize], depth: usize, dt: DType, sum: bool, out: &mut String) {
        if shape.is_empty() {
            out.push_str(&fmt_elem(flat[0], dt));
            return;
        }
        let n = shape[0];
        let stride: usize = shape[1..].iter().product();
        let idx: Vec<Option<usize>> = if sum && n > 6 {
            (0..3)
                .map(Some)
                .chain([None])
                .chain((n - 3..n).map(Some))
                .collect()
        } else {
            (0..n).map(Some).collect()
        };
        out.push('[');
        let sep = if shape.len() > 1 {
            format!(",\n{}", " ".repeat(depth + 7))
        } else {
            ", ".into()
        };
        for (k, i) in idx.iter().enumerate() {
            if k > 0 {
                out.push_str(&sep);
            }
            match i {
                Some(i) => rec(
                    &flat[i * stride..(i + 1) * stride],
                    &shape[1..],
                    depth + 1,
                    dt,
                    sum,
                    out,
                ),
                None => out.push_str("..."),
            }
        }
        out.push(']');
    }
    let mut s = String::from("array(");
    rec(&flat, &shape, 0, dt, summarize, &mut s);
    if !matches!(dt, DType::F64 | DType::I64) {
        s.push_str(&format!(", dtype={}", dt.name()));
    }
    s.push(')');
    s
}

/// A short preview of labels/values on one line (first and last few).
fn preview(labels: &[String], width: usize, elided: bool) -> String {
    let all = labels.join(" ");
    if !elided && (all.len() <= width || labels.len() <= 4) {
        return all;
    }
    let mut k = 1;
    while k < labels.len() / 2 {
        let head = labels[..k + 1].join(" ");
        let tail = labels[labels.len() - k - 1..].join(" ");
        if head.len() + tail.len() + 5 > width {
            break;
        }
        k += 1;
    }
    format!(
        "{} ... {}",
        labels[..k].join(" "),
        labels[labels.len() - k..].join(" ")
    )
}

/// xarray's first-column width: the longest name (at least 7) plus 6.
pub fn col_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(0).max(7) + 6
}

/// Pad `s` to `w` characters (xarray's `pretty_print`).
pub fn pad(s: &str, w: usize) -> String {
    format!("{s:w$}")
}

/// xarray's `Coordinates:` block for index coordinates in `dims` order, names padded to `col`.
pub fn coords_block(coords: &[Coord], dims: &[String], header: &str, col: usize) -> String {
    let mut s = String::new();
    let cs: Vec<&Coord> = dims
        .iter()
        .filter_map(|d| coords.iter().find(|c| &c.name == d))
        .collect();
    if cs.is_empty() {
        return s;
    }
    s.push('\n');
    s.push_str(header);
    for c in cs {
        let n = c.len();
        let idx: Vec<usize> = if n > 8 {
            (0..4).chain(n - 4..n).collect()
        } else {
            (0..n).collect()
        };
        let labels: Vec<String> = idx
            .iter()
            .map(|&i| match &c.time {
                Some(_) => c.label(i),
                // numpy prints integer coordinates as integers, float32 ones with float32 digits.
                None if !c.dtype.is_float() && c.values[i].is_finite() => {
                    format!("{}", c.values[i] as i64)
                }
                None if c.dtype == crate::io::netcdf::RawType::F32 => {
                    py_float(c.values[i], DType::F32)
                }
                None => py_float(c.values[i], DType::F64),
            })
            .collect();
        let head = format!(
            "{}({}) {} {} ",
            pad(&format!("  * {} ", c.name), col),
            c.name,
            c.dtype_name(),
            // Decoded times are datetime64 (8 bytes); other coordinates keep their stored type.
            render_nbytes(
                (n * if c.time.is_some() {
                    8
                } else {
                    c.dtype.itemsize().max(1)
                }) as u64
            )
        );
        let room = 80usize.saturating_sub(head.len()).max(20);
        s.push_str(&format!("\n{head}{}", preview(&labels, room, n > 8)));
    }
    s
}

/// The one-line dask summary of a lazy array.
pub fn dask_line(a: &DataArray) -> String {
    let t = |v: &[usize]| {
        if v.len() == 1 {
            format!("({},)", v[0])
        } else {
            format!(
                "({})",
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    format!(
        "dask.array<{}, shape={}, dtype={}, chunksize={}, chunktype=numpy.ndarray>",
        a.graph.layer.name,
        t(&a.shape()),
        a.dtype.name(),
        t(&a.grid.chunksize())
    )
}

pub fn attrs_block(attrs: &Attrs) -> String {
    if attrs.is_empty() {
        return String::new();
    }
    // xarray shows at most 12 rows: the first and last six around an ellipsis row.
    let n = attrs.len();
    let shown: Vec<Option<usize>> = if n > 12 {
        (0..6)
            .map(Some)
            .chain([None])
            .chain((n - 6..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    };
    let mut s = if n > 12 {
        format!("\nAttributes: (12/{n})")
    } else {
        "\nAttributes:".into()
    };
    let col = col_width(attrs.iter().map(|(k, _)| k.as_str()));
    for i in shown {
        let line = match i {
            Some(i) => {
                let (k, v) = &attrs[i];
                format!(
                    "{} {}",
                    pad(&format!("    {k}:"), col),
                    fmt_attr(v).replace('\n', " ")
                )
            }
            None => format!("{} ...", pad("    ...", col)),
        };
        s.push('\n');
        if line.chars().count() > 80 {
            s.extend(line.chars().take(77));
            s.push_str("...");
        } else {
            s.push_str(&line);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::netcdf::RawType;
    use std::sync::Arc;

    #[test]
    fn coordinates_print_in_their_stored_type() {
        let c = |name: &str, dtype, values: Vec<f64>| Coord {
            name: name.into(),
            values: Arc::new(values),
            attrs: vec![],
            time: None,
            dtype,
        };
        let cs = [
            c("x", RawType::I64, vec![0.0, 1.0, 2.0]),
            c("y", RawType::F32, vec![0.1f32 as f64, 2.5]),
            c("z", RawType::F64, vec![0.5, 1.0]),
        ];
        let dims: Vec<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
        let text = coords_block(&cs, &dims, "Coordinates:", 6);
        assert!(text.contains("int64 24B 0 1 2"), "{text}");
        assert!(text.contains("float32 8B 0.1 2.5"), "{text}");
        assert!(text.contains("float64 16B 0.5 1.0"), "{text}");
    }
}
