//! The session language's own small AST, lowered from rustpython's Python AST. Every node keeps its
//! source position; everything outside the supported subset is rejected here, before anything runs.

use std::sync::Arc;

use rustpython_parser::ast::{self, Constant, Ranged};
use rustpython_parser::Parse;

use super::errors::{LineIndex, Pos, Raise};
use super::object::{BinOp, Obj, UnaryOp};

#[derive(Debug, Clone)]
pub struct Expr {
    pub pos: Pos,
    pub kind: ExprKind,
}

/// Comparison operators, including the ones that are not [`BinOp`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Op(BinOp),
    In,
    NotIn,
    Is,
    IsNot,
}

/// A piece of an f-string.
#[derive(Debug, Clone)]
pub enum FPart {
    Lit(String),
    Value {
        expr: Expr,
        /// `!r`, `!s` or `!a`.
        conversion: Option<char>,
        spec: Vec<FPart>,
    },
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(Obj),
    Name(String),
    Attr(Box<Expr>, String),
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        keywords: Vec<(String, Expr)>,
    },
    Index(Box<Expr>, Box<Expr>),
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    /// `and` (true) / `or` (false) over two or more values, short-circuiting as Python does.
    Logic(bool, Vec<Expr>),
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    IfElse(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    FString(Vec<FPart>),
}

/// Where an assignment or `del` goes.
#[derive(Debug, Clone)]
pub enum Target {
    Name(String, Pos),
    /// `obj[key] = value`: the object's `__setitem__` returns the new object, bound back to the name.
    Index(Expr, Expr),
    Tuple(Vec<Target>),
}

/// `import a.b as c` binds `c` to module `a.b`; `from a.b import x as y` binds `y` to `a.b`'s `x`.
#[derive(Debug, Clone)]
pub struct ImportBinding {
    pub bind: String,
    pub module: String,
    pub attr: Option<String>,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    Assign(Vec<Target>, Expr),
    Expr(Expr),
    Del(Vec<Target>),
    Import(Vec<ImportBinding>),
    Pass,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub pos: Pos,
    /// The statement's text as written (for history and job labels).
    pub source: String,
    pub kind: StmtKind,
}

/// Parse `source` and lower it; the first syntax error or unsupported construct, placed.
pub fn parse(source: &str, filename: &str) -> Result<Vec<Stmt>, Raise> {
    let index = LineIndex::new(source);
    let suite = ast::Suite::parse(source, filename).map_err(|e| {
        let (message, at_end) = syntax_message(&e.error);
        let offset = (u32::from(e.offset) as usize).min(source.len());
        // Errors reported at the start of a blank line belong to the end of the text before them.
        let blank = super::errors::source_line(source, index.pos(offset).line)
            .trim()
            .is_empty();
        let pos = if at_end {
            end_of_text(source, &index)
        } else if blank {
            index.pos(source[..offset].trim_end().len())
        } else {
            index.pos(offset)
        };
        Raise::new("SyntaxError", message).at(pos)
    })?;
    let lower = Lower { index: &index };
    suite
        .iter()
        .map(|s| {
            let r = s.range();
            let text = &source[usize::from(r.start())..usize::from(r.end())];
            Ok(Stmt {
                pos: lower.pos(r.start()),
                source: text.to_string(),
                kind: lower.stmt(s)?,
            })
        })
        .collect()
}

/// A readable message for a parse error, and whether it is about the end of the input.
fn syntax_message(e: &rustpython_parser::ParseErrorType) -> (String, bool) {
    use rustpython_parser::lexer::LexicalErrorType as L;
    use rustpython_parser::{ParseErrorType as P, Tok};
    let eof = "unexpected end of input (an unclosed bracket or string?)".to_string();
    match e {
        P::Eof | P::Lexical(L::Eof) => (eof, true),
        P::UnrecognizedToken(Tok::Indent, _) => ("unexpected indent".into(), false),
        P::UnrecognizedToken(Tok::Dedent, _) => ("unexpected unindent".into(), false),
        P::UnrecognizedToken(Tok::Newline, _) => {
            ("invalid syntax: the line ends too early".into(), false)
        }
        P::UnrecognizedToken(Tok::EndOfFile, _) => (eof, true),
        P::UnrecognizedToken(tok, _) => (format!("invalid syntax: unexpected {tok}"), false),
        P::Lexical(l) => (l.to_string(), false),
        other => (format!("invalid syntax: {other}"), false),
    }
}

/// Just past the last non-blank character: where "unexpected end of input" is shown.
fn end_of_text(source: &str, index: &LineIndex<'_>) -> Pos {
    index.pos(source.trim_end().len())
}

fn unsupported(what: &str, pos: Pos) -> Raise {
    Raise::new(
        "SyntaxError",
        format!(
            "{what} not supported in Tessera sessions (supported: assignments, expressions, calls, \
             del, import lines)"
        ),
    )
    .at(pos)
}

struct Lower<'a> {
    index: &'a LineIndex<'a>,
}

impl Lower<'_> {
    fn pos(&self, offset: ast::text_size::TextSize) -> Pos {
        self.index.pos(u32::from(offset) as usize)
    }

    fn stmt(&self, s: &ast::Stmt) -> Result<StmtKind, Raise> {
        let pos = self.pos(s.start());
        use ast::Stmt as S;
        Ok(match s {
            S::Expr(e) => StmtKind::Expr(self.expr(&e.value)?),
            S::Assign(a) => {
                let targets = a
                    .targets
                    .iter()
                    .map(|t| self.target(t))
                    .collect::<Result<_, _>>()?;
                StmtKind::Assign(targets, self.expr(&a.value)?)
            }
            S::AnnAssign(a) => match &a.value {
                Some(v) => StmtKind::Assign(vec![self.target(&a.target)?], self.expr(v)?),
                None => StmtKind::Pass,
            },
            S::AugAssign(a) => {
                let target = self.target(&a.target)?;
                let current = self.expr(&a.target)?;
                let op = self.operator(a.op, pos)?;
                let value = Expr {
                    pos,
                    kind: ExprKind::Binary(op, Box::new(current), Box::new(self.expr(&a.value)?)),
                };
                StmtKind::Assign(vec![target], value)
            }
            S::Delete(d) => StmtKind::Del(
                d.targets
                    .iter()
                    .map(|t| self.target(t))
                    .collect::<Result<_, _>>()?,
            ),
            S::Pass(_) => StmtKind::Pass,
            S::Import(i) => StmtKind::Import(
                i.names
                    .iter()
                    .map(|a| {
                        let module = a.name.to_string();
                        let bind = match &a.asname {
                            Some(n) => n.to_string(),
                            // `import dask.dataframe` binds `dask`.
                            None => module.split('.').next().unwrap_or("").to_string(),
                        };
                        let module = if a.asname.is_some() {
                            module
                        } else {
                            bind.clone()
                        };
                        ImportBinding {
                            bind,
                            module,
                            attr: None,
                        }
                    })
                    .collect(),
            ),
            S::ImportFrom(i) => {
                let module = i.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
                let mut out = Vec::new();
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        return Err(unsupported("'from ... import *' is", pos));
                    }
                    out.push(ImportBinding {
                        bind: a.asname.as_ref().unwrap_or(&a.name).to_string(),
                        module: module.clone(),
                        attr: Some(a.name.to_string()),
                    });
                }
                StmtKind::Import(out)
            }
            S::FunctionDef(_) | S::AsyncFunctionDef(_) => {
                return Err(unsupported("function definitions (def) are", pos))
            }
            S::ClassDef(_) => return Err(unsupported("class definitions are", pos)),
            S::Return(_) => return Err(unsupported("'return' is", pos)),
            S::For(_) | S::AsyncFor(_) => return Err(unsupported("'for' loops are", pos)),
            S::While(_) => return Err(unsupported("'while' loops are", pos)),
            S::If(_) => return Err(unsupported("'if' statements are", pos)),
            S::With(_) | S::AsyncWith(_) => return Err(unsupported("'with' blocks are", pos)),
            S::Try(_) | S::TryStar(_) => return Err(unsupported("'try' blocks are", pos)),
            S::Raise(_) => return Err(unsupported("'raise' is", pos)),
            S::Assert(_) => return Err(unsupported("'assert' is", pos)),
            S::Global(_) | S::Nonlocal(_) => {
                return Err(unsupported("global/nonlocal declarations are", pos))
            }
            S::Break(_) | S::Continue(_) => return Err(unsupported("'break'/'continue' are", pos)),
            S::Match(_) => return Err(unsupported("'match' statements are", pos)),
            S::TypeAlias(_) => return Err(unsupported("type aliases are", pos)),
        })
    }

    fn target(&self, e: &ast::Expr) -> Result<Target, Raise> {
        let pos = self.pos(e.start());
        match e {
            ast::Expr::Name(n) => Ok(Target::Name(n.id.to_string(), pos)),
            ast::Expr::Subscript(s) => {
                Ok(Target::Index(self.expr(&s.value)?, self.expr(&s.slice)?))
            }
            ast::Expr::Tuple(t) => Ok(Target::Tuple(
                t.elts
                    .iter()
                    .map(|x| self.target(x))
                    .collect::<Result<_, _>>()?,
            )),
            ast::Expr::List(t) => Ok(Target::Tuple(
                t.elts
                    .iter()
                    .map(|x| self.target(x))
                    .collect::<Result<_, _>>()?,
            )),
            ast::Expr::Attribute(_) => Err(unsupported("assigning to an attribute is", pos)),
            _ => Err(Raise::new("SyntaxError", "cannot assign to this expression").at(pos)),
        }
    }

    fn operator(&self, op: ast::Operator, pos: Pos) -> Result<BinOp, Raise> {
        use ast::Operator as O;
        Ok(match op {
            O::Add => BinOp::Add,
            O::Sub => BinOp::Sub,
            O::Mult => BinOp::Mul,
            O::Div => BinOp::Div,
            O::FloorDiv => BinOp::FloorDiv,
            O::Mod => BinOp::Mod,
            O::Pow => BinOp::Pow,
            O::BitAnd => BinOp::And,
            O::BitOr => BinOp::Or,
            O::MatMult => return Err(unsupported("the '@' operator is", pos)),
            O::LShift | O::RShift => return Err(unsupported("shift operators are", pos)),
            O::BitXor => return Err(unsupported("the '^' operator is", pos)),
        })
    }

    fn boxed(&self, e: &ast::Expr) -> Result<Box<Expr>, Raise> {
        Ok(Box::new(self.expr(e)?))
    }

    fn exprs(&self, es: &[ast::Expr]) -> Result<Vec<Expr>, Raise> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&self, e: &ast::Expr) -> Result<Expr, Raise> {
        let pos = self.pos(e.start());
        use ast::Expr as E;
        let kind = match e {
            E::Constant(c) => ExprKind::Const(constant(&c.value, pos)?),
            E::Name(n) => ExprKind::Name(n.id.to_string()),
            E::Attribute(a) => ExprKind::Attr(self.boxed(&a.value)?, a.attr.to_string()),
            E::Call(c) => {
                let mut keywords = Vec::new();
                for k in &c.keywords {
                    match &k.arg {
                        Some(name) => keywords.push((name.to_string(), self.expr(&k.value)?)),
                        None => return Err(unsupported("'**kwargs' unpacking is", pos)),
                    }
                }
                if c.args.iter().any(|a| matches!(a, E::Starred(_))) {
                    return Err(unsupported("'*args' unpacking is", pos));
                }
                ExprKind::Call {
                    func: self.boxed(&c.func)?,
                    args: self.exprs(&c.args)?,
                    keywords,
                }
            }
            E::Subscript(s) => ExprKind::Index(self.boxed(&s.value)?, self.boxed(&s.slice)?),
            E::Slice(s) => {
                let part = |x: &Option<Box<ast::Expr>>| -> Result<Option<Box<Expr>>, Raise> {
                    x.as_ref().map(|v| self.boxed(v)).transpose()
                };
                ExprKind::Slice(part(&s.lower)?, part(&s.upper)?, part(&s.step)?)
            }
            E::BinOp(b) => ExprKind::Binary(
                self.operator(b.op, self.pos(b.left.end()))?,
                self.boxed(&b.left)?,
                self.boxed(&b.right)?,
            ),
            E::UnaryOp(u) => {
                let operand = self.boxed(&u.operand)?;
                match u.op {
                    ast::UnaryOp::UAdd => return Ok(*operand),
                    ast::UnaryOp::USub => ExprKind::Unary(UnaryOp::Neg, operand),
                    ast::UnaryOp::Invert => ExprKind::Unary(UnaryOp::Invert, operand),
                    ast::UnaryOp::Not => ExprKind::Unary(UnaryOp::Not, operand),
                }
            }
            E::BoolOp(b) => ExprKind::Logic(b.op == ast::BoolOp::And, self.exprs(&b.values)?),
            E::Compare(c) => {
                let mut ops = Vec::new();
                for (op, right) in c.ops.iter().zip(&c.comparators) {
                    let op = match op {
                        ast::CmpOp::Eq => CmpOp::Op(BinOp::Eq),
                        ast::CmpOp::NotEq => CmpOp::Op(BinOp::Ne),
                        ast::CmpOp::Lt => CmpOp::Op(BinOp::Lt),
                        ast::CmpOp::LtE => CmpOp::Op(BinOp::Le),
                        ast::CmpOp::Gt => CmpOp::Op(BinOp::Gt),
                        ast::CmpOp::GtE => CmpOp::Op(BinOp::Ge),
                        ast::CmpOp::In => CmpOp::In,
                        ast::CmpOp::NotIn => CmpOp::NotIn,
                        ast::CmpOp::Is => CmpOp::Is,
                        ast::CmpOp::IsNot => CmpOp::IsNot,
                    };
                    ops.push((op, self.expr(right)?));
                }
                ExprKind::Compare(self.boxed(&c.left)?, ops)
            }
            E::IfExp(i) => ExprKind::IfElse(
                self.boxed(&i.test)?,
                self.boxed(&i.body)?,
                self.boxed(&i.orelse)?,
            ),
            E::List(l) => ExprKind::List(self.exprs(&l.elts)?),
            E::Tuple(t) => ExprKind::Tuple(self.exprs(&t.elts)?),
            E::Dict(d) => {
                let mut items = Vec::new();
                for (k, v) in d.keys.iter().zip(&d.values) {
                    match k {
                        Some(k) => items.push((self.expr(k)?, self.expr(v)?)),
                        None => return Err(unsupported("'**' unpacking in dicts is", pos)),
                    }
                }
                ExprKind::Dict(items)
            }
            E::JoinedStr(j) => ExprKind::FString(self.fparts(&j.values)?),
            E::FormattedValue(_) => ExprKind::FString(self.fparts(std::slice::from_ref(e))?),
            E::Lambda(_) => return Err(unsupported("lambda functions are", pos)),
            E::ListComp(_) | E::SetComp(_) | E::DictComp(_) | E::GeneratorExp(_) => {
                return Err(unsupported("comprehensions are", pos))
            }
            E::Set(_) => return Err(unsupported("set literals are", pos)),
            E::NamedExpr(_) => return Err(unsupported("':=' is", pos)),
            E::Await(_) | E::Yield(_) | E::YieldFrom(_) => {
                return Err(unsupported("await/yield are", pos))
            }
            E::Starred(_) => return Err(unsupported("'*' unpacking is", pos)),
        };
        Ok(Expr { pos, kind })
    }

    fn fparts(&self, values: &[ast::Expr]) -> Result<Vec<FPart>, Raise> {
        let mut out = Vec::new();
        for v in values {
            match v {
                ast::Expr::Constant(c) => match &c.value {
                    Constant::Str(s) => out.push(FPart::Lit(s.clone())),
                    _ => out.push(FPart::Lit(String::new())),
                },
                ast::Expr::FormattedValue(f) => {
                    let conversion = f.conversion.to_byte().map(|b| b as char);
                    let spec = match &f.format_spec {
                        Some(spec) => match spec.as_ref() {
                            ast::Expr::JoinedStr(j) => self.fparts(&j.values)?,
                            other => self.fparts(std::slice::from_ref(other))?,
                        },
                        None => Vec::new(),
                    };
                    out.push(FPart::Value {
                        expr: self.expr(&f.value)?,
                        conversion,
                        spec,
                    });
                }
                ast::Expr::JoinedStr(j) => out.extend(self.fparts(&j.values)?),
                other => out.push(FPart::Value {
                    expr: self.expr(other)?,
                    conversion: None,
                    spec: Vec::new(),
                }),
            }
        }
        Ok(out)
    }
}

fn constant(c: &Constant, pos: Pos) -> Result<Obj, Raise> {
    Ok(match c {
        Constant::None => Obj::None,
        Constant::Bool(b) => Obj::Bool(*b),
        Constant::Str(s) => Obj::Str(Arc::from(s.as_str())),
        Constant::Int(i) => Obj::Int(i.to_string().parse::<i64>().map_err(|_| {
            Raise::new(
                "OverflowError",
                format!("integer literal {i} does not fit in 64 bits"),
            )
            .at(pos)
        })?),
        Constant::Float(f) => Obj::Float(*f),
        Constant::Tuple(items) => Obj::Tuple(Arc::new(
            items
                .iter()
                .map(|x| constant(x, pos))
                .collect::<Result<_, _>>()?,
        )),
        Constant::Bytes(_) => return Err(unsupported("bytes literals are", pos)),
        Constant::Complex { .. } => return Err(unsupported("complex numbers are", pos)),
        Constant::Ellipsis => return Err(unsupported("'...' is", pos)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowers_statements_with_positions() {
        let src =
            "import dask.dataframe as dd\n# comment\nx = dd.read_csv('a.csv')\nx['b']\ndel x\n";
        let stmts = parse(src, "t").unwrap();
        assert_eq!(stmts.len(), 4);
        assert_eq!(stmts[1].pos, Pos { line: 3, col: 1 });
        assert_eq!(stmts[1].source, "x = dd.read_csv('a.csv')");
        match &stmts[0].kind {
            StmtKind::Import(b) => {
                assert_eq!(b[0].bind, "dd");
                assert_eq!(b[0].module, "dask.dataframe");
            }
            _ => panic!("not an import"),
        }
        match &stmts[2].kind {
            StmtKind::Expr(Expr {
                kind: ExprKind::Index(_, key),
                ..
            }) => assert_eq!(key.pos, Pos { line: 4, col: 3 }),
            _ => panic!("not an index"),
        }
    }

    #[test]
    fn rejects_loops_at_their_position() {
        let err = parse("x = 1\nfor i in x:\n    pass\n", "t").unwrap_err();
        assert_eq!(err.kind, "SyntaxError");
        assert_eq!(err.pos, Some(Pos { line: 2, col: 1 }));
        assert!(err
            .message
            .contains("'for' loops are not supported in Tessera sessions"));
        let err = parse("y = [i for i in x]", "t").unwrap_err();
        assert_eq!(err.pos, Some(Pos { line: 1, col: 5 }));
    }

    #[test]
    fn syntax_errors_are_placed() {
        let err = parse("x = 1\ny = (2 +\n", "t").unwrap_err();
        assert_eq!(err.kind, "SyntaxError");
        assert_eq!(err.pos, Some(Pos { line: 2, col: 9 }));
        assert!(err.message.starts_with("unexpected end of input"));
        let err = parse("x = 'abc\n", "t").unwrap_err();
        assert_eq!(err.pos, Some(Pos { line: 1, col: 9 }));
        let err = parse("  x = 1", "t").unwrap_err();
        assert_eq!(err.message, "unexpected indent");
        let err = parse("x = = 2", "t").unwrap_err();
        assert_eq!(err.pos, Some(Pos { line: 1, col: 5 }));
    }
}
