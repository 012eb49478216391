//! Spelling and reading doubles the way xapi does.

/// Formats like C's `%.16g` (what xapi writes), falling back to 17 significant digits when 16
/// do not read back as the same double, so encoding never loses a bit. Non-finite values are
/// spelled `inf`, `-inf` and `nan`.
pub(crate) fn format_g(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format_precision(v, 16);
    if s.parse::<f64>().ok() == Some(v) {
        s
    } else {
        format_precision(v, 17)
    }
}

/// `%.{p}g` for a finite double.
fn format_precision(v: f64, p: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", p - 1, v);
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("`{:e}` output always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    if exp < -4 || exp >= p as i32 {
        let m = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_fraction(&format!("{v:.decimals$}")).to_owned()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Reads a double in any spelling servers use: decimal, `inf`/`-inf`/`+inf`, `infinity`,
/// `nan`, `-nan` (any case), surrounding whitespace ignored.
pub(crate) fn parse_f64(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        f64::INFINITY
    } else if body.eq_ignore_ascii_case("nan") {
        f64::NAN
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_matches_c() {
        assert_eq!(format_g(0.0), "0");
        assert_eq!(format_g(1.0), "1");
        assert_eq!(format_g(-2.5), "-2.5");
        assert_eq!(format_g(0.1), "0.1");
        assert_eq!(format_g(1e16), "1e+16");
        assert_eq!(format_g(123456789012345.0), "123456789012345");
        assert_eq!(format_g(1e-5), "1e-05");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(1.5e300), "1.5e+300");
        assert_eq!(format_g(f64::INFINITY), "inf");
        assert_eq!(format_g(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_g(f64::NAN), "nan");
        assert_eq!(format_g(1_326_210_000.0), "1326210000");
    }

    #[test]
    fn g_format_round_trips() {
        for v in [
            0.1 + 0.2,
            std::f64::consts::PI,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -1.0 / 3.0,
        ] {
            assert_eq!(format_g(v).parse::<f64>().unwrap(), v, "{v}");
        }
    }

    #[test]
    fn parses_non_finite_spellings() {
        assert_eq!(parse_f64("inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(" +INF "), Some(f64::INFINITY));
        assert!(parse_f64("NaN").unwrap().is_nan());
        assert!(parse_f64("-nan").unwrap().is_nan());
        assert_eq!(parse_f64("1.5"), Some(1.5));
        assert_eq!(parse_f64("1.5x"), None);
        assert_eq!(parse_f64(""), None);
    }
}
