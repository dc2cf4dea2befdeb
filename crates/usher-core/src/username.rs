//! Account-name normalization.
//!
//! People type account names on phones and Chinese IMEs, which often produce
//! full-width letters (`ｚｈａｎｇ`) or capitals. Usher stores and compares the
//! normalized form only, so `ＺｈａｎｇＳａｎ０１` and `zhangsan01` are one account.

use unicode_normalization::UnicodeNormalization;

/// Normalizes an account name: Unicode NFKC, then lowercase, with surrounding
/// whitespace removed. A leading `@` and a trailing `:server` are kept, so a
/// full Matrix user id is rejected by the character rule instead of being
/// silently rewritten.
pub fn normalize(input: &str) -> String {
    let folded: String = input.nfkc().collect();
    // Lowercasing can leave sequences NFKC would recompose (such as a
    // capital letter with a combining mark), so compose once more.
    folded.trim().to_lowercase().nfkc().collect()
}

/// Normalizes a typed room id or alias with NFKC, so full-width `＃` and
/// `：` become ASCII, and trims surrounding whitespace. Case is kept, because
/// room ids are case-sensitive.
pub fn normalize_identifier(input: &str) -> String {
    let folded: String = input.nfkc().collect();
    folded.trim().to_owned()
}

/// Extracts the localpart from `@localpart:server` or returns the input when it
/// is not a full user id. Used where people may type either form, as at login.
pub fn localpart_of(input: &str) -> &str {
    match input.strip_prefix('@') {
        Some(rest) => rest.split_once(':').map_or(rest, |(local, _)| local),
        None => input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_full_width_to_ascii() {
        assert_eq!(normalize("ａｂｃ１２３"), "abc123");
        assert_eq!(normalize("ｚｈａｎｇｓａｎ０２"), "zhangsan02");
    }

    #[test]
    fn normalize_lowercases() {
        assert_eq!(normalize("ZhangSan01"), "zhangsan01");
        assert_eq!(normalize("ＺｈａｎｇＳａｎ"), "zhangsan");
    }

    #[test]
    fn normalize_trims_whitespace() {
        assert_eq!(normalize("  lisi0001\u{3000}"), "lisi0001");
    }

    #[test]
    fn normalize_keeps_non_ascii_letters() {
        assert_eq!(normalize("张三abc"), "张三abc");
    }

    #[test]
    fn localpart_of_user_id() {
        assert_eq!(localpart_of("@alice01:localhost"), "alice01");
        assert_eq!(localpart_of("alice01"), "alice01");
        assert_eq!(localpart_of("@alice01"), "alice01");
    }
}
