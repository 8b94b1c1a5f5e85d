//! Python semantics for plain values: `repr`/`str`, truthiness, arithmetic with Python's rules
//! (floor division and modulo toward negative infinity, `/` always float, overflow is an error),
//! comparisons, containment and f-string format specs.

use std::cmp::Ordering;
use std::sync::Arc;

use super::errors::Raise;
use super::object::{BinOp, Obj};

/// Python's `repr(float)`: shortest round-trip digits, `nan`/`inf`, and an exponent of at least two
/// digits with its sign (`1e+20`, `2.5e-05`).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format!("{x:?}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Python's `repr` of a string: single quotes unless the text holds a single quote and no double quote.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c)
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `repr` of plain values; natives are shown as `<type>` (see [`repr_with`]).
pub fn repr(o: &Obj) -> String {
    repr_with(o, &mut |n| format!("<{}>", n.type_name()))
}

/// `repr` with natives (also inside lists, tuples and dicts) shown by `native`.
pub fn repr_with(
    o: &Obj,
    native: &mut dyn FnMut(&Arc<dyn super::object::Native>) -> String,
) -> String {
    let join = |v: &[Obj], native: &mut dyn FnMut(&Arc<dyn super::object::Native>) -> String| {
        v.iter()
            .map(|x| repr_with(x, native))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match o {
        Obj::None => "None".into(),
        Obj::Bool(b) => if *b { "True" } else { "False" }.into(),
        Obj::Int(i) => i.to_string(),
        Obj::Float(f) => float_repr(*f),
        Obj::Str(s) => repr_str(s),
        Obj::List(v) => format!("[{}]", join(v, native)),
        Obj::Tuple(v) if v.len() == 1 => format!("({},)", repr_with(&v[0], native)),
        Obj::Tuple(v) => format!("({})", join(v, native)),
        Obj::Dict(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|(k, v)| format!("{}: {}", repr_with(k, native), repr_with(v, native)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Obj::Slice(a, b, c) => {
            let part = |x: &Option<Box<Obj>>| x.as_deref().map_or("None".to_string(), repr);
            format!("slice({}, {}, {})", part(a), part(b), part(c))
        }
        Obj::Native(n) => native(n),
        Obj::Builtin(name) => format!("<built-in function {name}>"),
        Obj::Method(recv, name) => format!("<bound method {name} of {}>", recv.type_name()),
    }
}

/// Python's `str`: strings as they are, everything else as `repr`.
pub fn to_str(o: &Obj) -> String {
    match o {
        Obj::Str(s) => s.to_string(),
        other => repr(other),
    }
}

/// Python's truthiness for plain values; natives are ambiguous, as pandas says.
pub fn truthy(o: &Obj) -> Result<bool, Raise> {
    Ok(match o {
        Obj::None => false,
        Obj::Bool(b) => *b,
        Obj::Int(i) => *i != 0,
        Obj::Float(f) => *f != 0.0,
        Obj::Str(s) => !s.is_empty(),
        Obj::List(v) | Obj::Tuple(v) => !v.is_empty(),
        Obj::Dict(v) => !v.is_empty(),
        Obj::Slice(..) | Obj::Builtin(_) | Obj::Method(..) => true,
        Obj::Native(n) => {
            return Err(Raise::value_error(format!(
                "the truth value of a {} is ambiguous; use '&' and '|' to combine masks, \
                 or .any()/.all()",
                n.type_name()
            )))
        }
    })
}

fn overflow() -> Raise {
    Raise::new("OverflowError", "integer result does not fit in 64 bits")
}

fn zero_div(what: &str) -> Raise {
    Raise::new("ZeroDivisionError", what.to_string())
}

/// Python's floored modulo for floats: the result takes the divisor's sign.
fn fmod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

fn int_op(op: BinOp, a: i64, b: i64) -> Result<Obj, Raise> {
    Ok(match op {
        BinOp::Add => Obj::Int(a.checked_add(b).ok_or_else(overflow)?),
        BinOp::Sub => Obj::Int(a.checked_sub(b).ok_or_else(overflow)?),
        BinOp::Mul => Obj::Int(a.checked_mul(b).ok_or_else(overflow)?),
        BinOp::Div => {
            if b == 0 {
                return Err(zero_div("division by zero"));
            }
            Obj::Float(a as f64 / b as f64)
        }
        BinOp::FloorDiv => {
            if b == 0 {
                return Err(zero_div("integer division or modulo by zero"));
            }
            let q = a.checked_div(b).ok_or_else(overflow)?;
            Obj::Int(if (a % b != 0) && ((a < 0) != (b < 0)) {
                q - 1
            } else {
                q
            })
        }
        BinOp::Mod => {
            if b == 0 {
                return Err(zero_div("integer division or modulo by zero"));
            }
            let r = a.checked_rem(b).ok_or_else(overflow)?;
            Obj::Int(if r != 0 && ((r < 0) != (b < 0)) {
                r + b
            } else {
                r
            })
        }
        BinOp::Pow => {
            if b < 0 {
                Obj::Float((a as f64).powf(b as f64))
            } else {
                let e = u32::try_from(b).map_err(|_| overflow())?;
                Obj::Int(a.checked_pow(e).ok_or_else(overflow)?)
            }
        }
        BinOp::And => Obj::Int(a & b),
        BinOp::Or => Obj::Int(a | b),
        cmp => Obj::Bool(cmp_result(cmp, a.cmp(&b))),
    })
}

fn float_op(op: BinOp, a: f64, b: f64) -> Result<Obj, Raise> {
    Ok(Obj::Float(match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div if b == 0.0 => return Err(zero_div("float division by zero")),
        BinOp::Div => a / b,
        BinOp::FloorDiv if b == 0.0 => return Err(zero_div("float floor division by zero")),
        BinOp::FloorDiv => (a / b).floor(),
        BinOp::Mod if b == 0.0 => return Err(zero_div("float modulo")),
        BinOp::Mod => fmod(a, b),
        BinOp::Pow => a.powf(b),
        BinOp::And | BinOp::Or => return Err(unsupported(op, &Obj::Float(a), &Obj::Float(b))),
        cmp => {
            return Ok(Obj::Bool(match a.partial_cmp(&b) {
                Some(o) => cmp_result(cmp, o),
                // NaN compares unequal to everything.
                None => cmp == BinOp::Ne,
            }));
        }
    }))
}

fn cmp_result(op: BinOp, o: Ordering) -> bool {
    match op {
        BinOp::Eq => o == Ordering::Equal,
        BinOp::Ne => o != Ordering::Equal,
        BinOp::Lt => o == Ordering::Less,
        BinOp::Le => o != Ordering::Greater,
        BinOp::Gt => o == Ordering::Greater,
        BinOp::Ge => o != Ordering::Less,
        _ => false,
    }
}

fn unsupported(op: BinOp, a: &Obj, b: &Obj) -> Raise {
    if matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
        return Raise::type_error(format!(
            "'{}' not supported between instances of '{}' and '{}'",
            op.symbol(),
            a.type_name(),
            b.type_name()
        ));
    }
    Raise::type_error(format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        op.symbol(),
        a.type_name(),
        b.type_name()
    ))
}

/// Python equality of plain values (natives compare by identity).
pub fn equal(a: &Obj, b: &Obj) -> bool {
    match (a, b) {
        (Obj::None, Obj::None) => true,
        (Obj::Str(x), Obj::Str(y)) => x == y,
        (Obj::List(x), Obj::List(y)) | (Obj::Tuple(x), Obj::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q))
        }
        (Obj::Dict(x), Obj::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| equal(k, k2) && equal(v, v2)))
        }
        (Obj::Native(x), Obj::Native(y)) => same_native(x, y),
        (Obj::Builtin(x), Obj::Builtin(y)) => x == y,
        _ => match (num(a), num(b)) {
            (Some(Num::I(x)), Some(Num::I(y))) => x == y,
            (Some(x), Some(y)) => x.f() == y.f(),
            _ => false,
        },
    }
}

/// Same object (data pointer), whatever the vtable.
pub fn same_native(a: &Arc<dyn super::object::Native>, b: &Arc<dyn super::object::Native>) -> bool {
    std::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

fn num(o: &Obj) -> Option<Num> {
    match o {
        Obj::Bool(b) => Some(Num::I(*b as i64)),
        Obj::Int(i) => Some(Num::I(*i)),
        Obj::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

/// `a <op> b` for plain values (no natives: the interpreter dispatches those first).
pub fn binary(op: BinOp, a: &Obj, b: &Obj) -> Result<Obj, Raise> {
    if matches!(op, BinOp::Eq | BinOp::Ne) {
        let eq = equal(a, b);
        return Ok(Obj::Bool(if op == BinOp::Eq { eq } else { !eq }));
    }
    match (a, b) {
        (Obj::Bool(x), Obj::Bool(y)) if matches!(op, BinOp::And | BinOp::Or) => {
            return Ok(Obj::Bool(if op == BinOp::And {
                *x && *y
            } else {
                *x || *y
            }))
        }
        (Obj::Str(x), Obj::Str(y)) => {
            return match op {
                BinOp::Add => Ok(Obj::str(format!("{x}{y}"))),
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    Ok(Obj::Bool(cmp_result(op, x.as_ref().cmp(y.as_ref()))))
                }
                _ => Err(unsupported(op, a, b)),
            }
        }
        (Obj::Str(s), Obj::Int(n)) | (Obj::Int(n), Obj::Str(s)) if op == BinOp::Mul => {
            return Ok(Obj::str(s.repeat((*n).max(0) as usize)))
        }
        (Obj::List(x), Obj::List(y)) if op == BinOp::Add => {
            return Ok(Obj::List(Arc::new(
                x.iter().chain(y.iter()).cloned().collect(),
            )))
        }
        (Obj::Tuple(x), Obj::Tuple(y)) if op == BinOp::Add => {
            return Ok(Obj::Tuple(Arc::new(
                x.iter().chain(y.iter()).cloned().collect(),
            )))
        }
        (Obj::List(x), Obj::Int(n)) if op == BinOp::Mul => {
            let n = (*n).max(0) as usize;
            return Ok(Obj::List(Arc::new(
                x.iter().cycle().take(x.len() * n).cloned().collect(),
            )));
        }
        _ => {}
    }
    match (num(a), num(b)) {
        (Some(Num::I(x)), Some(Num::I(y))) => int_op(op, x, y),
        (Some(x), Some(y)) => float_op(op, x.f(), y.f()),
        _ => Err(unsupported(op, a, b)),
    }
}

/// `item in container` for plain containers.
pub fn contains(container: &Obj, item: &Obj) -> Result<bool, Raise> {
    match container {
        Obj::List(v) | Obj::Tuple(v) => Ok(v.iter().any(|x| equal(x, item))),
        Obj::Dict(v) => Ok(v.iter().any(|(k, _)| equal(k, item))),
        Obj::Str(s) => match item {
            Obj::Str(sub) => Ok(s.contains(sub.as_ref())),
            _ => Err(Raise::type_error(format!(
                "'in <string>' requires string as left operand, not {}",
                item.type_name()
            ))),
        },
        other => Err(Raise::type_error(format!(
            "argument of type '{}' is not iterable",
            other.type_name()
        ))),
    }
}

/// Format `o` with a Python format spec (`.2f`, `,`, `>10`, `.1%`, `d`, `e`); a subset of the mini-language.
pub fn format_spec(o: &Obj, spec: &str) -> Result<String, Raise> {
    if spec.is_empty() {
        return Ok(to_str(o));
    }
    let bad = || Raise::value_error(format!("invalid or unsupported format spec '{spec}'"));
    let mut rest = spec;
    // [[fill]align]
    let mut fill = ' ';
    let mut align = None;
    let chars: Vec<char> = rest.chars().collect();
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^') {
        fill = chars[0];
        align = Some(chars[1]);
        rest = &rest[chars[0].len_utf8() + 1..];
    } else if !chars.is_empty() && matches!(chars[0], '<' | '>' | '^') {
        align = Some(chars[0]);
        rest = &rest[1..];
    }
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let width: usize = if digits_end > 0 {
        rest[..digits_end].parse().map_err(|_| bad())?
    } else {
        0
    };
    rest = &rest[digits_end..];
    let comma = rest.starts_with(',');
    if comma {
        rest = &rest[1..];
    }
    let mut precision = None;
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        precision = Some(r[..end].parse::<usize>().map_err(|_| bad())?);
        rest = &r[end..];
    }
    let body = match (rest, o) {
        ("", Obj::Str(s)) | ("s", Obj::Str(s)) => match precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        },
        ("" | "d", Obj::Int(i)) if precision.is_none() => group(&i.to_string(), comma),
        // No type and no precision: `str()` of the number, padded (`f"{2.5:>6}"`).
        ("", _) if precision.is_none() && num(o).is_some() => group(&to_str(o), comma),
        ("f" | "F" | "", _) if num(o).is_some() => {
            let p = precision.unwrap_or(6);
            group(&format!("{:.*}", p, num(o).unwrap().f()), comma)
        }
        ("%", _) if num(o).is_some() => {
            let p = precision.unwrap_or(6);
            format!(
                "{}%",
                group(&format!("{:.*}", p, num(o).unwrap().f() * 100.0), comma)
            )
        }
        ("e", _) if num(o).is_some() => {
            let s = format!("{:.*e}", precision.unwrap_or(6), num(o).unwrap().f());
            // Rust prints `1.5e3`; Python `1.5e+03`.
            match s.split_once('e') {
                Some((m, e)) => {
                    let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                    format!("{m}e{sign}{digits:0>2}")
                }
                None => s,
            }
        }
        _ => return Err(bad()),
    };
    let len = body.chars().count();
    if len >= width {
        return Ok(body);
    }
    let pad = width - len;
    let numeric = !matches!(o, Obj::Str(_));
    Ok(match align.unwrap_or(if numeric { '>' } else { '<' }) {
        '<' => format!("{body}{}", fill.to_string().repeat(pad)),
        '^' => format!(
            "{}{body}{}",
            fill.to_string().repeat(pad / 2),
            fill.to_string().repeat(pad - pad / 2)
        ),
        _ => format!("{}{body}", fill.to_string().repeat(pad)),
    })
}

/// Insert thousands separators into the integer part of a formatted number.
fn group(s: &str, comma: bool) -> String {
    if !comma {
        return s.to_string();
    }
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(x: i64) -> Obj {
        Obj::Int(x)
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(repr(&Obj::str("it's")), "\"it's\"");
        assert_eq!(repr(&Obj::str("a\nb")), "'a\\nb'");
        assert_eq!(repr(&Obj::Float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(repr(&Obj::Float(2.0)), "2.0");
        assert_eq!(repr(&Obj::Float(1e20)), "1e+20");
        assert_eq!(
            repr(&Obj::Float(2.311534080945421e-5)),
            "2.311534080945421e-05"
        );
        assert_eq!(repr(&Obj::Float(1e100)), "1e+100");
        assert_eq!(repr(&Obj::Float(1e-7)), "1e-07");
        assert_eq!(repr(&Obj::Float(0.0001)), "0.0001");
        assert_eq!(repr(&Obj::Float(1e15)), "1000000000000000.0");
        assert_eq!(repr(&Obj::Float(-0.0)), "-0.0");
        let t = Obj::Tuple(Arc::new(vec![i(1)]));
        assert_eq!(repr(&t), "(1,)");
        let d = Obj::Dict(Arc::new(vec![(
            Obj::str("a"),
            Obj::List(Arc::new(vec![i(1), Obj::None])),
        )]));
        assert_eq!(repr(&d), "{'a': [1, None]}");
    }

    #[test]
    fn arithmetic_follows_python() {
        let r = |op, a, b| repr(&binary(op, &a, &b).unwrap());
        assert_eq!(r(BinOp::FloorDiv, i(-7), i(2)), "-4");
        assert_eq!(r(BinOp::Mod, i(-7), i(2)), "1");
        assert_eq!(r(BinOp::Mod, Obj::Float(-7.5), i(2)), "0.5");
        assert_eq!(r(BinOp::Div, i(7), i(2)), "3.5");
        assert_eq!(r(BinOp::Pow, i(2), i(10)), "1024");
        assert_eq!(r(BinOp::Pow, i(2), i(-1)), "0.5");
        assert_eq!(r(BinOp::Add, Obj::str("a"), Obj::str("b")), "'ab'");
        assert_eq!(r(BinOp::Eq, i(1), Obj::Float(1.0)), "True");
        assert_eq!(r(BinOp::Lt, Obj::Float(f64::NAN), i(1)), "False");
        let e = binary(BinOp::Div, &i(1), &i(0)).unwrap_err();
        assert_eq!(e.kind, "ZeroDivisionError");
        let e = binary(BinOp::Add, &i(i64::MAX), &i(1)).unwrap_err();
        assert_eq!(e.kind, "OverflowError");
        let e = binary(BinOp::Sub, &Obj::str("a"), &i(1)).unwrap_err();
        assert_eq!(
            e.message,
            "unsupported operand type(s) for -: 'str' and 'int'"
        );
    }

    #[test]
    fn format_specs() {
        assert_eq!(format_spec(&Obj::Float(1.23456), ".2f").unwrap(), "1.23");
        assert_eq!(format_spec(&i(1234567), ",").unwrap(), "1,234,567");
        assert_eq!(format_spec(&Obj::Float(0.256), ".1%").unwrap(), "25.6%");
        assert_eq!(format_spec(&i(5), ">4").unwrap(), "   5");
        assert_eq!(format_spec(&Obj::Float(2.5), ">6").unwrap(), "   2.5");
        assert_eq!(format_spec(&Obj::Bool(true), "").unwrap(), "True");
        assert_eq!(format_spec(&Obj::str("ab"), "*^6").unwrap(), "**ab**");
        assert_eq!(format_spec(&Obj::Float(1500.0), ".2e").unwrap(), "1.50e+03");
        assert!(format_spec(&Obj::str("x"), "q").is_err());
    }
}
