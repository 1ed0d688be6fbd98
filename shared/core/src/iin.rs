//! IIN (ИИН / ЖСН): the 12-digit individual identification number.
//!
//! Digits 1-6 are the birth date YYMMDD, digit 7 the century and sex (1/2: 1800s, 3/4: 1900s,
//! 5/6: 2000s; odd male, even female), digit 12 the check digit (service.md, "IIN check digit").

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid IIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IinError {
    #[error("an IIN has exactly 12 digits")]
    Format,
    #[error("the century digit must be 1 to 6")]
    Century,
    #[error("digits 1-6 are not a real birth date")]
    BirthDate,
    #[error("the birth date is in the future")]
    FutureBirthDate,
    #[error("the check digit does not match")]
    CheckDigit,
}

/// A valid IIN. Construct with [`Iin::parse`]; the birth date and sex come from its digits.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iin(String);

impl Iin {
    /// Validates format, century digit, birth date and check digit. `today` bounds the birth date.
    pub fn parse(s: &str, today: NaiveDate) -> Result<Iin, IinError> {
        let iin = Self::parse_unchecked_date(s)?;
        if iin.birth_date() > today {
            return Err(IinError::FutureBirthDate);
        }
        Ok(iin)
    }

    /// Validates everything but "not in the future" (used when reading stored data).
    fn parse_unchecked_date(s: &str) -> Result<Iin, IinError> {
        let bytes = s.as_bytes();
        if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(IinError::Format);
        }
        let d: Vec<u32> = bytes.iter().map(|b| u32::from(b - b'0')).collect();
        if !(1..=6).contains(&d[6]) {
            return Err(IinError::Century);
        }
        if birth_date_of(&d).is_none() {
            return Err(IinError::BirthDate);
        }
        if check_digit(&d) != Some(d[11]) {
            return Err(IinError::CheckDigit);
        }
        Ok(Iin(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in digits 1-6 and the century digit.
    pub fn birth_date(&self) -> NaiveDate {
        let d: Vec<u32> = self.0.bytes().map(|b| u32::from(b - b'0')).collect();
        // Checked in parse: an Iin always holds a real date.
        birth_date_of(&d).unwrap_or(NaiveDate::MIN)
    }

    /// Masked for display and logs: `0101••••••12`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any IIN-like string for logs and display, keeping the first 4 and last 2 characters.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 6 {
        return "••••".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}••••••{tail}")
}

fn birth_date_of(d: &[u32]) -> Option<NaiveDate> {
    let century = match d[6] {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        _ => return None,
    };
    let year = century + (d[0] * 10 + d[1]) as i32;
    NaiveDate::from_ymd_opt(year, d[2] * 10 + d[3], d[4] * 10 + d[5])
}

/// The check digit over digits 1-11, or `None` when both weight rounds give 10 (invalid IIN).
pub fn check_digit(d: &[u32]) -> Option<u32> {
    const W1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const W2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    let sum = |w: &[u32; 11]| d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11;
    match sum(&W1) {
        10 => match sum(&W2) {
            10 => None,
            c => Some(c),
        },
        c => Some(c),
    }
}

/// Builds a valid IIN from a birth date, sex digit rule and serial (for seed data, tests and benches).
/// Returns `None` when the serial gives a check digit of 10 twice; try the next serial.
pub fn make_iin(birth: NaiveDate, male: bool, serial: u32) -> Option<Iin> {
    use chrono::Datelike;
    let century = match birth.year() {
        1800..=1899 => 1,
        1900..=1999 => 3,
        2000..=2099 => 5,
        _ => return None,
    } + u32::from(!male);
    let body = format!(
        "{:02}{:02}{:02}{}{:04}",
        birth.year() % 100,
        birth.month(),
        birth.day(),
        century,
        serial % 10_000
    );
    let d: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    let c = check_digit(&d)?;
    Some(Iin(format!("{body}{c}")))
}

impl TryFrom<String> for Iin {
    type Error = IinError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Iin::parse_unchecked_date(&s)
    }
}

impl From<Iin> for String {
    fn from(i: Iin) -> String {
        i.0
    }
}

impl fmt::Display for Iin {
    /// Displays masked, so an IIN never reaches a log in full by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iin({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn known_valid_iins() {
        // Built by hand with the spec's algorithm: 870412 3 0011 -> check 0? compute via make_iin.
        let i = make_iin(NaiveDate::from_ymd_opt(2022, 3, 15).unwrap(), true, 123).unwrap();
        assert_eq!(&i.as_str()[..7], "2203155");
        assert_eq!(
            i.birth_date(),
            NaiveDate::from_ymd_opt(2022, 3, 15).unwrap()
        );
        assert!(Iin::parse(i.as_str(), today()).is_ok());
        let f = make_iin(NaiveDate::from_ymd_opt(1990, 1, 31).unwrap(), false, 7).unwrap();
        assert_eq!(&f.as_str()[6..7], "4");
        assert_eq!(
            f.birth_date(),
            NaiveDate::from_ymd_opt(1990, 1, 31).unwrap()
        );
    }

    #[test]
    fn check_digit_first_round() {
        // 9001013 0000 ? : sum = 9*1+0+0+1*4+0+1*6+3*7 = 40 -> 40 % 11 = 7
        let d = [9, 0, 0, 1, 0, 1, 3, 0, 0, 0, 0];
        assert_eq!(check_digit(&d), Some(7));
        assert!(Iin::parse("900101300007", today()).is_ok());
        assert_eq!(
            Iin::parse("900101300008", today()),
            Err(IinError::CheckDigit)
        );
    }

    #[test]
    fn check_digit_second_round() {
        // Find digits where the first round gives 10 and check the second weights are used.
        let d = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]; // w1: 10 -> second round: 1*1 = 1
        assert_eq!(check_digit(&d), Some(1));
        let d = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]; // w1: 11%11=0
        assert_eq!(check_digit(&d), Some(0));
    }

    #[test]
    fn refusals() {
        assert_eq!(Iin::parse("12345", today()), Err(IinError::Format));
        assert_eq!(Iin::parse("12345678901a", today()), Err(IinError::Format));
        assert_eq!(Iin::parse("900101700007", today()), Err(IinError::Century));
        assert_eq!(
            Iin::parse("900230300000", today()),
            Err(IinError::BirthDate)
        );
        let future = make_iin(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), true, 1).unwrap();
        assert_eq!(
            Iin::parse(future.as_str(), today()),
            Err(IinError::FutureBirthDate)
        );
        assert_eq!(
            Iin::parse("９００１０１３０００７", today()),
            Err(IinError::Format)
        );
    }

    #[test]
    fn century_digits() {
        for (digit, year) in [
            (1, 1890),
            (2, 1890),
            (3, 1990),
            (4, 1990),
            (5, 2020),
            (6, 2020),
        ] {
            let body = format!("{:02}0101{digit}0000", year % 100);
            let d: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
            if let Some(c) = check_digit(&d) {
                let iin = Iin::parse(&format!("{body}{c}"), today()).unwrap();
                assert_eq!(
                    iin.birth_date(),
                    NaiveDate::from_ymd_opt(year, 1, 1).unwrap()
                );
            }
        }
    }

    #[test]
    fn masking_never_shows_the_middle() {
        assert_eq!(mask("900101300007"), "9001••••••07");
        let i = Iin::parse("900101300007", today()).unwrap();
        assert_eq!(format!("{i}"), "9001••••••07");
        assert_eq!(format!("{i:?}"), "Iin(9001••••••07)");
    }
}
