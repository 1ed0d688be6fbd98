//! A minimal, panic-free DER TLV walker.
//!
//! Used where the exact bytes as received matter (signedAttrs, tbsCertificate):
//! decoding with `der` and re-encoding would re-sort SET OF values.

use crate::EdsError;

/// One DER element: its identifier octet, its full encoding and its contents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (low-tag-number form only).
    pub tag: u8,
    /// Header and contents.
    pub full: &'a [u8],
    /// Contents only.
    pub value: &'a [u8],
}

fn truncated() -> EdsError {
    EdsError::Malformed("truncated DER".into())
}

/// Reads the next element of `input` and advances `input` past it.
pub(crate) fn next<'a>(input: &mut &'a [u8]) -> Result<Tlv<'a>, EdsError> {
    let data: &'a [u8] = input;
    let tag = *data.first().ok_or_else(truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(EdsError::Malformed(
            "high tag numbers are not supported".into(),
        ));
    }
    let first = *data.get(1).ok_or_else(truncated)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2usize)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 {
            return Err(EdsError::Malformed(
                "indefinite length (BER) is not DER".into(),
            ));
        }
        if n > 4 {
            return Err(EdsError::Malformed("length too large".into()));
        }
        let bytes = data.get(2..2 + n).ok_or_else(truncated)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let end = header.checked_add(len).ok_or_else(truncated)?;
    let full = data.get(..end).ok_or_else(truncated)?;
    let value = full.get(header..).ok_or_else(truncated)?;
    *input = data.get(end..).unwrap_or(&[]);
    Ok(Tlv { tag, full, value })
}

/// Reads the next element and requires its identifier octet to be `tag`.
pub(crate) fn expect<'a>(input: &mut &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>, EdsError> {
    let tlv = next(input)?;
    if tlv.tag != tag {
        return Err(EdsError::Malformed(format!(
            "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
            tlv.tag
        )));
    }
    Ok(tlv)
}

/// Peeks at the identifier octet of the next element, if any.
pub(crate) fn peek_tag(input: &[u8]) -> Option<u8> {
    input.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_forms() {
        let mut input: &[u8] = &[0x04, 0x02, 0xaa, 0xbb, 0x30, 0x81, 0x01, 0x05];
        let a = next(&mut input).unwrap();
        assert_eq!(a.tag, 0x04);
        assert_eq!(a.value, &[0xaa, 0xbb]);
        let b = next(&mut input).unwrap();
        assert_eq!(b.value, &[0x05]);
        assert!(input.is_empty());
    }

    #[test]
    fn refuses_bad_lengths() {
        for bytes in [
            &[0x30u8, 0x80, 0x00, 0x00][..],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x05, 0x01],
            &[0x30],
            &[],
            &[0x1f, 0x01, 0x00],
        ] {
            let mut input = bytes;
            assert!(next(&mut input).is_err(), "{bytes:?}");
        }
    }
}
