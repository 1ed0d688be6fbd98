//! The values the use cases take from outside, each parsed once at the boundary into a type of
//! its own: an id is a UUID, a district code is one of the reference districts, an e-mail address
//! has a plausible shape, a phone is a Kazakh mobile number normalised to `+77XXXXXXXXX`. Pure: no
//! I/O; [`crate::inputs`] names the field at fault when a value does not parse.

use crate::reference::Reference;
use serde::Serialize;
use std::fmt;

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Read as the text it is (a parsed value is never changed in place).
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

text_value!(
    /// An application's id (a UUID): anything else is unknown without a store read.
    ApplicationId
);
text_value!(
    /// A kindergarten's id (a UUID).
    KindergartenId
);
text_value!(
    /// The code of one of the reference districts (`KOK`).
    DistrictCode
);
text_value!(
    /// A registration number as the store keeps it, `<district prefix>.<year>.<sequence>`
    /// (`КОК.2026.248`), of one of the reference districts.
    RegistrationNumber
);
text_value!(
    /// A trimmed e-mail address of plausible shape (one `@`, a dotted domain, no spaces).
    Email
);
text_value!(
    /// A Kazakh mobile number, normalised to `+77XXXXXXXXX`.
    Phone
);

fn uuid(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s).ok().map(|_| s.to_owned())
}

impl ApplicationId {
    pub fn parse(s: &str) -> Option<ApplicationId> {
        uuid(s).map(ApplicationId)
    }
}

impl KindergartenId {
    pub fn parse(s: &str) -> Option<KindergartenId> {
        uuid(s.trim()).map(KindergartenId)
    }
}

impl DistrictCode {
    /// A code of `reference`'s districts (surrounding spaces ignored).
    pub fn parse(s: &str, reference: &Reference) -> Option<DistrictCode> {
        reference
            .district(s.trim())
            .map(|d| DistrictCode(d.code.clone()))
    }
}

impl RegistrationNumber {
    /// A number as a person types it: spaces around it, lower case, Latin letters that look like
    /// the Cyrillic ones of the prefix (`KOK.2026.248`), a dash or a space for a dot. The prefix
    /// must be a reference district's, the year four digits, the sequence digits without a
    /// leading zero.
    pub fn parse(s: &str, reference: &Reference) -> Option<RegistrationNumber> {
        if s.len() > 64 {
            return None;
        }
        let parts: Vec<&str> = s.trim().split(['.', '-', ' ', '/']).collect();
        let [prefix, year, seq] = parts.as_slice() else {
            return None;
        };
        let prefix: String = prefix.chars().map(cyrillic_look_alike).collect();
        let district = reference.districts.iter().find(|d| d.prefix == prefix)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let ok = year.len() == 4 && digits(year) && digits(seq) && !seq.starts_with('0');
        (ok && seq.len() <= 10)
            .then(|| RegistrationNumber(format!("{}.{year}.{seq}", district.prefix)))
    }

    /// An application's number, as it was given at registration.
    pub fn of(app: &crate::domain::Application) -> RegistrationNumber {
        RegistrationNumber(app.registration_number.clone())
    }

    /// The district prefix (`КОК`).
    pub fn prefix(&self) -> &str {
        self.0.split('.').next().unwrap_or_default()
    }
}

/// Upper case, with the Latin letters that look like Cyrillic ones read as those.
fn cyrillic_look_alike(c: char) -> char {
    let c = c.to_uppercase().next().unwrap_or(c);
    match c {
        'A' => 'А',
        'B' => 'В',
        'C' => 'С',
        'E' => 'Е',
        'H' => 'Н',
        'K' => 'К',
        'M' => 'М',
        'O' => 'О',
        'P' => 'Р',
        'T' => 'Т',
        'X' => 'Х',
        'Y' => 'У',
        c => c,
    }
}

impl Email {
    pub fn parse(s: &str) -> Option<Email> {
        let e = s.trim();
        let ok = e.len() <= 254
            && !e.chars().any(|c| c.is_whitespace() || c.is_control())
            && match e.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        ok.then(|| Email(e.to_owned()))
    }
}

impl Phone {
    /// Spaces, dashes, brackets, `+7` and a leading 8 accepted.
    pub fn parse(s: &str) -> Option<Phone> {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let allowed = s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
        let national = match digits.len() {
            11 if digits.starts_with('7') || digits.starts_with('8') => digits.get(1..)?,
            10 => &digits[..],
            _ => return None,
        };
        (allowed && national.len() == 10 && national.starts_with('7'))
            .then(|| Phone(format!("+7{national}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_once() {
        assert!(ApplicationId::parse("6a1b2c3d-0000-4000-8000-000000000002").is_some());
        assert!(ApplicationId::parse("../etc").is_none());
        assert_eq!(
            Phone::parse("8 (701) 123-45-67").map(Phone::into_string),
            Some("+77011234567".to_owned())
        );
        assert!(Phone::parse("+7 301 123 45 67").is_none());
        assert!(Phone::parse("77011234567x").is_none());
        assert_eq!(
            Email::parse(" a@b.kz ").map(Email::into_string),
            Some("a@b.kz".to_owned())
        );
        assert!(Email::parse("a@b").is_none() && Email::parse("a b@c.kz").is_none());
        let reference = Reference::builtin();
        assert_eq!(
            DistrictCode::parse(" KOK ", reference).map(DistrictCode::into_string),
            Some("KOK".to_owned())
        );
        assert!(DistrictCode::parse("XXX", reference).is_none());
        for typed in [
            "КОК.2026.248",
            " кок.2026.248 ",
            "KOK.2026.248",
            "kok-2026-248",
        ] {
            assert_eq!(
                RegistrationNumber::parse(typed, reference).map(RegistrationNumber::into_string),
                Some("КОК.2026.248".to_owned()),
                "{typed}"
            );
        }
        for bad in [
            "",
            "КОК.2026",
            "ЖЖЖ.2026.1",
            "КОК.26.1",
            "КОК.2026.01",
            "КОК.2026.1x",
        ] {
            assert!(RegistrationNumber::parse(bad, reference).is_none(), "{bad}");
        }
    }
}
