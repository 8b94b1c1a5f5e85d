//! Byte quantities as Dask writes and prints them: `parse_bytes("2GB")` (kB/MB/GB are powers of 1000,
//! KiB/MiB/GiB powers of 1024) and `format_bytes(n)` (binary units, two decimals).

use crate::error::{Error, Result};

/// Parse a byte quantity like Dask's `parse_bytes`: `"2GB"`, `"1.5 GiB"`, `"500MB"`, `"1e9"`, `"100"`.
pub fn parse_bytes(s: &str) -> Result<u64> {
    let t = s.trim().replace(' ', "");
    // The number is the longest prefix that parses as a float ("1e9" keeps its exponent).
    let split = (0..=t.len())
        .rev()
        .filter(|&k| t.is_char_boundary(k))
        .find(|&k| t[..k].parse::<f64>().is_ok())
        .unwrap_or(0);
    let (num, unit) = t.split_at(split);
    let num = if num.is_empty() { "1" } else { num };
    let value: f64 = num.parse().map_err(|_| bad(s))?;
    let unit_l = unit.to_ascii_lowercase();
    let mult: f64 = match unit_l.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "p" | "pb" => 1e15,
        "kib" | "ki" => 1024.0,
        "mib" | "mi" => 1024f64.powi(2),
        "gib" | "gi" => 1024f64.powi(3),
        "tib" | "ti" => 1024f64.powi(4),
        "pib" | "pi" => 1024f64.powi(5),
        _ => {
            return Err(Error::value(format!(
                "Could not interpret '{unit}' as a byte unit in {s:?}; write a number with a unit such as \"2GB\", \"500MB\" or \"1.5GiB\""
            )))
        }
    };
    if !value.is_finite() || value < 0.0 {
        return Err(bad(s));
    }
    Ok((value * mult) as u64)
}

fn bad(s: &str) -> Error {
    Error::value(format!(
        "could not interpret {s:?} as a byte quantity; write a number with a unit such as \"2GB\", \"500MB\" or \"1.5GiB\""
    ))
}

/// Format bytes like Dask's `format_bytes`: `'216.54 MiB'`, `'3.54 GiB'`, `'100 B'`.
pub fn format_bytes(n: u64) -> String {
    let n = n as f64;
    for (unit, k) in [("PiB", 5), ("TiB", 4), ("GiB", 3), ("MiB", 2), ("kiB", 1)] {
        let v = 1024f64.powi(k);
        if n >= v * 0.9 {
            return format!("{:.2} {unit}", n / v);
        }
    }
    format!("{} B", n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_dask_does() {
        assert_eq!(parse_bytes("2GB").unwrap(), 2_000_000_000);
        assert_eq!(parse_bytes("2 GiB").unwrap(), 2 * 1024 * 1024 * 1024);
        assert_eq!(parse_bytes("500MB").unwrap(), 500_000_000);
        assert_eq!(parse_bytes("1.5kB").unwrap(), 1500);
        assert_eq!(parse_bytes("100").unwrap(), 100);
        assert_eq!(parse_bytes("MB").unwrap(), 1_000_000);
        assert_eq!(parse_bytes("1e9").unwrap(), 1_000_000_000);
        let e = parse_bytes("2 gigs").unwrap_err().to_string();
        assert!(
            e.contains("'gigs'") && e.contains("\"2 gigs\"") && e.contains("2GB"),
            "{e}"
        );
        assert!(parse_bytes("3 parsecs").is_err());
        assert!(parse_bytes("-1GB").is_err());
    }

    #[test]
    fn formats_as_dask_does() {
        assert_eq!(format_bytes(227_057_664), "216.54 MiB");
        assert_eq!(format_bytes(3_801_046_999), "3.54 GiB");
        assert_eq!(format_bytes(100), "100 B");
        assert_eq!(format_bytes(1000), "0.98 kiB");
    }
}
