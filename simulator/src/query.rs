//! The expressions of `get_all_records_where`: `field "name" = "value"`, `true`, `false`,
//! combined with `and`, `or`, `not` and parentheses. Values compare as the strings xapi's
//! database holds (`"true"`, `"42"`, enum names).

use crate::error::Failure;
use crate::model::Class;
use crate::store::Record;
use crate::value::V;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `true` / `false`
    Const(bool),
    /// `field "f" = "v"` (or `<>` when `.2` is false)
    FieldEq(String, String, bool),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `not a`
    Not(Box<Expr>),
}

impl Expr {
    /// Whether a record satisfies the expression.
    pub fn matches(&self, class: &Class, rec: &Record) -> bool {
        match self {
            Expr::Const(b) => *b,
            Expr::FieldEq(f, v, eq) => {
                let hit = class
                    .field(f)
                    .is_some_and(|fi| db_string(&rec[fi]).as_deref() == Some(v.as_str()));
                hit == *eq
            }
            Expr::And(a, b) => a.matches(class, rec) && b.matches(class, rec),
            Expr::Or(a, b) => a.matches(class, rec) || b.matches(class, rec),
            Expr::Not(a) => !a.matches(class, rec),
        }
    }
}

fn db_string(v: &V) -> Option<String> {
    match v {
        V::Str(s) | V::DateTime(s) => Some(s.clone()),
        V::Int(i) => Some(i.to_string()),
        V::Bool(b) => Some(b.to_string()),
        V::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Eq,
    Ne,
    Open,
    Close,
}

/// Parses an expression, or fails with `INVALID_VALUE [expr, text]`... as a clear failure.
pub fn parse(text: &str) -> Result<Expr, Failure> {
    let bad = || Failure::new("INVALID_VALUE", ["expr", text]);
    let toks = lex(text).ok_or_else(bad)?;
    let mut pos = 0;
    let e = parse_or(&toks, &mut pos).ok_or_else(bad)?;
    if pos != toks.len() {
        return Err(bad());
    }
    Ok(e)
}

fn lex(s: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '=' => {
                chars.next();
                out.push(Tok::Eq);
            }
            '<' => {
                chars.next();
                if chars.next()? != '>' {
                    return None;
                }
                out.push(Tok::Ne);
            }
            '"' => {
                chars.next();
                let mut q = String::new();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => q.push(chars.next()?),
                        x => q.push(x),
                    }
                }
                out.push(Tok::Quoted(q));
            }
            _ => {
                let mut w = String::new();
                while let Some(&x) = chars.peek() {
                    if x.is_alphanumeric() || x == '_' {
                        w.push(x);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if w.is_empty() {
                    return None;
                }
                out.push(Tok::Word(w.to_ascii_lowercase()));
            }
        }
    }
    Some(out)
}

fn word(toks: &[Tok], pos: usize, w: &str) -> bool {
    matches!(toks.get(pos), Some(Tok::Word(x)) if x == w)
}

fn parse_or(toks: &[Tok], pos: &mut usize) -> Option<Expr> {
    let mut e = parse_and(toks, pos)?;
    while word(toks, *pos, "or") {
        *pos += 1;
        e = Expr::Or(Box::new(e), Box::new(parse_and(toks, pos)?));
    }
    Some(e)
}

fn parse_and(toks: &[Tok], pos: &mut usize) -> Option<Expr> {
    let mut e = parse_atom(toks, pos)?;
    while word(toks, *pos, "and") {
        *pos += 1;
        e = Expr::And(Box::new(e), Box::new(parse_atom(toks, pos)?));
    }
    Some(e)
}

fn parse_atom(toks: &[Tok], pos: &mut usize) -> Option<Expr> {
    match toks.get(*pos)? {
        Tok::Open => {
            *pos += 1;
            let e = parse_or(toks, pos)?;
            (toks.get(*pos)? == &Tok::Close).then_some(())?;
            *pos += 1;
            Some(e)
        }
        Tok::Word(w) if w == "not" => {
            *pos += 1;
            Some(Expr::Not(Box::new(parse_atom(toks, pos)?)))
        }
        Tok::Word(w) if w == "true" || w == "false" => {
            *pos += 1;
            Some(Expr::Const(w == "true"))
        }
        Tok::Word(w) if w == "field" => {
            let Tok::Quoted(f) = toks.get(*pos + 1)? else {
                return None;
            };
            let eq = match toks.get(*pos + 2)? {
                Tok::Eq => true,
                Tok::Ne => false,
                _ => return None,
            };
            let Tok::Quoted(v) = toks.get(*pos + 3)? else {
                return None;
            };
            *pos += 4;
            Some(Expr::FieldEq(f.clone(), v.clone(), eq))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_xapi_style_expressions() {
        let e =
            parse(r#"field "power_state" = "Running" and not (field "is_a_template" = "true")"#)
                .unwrap();
        assert!(matches!(e, Expr::And(..)));
        assert_eq!(parse("true").unwrap(), Expr::Const(true));
        assert!(parse(r#"field "x" ="#).is_err());
    }
}
