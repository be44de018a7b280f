//! Timestamps: milliseconds since the Unix epoch, written as RFC 3339 in UTC
//! (`2026-11-21T08:40:12.345Z`), and shown to people as "5 min ago".
//!
//! Hand-rolled (Howard Hinnant's civil-date algorithms) so the browser bundle needs no
//! date crate.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::js::{FromJs, Json};

/// A moment in time, to the millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// The current time.
    #[cfg(not(feature = "hydrate"))]
    pub fn now() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    /// The current time.
    #[cfg(feature = "hydrate")]
    pub fn now() -> Self {
        Self(js_sys::Date::now() as i64)
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// "just now", "4 min ago", "3 h ago", "2 d ago", or the date for older moments.
    pub fn relative_to(self, now: Timestamp) -> String {
        let seconds = (now.0 - self.0).max(0) / 1000;
        match seconds {
            0..45 => "just now".into(),
            45..3_600 => format!("{} min ago", (seconds + 30) / 60),
            3_600..86_400 => format!("{} h ago", seconds / 3_600),
            86_400..604_800 => format!("{} d ago", seconds / 86_400),
            _ => self.to_string()[..10].to_owned(),
        }
    }

    /// The exact time for people, from the RFC 3339 text this type writes (which pages
    /// need anyway): `2026-11-21 08:40:12 UTC`.
    pub fn exact_of(rfc3339: &str) -> String {
        let (date, time) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
        [date, " ", time.get(..8).unwrap_or(time), " UTC"].concat()
    }

    /// Parses the RFC 3339 form this type writes (UTC, optional fraction).
    fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i64> { text.get(range)?.parse().ok() };
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || *b.last()? != b'Z' {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let fraction = &text[19..text.len() - 1];
        let millis = match fraction.strip_prefix('.') {
            None if fraction.is_empty() => 0,
            Some(digits) if (1..=9).contains(&digits.len()) => {
                format!("{digits:0<3}")[..3].parse().ok()?
            }
            _ => return None,
        };
        let valid = (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then(|| {
            let days = days_from_civil(year, month, day);
            Self(days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis)
        })
    }
}

impl Timestamp {
    /// Year, month, day, hour, minute, second, millisecond, in UTC.
    fn parts(self) -> [i64; 7] {
        let (days, ms) = (self.0.div_euclid(MS_PER_DAY), self.0.rem_euclid(MS_PER_DAY));
        let (year, month, day) = civil_from_days(days);
        let secs = ms / 1000;
        [
            year,
            month,
            day,
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ms % 1000,
        ]
    }
}

impl fmt::Display for Timestamp {
    /// Written digit by digit for the years 0–9999: pages format every message's time several
    /// times, and `write!` with padding was a tenth of a page render.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = self.parts();
        let [year, month, day, hour, minute, second, millis] = parts;
        if !(0..=9999).contains(&year) {
            return write!(
                f,
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"
            );
        }
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let fields = [(0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2), (20, 3)];
        for ((at, width), mut value) in fields.into_iter().zip(parts) {
            for digit in text[at..at + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromJs for Timestamp {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        Self::parse(&value.text()?)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not an RFC 3339 UTC timestamp"))
        })
    }
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::native::{parse, round_trip};

    #[test]
    fn the_epoch_and_a_leap_day_are_written_in_rfc_3339() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(951_782_400_123).to_string(),
            "2000-02-29T00:00:00.123Z"
        );
    }

    #[test]
    fn years_past_9999_are_written_with_more_digits() {
        assert_eq!(
            Timestamp(253_402_300_799_999).to_string(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp(253_402_300_800_000).to_string(),
            "10000-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        for ms in [0, 1, 999, 86_399_999, 1_795_000_000_000, 4_102_444_800_000] {
            let text = Timestamp(ms).to_string();
            assert_eq!(Timestamp::parse(&text), Some(Timestamp(ms)), "{text}");
        }
    }

    #[test]
    fn json_carries_the_rfc_3339_string() {
        let json = serde_json::to_string(&Timestamp(1_000)).unwrap();
        assert_eq!(json, "\"1970-01-01T00:00:01.000Z\"");
        assert_eq!(
            serde_json::from_str::<Timestamp>(&json).unwrap(),
            Timestamp(1_000)
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn relative_times_read_like_a_person_would_say_them() {
        let now = Timestamp(10 * MS_PER_DAY);
        let ago = |secs: i64| Timestamp(now.0 - secs * 1000).relative_to(now);
        assert_eq!(ago(3), "just now");
        assert_eq!(ago(5 * 60), "5 min ago");
        assert_eq!(ago(3 * 3600), "3 h ago");
        assert_eq!(ago(2 * 86_400), "2 d ago");
        assert_eq!(ago(9 * 86_400), "1970-01-02");
    }

    #[test]
    fn the_exact_time_is_shown_in_utc() {
        assert_eq!(
            Timestamp::exact_of(&Timestamp(951_782_400_123).to_string()),
            "2000-02-29 00:00:00 UTC"
        );
    }

    #[test]
    fn a_timestamp_reads_back_in_the_browser_as_it_was_written() {
        let moments = [
            -1,
            0,
            999,
            951_782_400_123,
            1_795_000_000_000,
            253_402_300_799_999,
        ];
        for ms in moments {
            assert_eq!(round_trip(&Timestamp(ms)), Some(Timestamp(ms)));
        }
        assert_eq!(parse::<Timestamp>("\"yesterday\""), None);
        assert_eq!(parse::<Timestamp>("1795000000000"), None);
    }
}
