//! Dates as Kafka's tools read and print them: `--to-datetime`'s ISO 8601 form with
//! milliseconds, and the perf tools' `yyyy-MM-dd HH:mm:ss:SSS` (in UTC).

/// A `--to-datetime` value (`YYYY-MM-DDTHH:mm:SS.sss`, optionally followed by `Z`, `+hh`,
/// `+hhmm` or `+hh:mm`; UTC without one) as milliseconds since the epoch.
pub fn parse(text: &str) -> Result<i64, String> {
    let unparseable = || format!("Unparseable date: \"{text}\"");
    let Some((date, time)) = text.split_once('T') else {
        return Err(
            "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format"
                .to_string(),
        );
    };
    let number = |s: &str, len: usize| -> Result<i64, String> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| unparseable())
        } else {
            Err(unparseable())
        }
    };
    let date: Vec<&str> = date.split('-').collect();
    let [year, month, day] = date.as_slice() else {
        return Err(unparseable());
    };
    let (year, month, day) = (number(year, 4)?, number(month, 2)?, number(day, 2)?);
    if time.len() < 12 {
        return Err(unparseable());
    }
    let (clock, zone) = time.split_at(12);
    let bytes = clock.as_bytes();
    if bytes[2] != b':' || bytes[5] != b':' || bytes[8] != b'.' {
        return Err(unparseable());
    }
    let hour = number(&clock[0..2], 2)?;
    let minute = number(&clock[3..5], 2)?;
    let second = number(&clock[6..8], 2)?;
    let millis = number(&clock[9..12], 3)?;
    let offset_minutes = match zone {
        "" | "Z" => 0,
        _ => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(unparseable()),
            };
            let digits = zone[1..].replace(':', "");
            let (hours, minutes) = match digits.len() {
                2 => (number(&digits, 2)?, 0),
                4 => (number(&digits[..2], 2)?, number(&digits[2..], 2)?),
                _ => return Err(unparseable()),
            };
            sign * (hours * 60 + minutes)
        }
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return Err(unparseable()),
    };
    if !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return Err(unparseable());
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_minutes * 60;
    Ok(seconds * 1000 + millis)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of the proleptic Gregorian calendar `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Milliseconds since the epoch as `yyyy-MM-dd HH:mm:ss:SSS`, in UTC.
pub fn format_millis(millis: i64) -> String {
    let (days, in_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let seconds = in_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}:{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        in_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_datetimes_as_kafka_does() {
        assert_eq!(parse("1970-01-01T00:00:00.000"), Ok(0));
        assert_eq!(parse("2020-11-10T16:51:38.198"), Ok(1_605_027_098_198));
        assert_eq!(
            parse("2020-11-10T16:51:38.198+08:00"),
            parse("2020-11-10T08:51:38.198Z")
        );
        assert_eq!(
            parse("2020-11-10T16:51:38.198+0800"),
            parse("2020-11-10T16:51:38.198+08")
        );
        assert!(parse("2020-11-10").is_err());
        assert!(parse("2020-02-30T00:00:00.000").is_err());
        assert!(parse("2020-11-10T16:51:38").is_err());
    }

    #[test]
    fn formats_as_the_perf_tools_do() {
        assert_eq!(format_millis(0), "1970-01-01 00:00:00:000");
        assert_eq!(format_millis(1_605_027_098_198), "2020-11-10 16:51:38:198");
        assert_eq!(format_millis(951_782_400_000), "2000-02-29 00:00:00:000");
    }
}
