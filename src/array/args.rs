//! Turning session-language arguments into array operations' parameters.

use super::coords::Label;
use super::dataarray::{ChunkSpec, Indexer};
use super::write::VarEncoding;
use crate::error::{Error, Result};
use crate::lang::{Args, Obj};

/// A dim name or a list of them; `None` for absent.
pub fn dims_arg(o: Option<&Obj>) -> Result<Option<Vec<String>>> {
    match o {
        None | Some(Obj::None) => Ok(None),
        Some(Obj::Str(s)) => Ok(Some(vec![s.to_string()])),
        Some(Obj::List(v)) | Some(Obj::Tuple(v)) => v
            .iter()
            .map(|x| {
                x.as_str()
                    .map(String::from)
                    .ok_or_else(|| Error::value("dimension names must be strings"))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(o) => Err(Error::value(format!(
            "expected a dimension name or a list of names, got {}",
            o.type_name()
        ))),
    }
}

/// `dim=value` pairs from keywords (minus `skip`) or a positional dict.
fn pairs(args: &Args, skip: &[&str]) -> Result<Vec<(String, Obj)>> {
    let mut out: Vec<(String, Obj)> = args
        .keywords
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .cloned()
        .collect();
    if let Some(Obj::Dict(d)) = args.positional.first() {
        for (k, v) in d.iter() {
            let k = k
                .as_str()
                .ok_or_else(|| Error::value("indexer keys must be dimension names"))?;
            out.push((k.to_string(), v.clone()));
        }
    }
    Ok(out)
}

fn opt_i64(o: &Option<Box<Obj>>) -> Result<Option<i64>> {
    match o.as_deref() {
        None | Some(Obj::None) => Ok(None),
        Some(x) => x
            .as_i64()
            .map(Some)
            .ok_or_else(|| Error::value("isel: slice bounds must be integers")),
    }
}

pub fn isel_args(args: &Args) -> Result<Vec<(String, Indexer)>> {
    pairs(args, &[])?
        .into_iter()
        .map(|(d, v)| {
            let ix = match &v {
                Obj::Int(i) => Indexer::Index(*i),
                Obj::Slice(a, b, c) => {
                    Indexer::Slice(opt_i64(a)?, opt_i64(b)?, opt_i64(c)?.unwrap_or(1))
                }
                o => {
                    return Err(Error::value(format!(
                        "isel: '{d}' takes an int or a slice, got {}",
                        o.type_name()
                    )))
                }
            };
            Ok((d, ix))
        })
        .collect()
}

fn label(o: &Obj) -> Result<Label> {
    Ok(match o {
        Obj::Int(_) | Obj::Float(_) => Label::Num(o.as_f64().unwrap_or(f64::NAN)),
        Obj::Str(s) => Label::Str(s.to_string()),
        Obj::Slice(a, b, _) => {
            let f = |x: &Option<Box<Obj>>| -> Result<Option<Box<Label>>> {
                match x.as_deref() {
                    None | Some(Obj::None) => Ok(None),
                    Some(o) => Ok(Some(Box::new(label(o)?))),
                }
            };
            Label::Slice(f(a)?, f(b)?)
        }
        o => {
            return Err(Error::value(format!(
                "sel: unsupported label of type {}",
                o.type_name()
            )))
        }
    })
}

/// `sel` labels and whether `method="nearest"` was given.
pub fn sel_args(args: &Args) -> Result<(Vec<(String, Label)>, bool)> {
    let nearest = match args.get(usize::MAX, "method") {
        None | Some(Obj::None) => false,
        Some(Obj::Str(s)) if &**s == "nearest" => true,
        Some(o) => {
            return Err(Error::value(format!(
                "sel: method must be \"nearest\" (got {})",
                o.type_name()
            )))
        }
    };
    let ls = pairs(args, &["method", "tolerance"])?
        .into_iter()
        .map(|(d, v)| Ok((d, label(&v)?)))
        .collect::<Result<_>>()?;
    Ok((ls, nearest))
}

fn spec(o: &Obj) -> Result<ChunkSpec> {
    Ok(match o {
        Obj::Int(-1) | Obj::None => ChunkSpec::Full,
        Obj::Int(n) if *n > 0 => ChunkSpec::Size(*n as usize),
        Obj::Str(s) if &**s == "auto" => ChunkSpec::Auto,
        o => {
            return Err(Error::value(format!(
                "chunks: expected a positive int, -1 or \"auto\", got {}",
                o.type_name()
            )))
        }
    })
}

/// `chunks=` as per-dimension specs (`"auto"` or an int apply to every dim in `dims`).
pub fn chunks_arg(o: Option<&Obj>, dims: &[String]) -> Result<Vec<(String, ChunkSpec)>> {
    match o {
        None | Some(Obj::None) => Ok(Vec::new()),
        Some(Obj::Dict(d)) => d
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.as_str()
                        .ok_or_else(|| Error::value("chunks keys must be dimension names"))?
                        .to_string(),
                    spec(v)?,
                ))
            })
            .collect(),
        Some(o) => {
            let s = spec(o)?;
            Ok(dims.iter().map(|d| (d.clone(), s)).collect())
        }
    }
}

/// `encoding={"pr": {"zlib": True, "complevel": 4}}`.
pub fn encoding_arg(o: Option<&Obj>) -> Result<Vec<(String, VarEncoding)>> {
    let Some(Obj::Dict(d)) = o else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (k, v) in d.iter() {
        let name = k
            .as_str()
            .ok_or_else(|| Error::value("encoding keys must be variable names"))?;
        let Obj::Dict(opts) = v else {
            return Err(Error::value(format!("encoding['{name}'] must be a dict")));
        };
        let get = |n: &str| {
            opts.iter()
                .find(|(k, _)| k.as_str() == Some(n))
                .map(|(_, v)| v.clone())
        };
        let zlib = matches!(get("zlib"), Some(Obj::Bool(true)))
            || get("compression")
                .and_then(|c| c.as_str().map(|s| s == "zlib"))
                .unwrap_or(false);
        let level = get("complevel").and_then(|c| c.as_i64()).unwrap_or(4) as i32;
        out.push((
            name.to_string(),
            VarEncoding {
                zlib: zlib.then_some(level),
            },
        ));
    }
    Ok(out)
}
