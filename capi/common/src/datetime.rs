//! XenAPI datetimes <-> `time_t`.
//!
//! xapi's datetimes are UTC. The original libraries converted them with `mktime`, i.e. as
//! local time, which shifts every value by the caller's UTC offset; this library converts
//! as UTC (the arithmetic of `timegm`, done here so it does not depend on the C library).

/// The serde newtype name under which `xenapi::wire` carries a datetime.
pub const SERDE_NAME: &str = "$xenapi::DateTime";

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Parses `YYYYMMDDTHH:MM:SSZ` and the variants xapi has been seen to send (dashes in the
/// date, no `Z`, fractional seconds, a `+HH:MM`/`-HH:MM` offset) into seconds since the epoch.
pub fn parse(s: &str) -> Option<i64> {
    // Seconds since the epoch as a float (`1627478400.`, sent by xapi's SDK tests).
    if s.trim()
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return xenapi::DateTime::parse(s).ok().map(|d| d.unix_seconds());
    }
    let mut digits: Vec<u8> = Vec::with_capacity(14);
    let mut rest = s.trim().as_bytes();
    // Date and time digits, skipping the separators '-', 'T', ':'.
    while digits.len() < 14 {
        let (&c, tail) = rest.split_first()?;
        match c {
            b'0'..=b'9' => digits.push(c - b'0'),
            b'-' | b':' | b'T' | b't' | b' ' if !digits.is_empty() => {}
            _ => return None,
        }
        rest = tail;
    }
    let num = |r: std::ops::Range<usize>| digits[r].iter().fold(0i64, |a, &d| a * 10 + d as i64);
    let (y, mo, d) = (num(0..4), num(4..6), num(6..8));
    let (h, mi, sec) = (num(8..10), num(10..12), num(12..14));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &tail[n..];
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tz @ ..] => {
            let tz: Vec<i64> = tz
                .iter()
                .filter(|c| **c != b':')
                .map(|c| c.is_ascii_digit().then(|| (c - b'0') as i64))
                .collect::<Option<_>>()?;
            if tz.len() != 4 {
                return None;
            }
            let secs = (tz[0] * 10 + tz[1]) * 3600 + (tz[2] * 10 + tz[3]) * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// Formats seconds since the epoch as xapi's `YYYYMMDDTHH:MM:SSZ`.
pub fn format(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_xapi_spellings_as_utc() {
        assert_eq!(parse("19700101T00:00:00Z"), Some(0));
        assert_eq!(parse("20170512T10:23:45Z"), Some(1_494_584_625));
        assert_eq!(parse("20170512T10:23:45"), Some(1_494_584_625));
        assert_eq!(parse("2017-05-12T10:23:45Z"), Some(1_494_584_625));
        assert_eq!(parse("20170512T10:23:45.123Z"), Some(1_494_584_625));
        assert_eq!(parse("20170512T12:23:45+02:00"), Some(1_494_584_625));
        assert_eq!(parse("1494584625."), Some(1_494_584_625));
        assert_eq!(parse("1494584625.5"), Some(1_494_584_625));
        assert_eq!(parse("garbage"), None);
        assert_eq!(parse("20171312T10:23:45Z"), None);
    }

    #[test]
    fn formats_round_trip() {
        for t in [0, 1_494_584_625, -86_401, 4_102_444_800] {
            assert_eq!(parse(&format(t)), Some(t), "{}", format(t));
        }
        assert_eq!(format(1_494_584_625), "20170512T10:23:45Z");
    }
}
