//! CF time: units like `days since 1850-01-01`, the CF calendars, dates for display and `sel`.
//!
//! Values stay numbers in the file's units; dates are computed only to show or to select. Day
//! numbers are Julian day numbers for the real-world calendars (standard = Julian before 1582-10-15,
//! Gregorian after, as cftime does) and simple counts for the model calendars.

use std::fmt;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    /// `standard`/`gregorian`: Julian before 1582-10-15, Gregorian after.
    Standard,
    ProlepticGregorian,
    Julian,
    /// `noleap`/`365_day`.
    NoLeap,
    /// `all_leap`/`366_day`.
    AllLeap,
    /// `360_day`: twelve months of thirty days.
    Day360,
}

const CUM_NOLEAP: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
const CUM_LEAP: [i64; 13] = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366];

impl Calendar {
    /// Parse a CF `calendar` attribute (case-insensitive; absent means standard).
    pub fn parse(s: &str) -> Result<Calendar> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "" | "standard" | "gregorian" => Calendar::Standard,
            "proleptic_gregorian" => Calendar::ProlepticGregorian,
            "julian" => Calendar::Julian,
            "noleap" | "365_day" => Calendar::NoLeap,
            "all_leap" | "366_day" => Calendar::AllLeap,
            "360_day" => Calendar::Day360,
            other => return Err(Error::value(format!("unknown CF calendar '{other}'"))),
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Calendar::Standard => "standard",
            Calendar::ProlepticGregorian => "proleptic_gregorian",
            Calendar::Julian => "julian",
            Calendar::NoLeap => "noleap",
            Calendar::AllLeap => "all_leap",
            Calendar::Day360 => "360_day",
        }
    }
    /// True for calendars numpy's datetime64 can represent (xarray shows those as datetime64).
    pub fn is_numpy(self) -> bool {
        matches!(self, Calendar::Standard | Calendar::ProlepticGregorian)
    }

    fn is_leap(self, y: i64) -> bool {
        match self {
            Calendar::NoLeap | Calendar::Day360 => false,
            Calendar::AllLeap => true,
            Calendar::Julian => y.rem_euclid(4) == 0,
            Calendar::ProlepticGregorian => greg_leap(y),
            Calendar::Standard => {
                if y < 1582 {
                    y.rem_euclid(4) == 0
                } else {
                    greg_leap(y)
                }
            }
        }
    }

    /// Days in month `m` (1-based) of year `y`.
    pub fn month_days(self, y: i64, m: u32) -> u32 {
        if self == Calendar::Day360 {
            return 30;
        }
        let cum = if self.is_leap(y) {
            &CUM_LEAP
        } else {
            &CUM_NOLEAP
        };
        (cum[m as usize] - cum[m as usize - 1]) as u32
    }

    /// The day number of a date (consecutive days have consecutive numbers).
    pub fn day_number(self, y: i64, m: u32, d: u32) -> i64 {
        let (mi, di) = (m as i64, d as i64);
        match self {
            Calendar::NoLeap => 365 * y + CUM_NOLEAP[m as usize - 1] + di - 1,
            Calendar::AllLeap => 366 * y + CUM_LEAP[m as usize - 1] + di - 1,
            Calendar::Day360 => 360 * y + 30 * (mi - 1) + di - 1,
            Calendar::ProlepticGregorian => jdn(y, mi, di, true),
            Calendar::Julian => jdn(y, mi, di, false),
            Calendar::Standard => {
                let g = (y, m, d) >= (1582, 10, 15);
                jdn(y, mi, di, g)
            }
        }
    }

    /// The date of a day number (inverse of [`Calendar::day_number`]).
    pub fn date_of(self, n: i64) -> (i64, u32, u32) {
        let from_cum = |n: i64, len: i64, cum: &[i64; 13]| {
            let y = n.div_euclid(len);
            let doy = n.rem_euclid(len);
            let m = (1..=12).find(|&m| doy < cum[m]).unwrap_or(12);
            (y, m as u32, (doy - cum[m - 1] + 1) as u32)
        };
        match self {
            Calendar::NoLeap => from_cum(n, 365, &CUM_NOLEAP),
            Calendar::AllLeap => from_cum(n, 366, &CUM_LEAP),
            Calendar::Day360 => {
                let y = n.div_euclid(360);
                let doy = n.rem_euclid(360);
                (y, (doy / 30 + 1) as u32, (doy % 30 + 1) as u32)
            }
            Calendar::ProlepticGregorian => from_jdn(n, true),
            Calendar::Julian => from_jdn(n, false),
            Calendar::Standard => from_jdn(n, n >= 2_299_161),
        }
    }
}

fn greg_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Julian day number of a date (valid from year -4712 on).
fn jdn(y: i64, m: i64, d: i64, gregorian: bool) -> i64 {
    let a = (14 - m) / 12;
    let yy = y + 4800 - a;
    let mm = m + 12 * a - 3;
    let base = d + (153 * mm + 2) / 5 + 365 * yy + yy.div_euclid(4);
    if gregorian {
        base - yy.div_euclid(100) + yy.div_euclid(400) - 32045
    } else {
        base - 32083
    }
}

/// Richards' algorithm: date of a Julian day number.
fn from_jdn(j: i64, gregorian: bool) -> (i64, u32, u32) {
    let mut f = j + 1401;
    if gregorian {
        f += (((4 * j + 274_277).div_euclid(146_097)) * 3).div_euclid(4) - 38;
    }
    let e = 4 * f + 3;
    let g = e.rem_euclid(1461).div_euclid(4);
    let h = 5 * g + 2;
    let d = h.rem_euclid(153).div_euclid(5) + 1;
    let m = (h.div_euclid(153) + 2).rem_euclid(12) + 1;
    let y = e.div_euclid(1461) - 4716 + (12 + 2 - m).div_euclid(12);
    (y, m as u32, d as u32)
}

/// A date and time in some calendar.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct CfDate {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: f64,
}

impl CfDate {
    pub fn ymd(year: i64, month: u32, day: u32) -> CfDate {
        CfDate {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0.0,
        }
    }
    fn seconds_of_day(&self) -> f64 {
        self.hour as f64 * 3600.0 + self.minute as f64 * 60.0 + self.second
    }
    /// `2015-01-01 12:00:00` (cftime's style); `iso` puts a `T` between date and time (numpy's).
    pub fn format(&self, iso: bool) -> String {
        let sep = if iso { 'T' } else { ' ' };
        let s = self.second;
        let sec = if s.fract().abs() < 1e-6 {
            format!("{:02}", s.round() as u32)
        } else {
            format!("{s:09.6}")
        };
        format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{sec}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }
}

impl fmt::Display for CfDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(false))
    }
}

/// Parsed CF time units plus calendar: converts between numbers and dates.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeUnits {
    /// Seconds per unit (86400 for days).
    pub unit_seconds: f64,
    pub unit_name: String,
    pub epoch: CfDate,
    pub calendar: Calendar,
}

impl TimeUnits {
    /// Parse `"<unit> since <date>"` with a calendar name.
    pub fn parse(units: &str, calendar: &str) -> Result<TimeUnits> {
        let calendar = Calendar::parse(calendar)?;
        let bad = || Error::value(format!("cannot parse CF time units '{units}'"));
        let (unit, since) = units.split_once(" since ").ok_or_else(bad)?;
        let unit_seconds = match unit.trim().to_ascii_lowercase().as_str() {
            "days" | "day" | "d" => 86400.0,
            "hours" | "hour" | "hr" | "h" => 3600.0,
            "minutes" | "minute" | "min" => 60.0,
            "seconds" | "second" | "sec" | "secs" | "s" => 1.0,
            "milliseconds" | "millisecond" | "msec" | "ms" => 1e-3,
            "microseconds" | "microsecond" | "us" => 1e-6,
            _ => return Err(bad()),
        };
        let (epoch, _) = parse_date(since.trim(), calendar).map_err(|_| bad())?;
        Ok(TimeUnits {
            unit_seconds,
            unit_name: unit.trim().to_string(),
            epoch,
            calendar,
        })
    }

    /// The units string as CF writes it.
    pub fn units_string(&self) -> String {
        format!("{} since {}", self.unit_name, self.epoch.format(false))
    }

    /// The date of a number in these units.
    pub fn decode(&self, v: f64) -> CfDate {
        let total = self.epoch.seconds_of_day() + v * self.unit_seconds;
        // Round to microseconds so 0.5 days is exactly noon.
        let total = (total * 1e6).round() / 1e6;
        let days = (total / 86400.0).floor();
        let mut sod = total - days * 86400.0;
        if sod >= 86400.0 {
            sod = 0.0;
        }
        let epoch_day = self
            .calendar
            .day_number(self.epoch.year, self.epoch.month, self.epoch.day);
        let (year, month, day) = self.calendar.date_of(epoch_day + days as i64);
        let hour = (sod / 3600.0).floor() as u32;
        let minute = ((sod - hour as f64 * 3600.0) / 60.0).floor() as u32;
        let second = sod - hour as f64 * 3600.0 - minute as f64 * 60.0;
        CfDate {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    /// The number for a date in these units.
    pub fn encode(&self, d: &CfDate) -> f64 {
        let cal = self.calendar;
        let days = cal.day_number(d.year, d.month, d.day)
            - cal.day_number(self.epoch.year, self.epoch.month, self.epoch.day);
        let secs = days as f64 * 86400.0 + d.seconds_of_day() - self.epoch.seconds_of_day();
        secs / self.unit_seconds
    }
}

/// How precise a date string is (for partial-string selection like `"2015-01"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resolution {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

/// Parse `YYYY[-MM[-DD[( |T)HH[:MM[:SS]]]]]` in a calendar; checks the day exists in it.
pub fn parse_date(s: &str, cal: Calendar) -> Result<(CfDate, Resolution)> {
    let bad = |why: &str| Error::value(format!("cannot parse date '{s}': {why}"));
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let neg = date.starts_with('-');
    let parts: Vec<&str> = date.trim_start_matches('-').split('-').collect();
    let num = |p: &str| p.parse::<i64>().map_err(|_| bad("expected numbers"));
    let mut year = num(parts[0])?;
    if neg {
        year = -year;
    }
    let month = parts.get(1).map(|p| num(p)).transpose()?.unwrap_or(1) as u32;
    let day = parts.get(2).map(|p| num(p)).transpose()?.unwrap_or(1) as u32;
    if parts.len() > 3 || !(1..=12).contains(&month) {
        return Err(bad("month must be 1..12"));
    }
    if day < 1 || day > cal.month_days(year, month) {
        return Err(bad(&format!("no such day in the {} calendar", cal.name())));
    }
    let mut res = [Resolution::Year, Resolution::Month, Resolution::Day][parts.len() - 1];
    let mut d = CfDate::ymd(year, month, day);
    if let Some(t) = time.filter(|t| !t.is_empty()) {
        let tp: Vec<&str> = t.split(':').collect();
        let h = num(tp[0])?;
        let mi = tp.get(1).map(|p| num(p)).transpose()?.unwrap_or(0);
        let sec = match tp.get(2) {
            Some(p) => p.parse::<f64>().map_err(|_| bad("bad seconds"))?,
            None => 0.0,
        };
        if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0.0..61.0).contains(&sec) {
            return Err(bad("time out of range"));
        }
        d.hour = h as u32;
        d.minute = mi as u32;
        d.second = sec;
        res = [Resolution::Hour, Resolution::Minute, Resolution::Second][tp.len().min(3) - 1];
    }
    Ok((d, res))
}

/// The first instant after the period a partial date names (`2015-01` → `2015-02-01`).
pub fn period_end(d: &CfDate, res: Resolution, cal: Calendar) -> CfDate {
    let day_n = cal.day_number(d.year, d.month, d.day);
    let plus_secs = |s: f64| {
        let total = d.seconds_of_day() + s;
        let extra_days = (total / 86400.0).floor();
        let sod = total - extra_days * 86400.0;
        let (y, m, dd) = cal.date_of(day_n + extra_days as i64);
        CfDate {
            year: y,
            month: m,
            day: dd,
            hour: (sod / 3600.0).floor() as u32,
            minute: ((sod % 3600.0) / 60.0).floor() as u32,
            second: sod % 60.0,
        }
    };
    match res {
        Resolution::Year => CfDate::ymd(d.year + 1, 1, 1),
        Resolution::Month if d.month == 12 => CfDate::ymd(d.year + 1, 1, 1),
        Resolution::Month => CfDate::ymd(d.year, d.month + 1, 1),
        Resolution::Day => plus_secs(86400.0),
        Resolution::Hour => plus_secs(3600.0),
        Resolution::Minute => plus_secs(60.0),
        Resolution::Second => plus_secs(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noleap_days_since_1850() {
        let u = TimeUnits::parse("days since 1850-01-01", "noleap").unwrap();
        // 165 years of 365 days, then noon.
        assert_eq!(u.decode(60225.5).format(false), "2015-01-01 12:00:00");
        assert_eq!(
            u.decode(60225.0 + 59.0).format(false),
            "2015-03-01 00:00:00"
        );
        assert_eq!(u.encode(&CfDate::ymd(2015, 1, 1)), 60225.0);
        assert!(parse_date("2016-02-29", Calendar::NoLeap).is_err());
    }

    #[test]
    fn day360_and_standard_calendars() {
        let u = TimeUnits::parse("hours since 2000-01-01 00:00:00", "360_day").unwrap();
        assert_eq!(u.decode(24.0 * 30.0).format(false), "2000-02-01 00:00:00");
        assert_eq!(
            u.decode(24.0 * 359.0 + 6.0).format(false),
            "2000-12-30 06:00:00"
        );
        let (d, _) = parse_date("2000-02-30", Calendar::Day360).unwrap();
        assert_eq!(u.encode(&d), 24.0 * 59.0);
        let s = TimeUnits::parse("days since 1970-01-01", "standard").unwrap();
        assert_eq!(s.decode(19723.0).format(true), "2024-01-01T00:00:00");
        assert_eq!(s.decode(-141427.0).format(false), "1582-10-15 00:00:00");
        assert_eq!(s.decode(-141428.0).format(false), "1582-10-04 00:00:00");
        let p = TimeUnits::parse("seconds since 1970-01-01", "proleptic_gregorian").unwrap();
        assert_eq!(p.decode(951_782_400.0).format(false), "2000-02-29 00:00:00");
    }

    #[test]
    fn partial_dates_end_at_the_next_period() {
        let (d, r) = parse_date("2015-12", Calendar::NoLeap).unwrap();
        assert_eq!(period_end(&d, r, Calendar::NoLeap), CfDate::ymd(2016, 1, 1));
        let (d, r) = parse_date("2000-02-30", Calendar::Day360).unwrap();
        assert_eq!(period_end(&d, r, Calendar::Day360), CfDate::ymd(2000, 3, 1));
        assert!(TimeUnits::parse("months since 2000-01-01", "standard").is_err());
    }
}
