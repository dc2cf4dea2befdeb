//! A built-in list of very common passwords.
//!
//! The entries are well-known top entries of public breach-corpus frequency
//! lists, plus common Chinese-keyboard patterns (pinyin and number phrases
//! such as `woaini1314`). The list is short on purpose: its job is to stop
//! the passwords guessed first, not to replace a breach-corpus check.

use std::collections::HashSet;
use std::sync::OnceLock;

const COMMON_PASSWORDS: &str = "
123456 123456789 12345678 password qwerty123 qwerty 1234567 111111 1234567890 123123
abc123 1234 password1 iloveyou 1q2w3e4r 000000 qwertyuiop 123321 654321 666666
121212 88888888 11111111 987654321 1qaz2wsx zaq12wsx zxcvbnm asdfghjkl qazwsx
password123 passw0rd p@ssw0rd p@ssword admin123 administrator welcome welcome1
welcome123 letmein letmein123 monkey dragon football baseball sunshine princess
shadow master superman batman trustno1 starwars whatever freedom michael jessica
charlie donald computer internet qwer1234 asdf1234 zxcv1234 1qazxsw2 q1w2e3r4
a1b2c3d4 aa123456 abc12345 abcd1234 a123456789 qwe123456 asd123456 123qwe 123abc
abcdefg abcdefgh 12341234 11223344 12344321 1q2w3e 1q2w3e4r5t 1q2w3e4r5t6y
changeme changeme123 default secret secret123 test1234 test123456 guest123
login123 pass1234 hello123 iloveyou1 loveyou love1234 mypassword password12
password1234 qwerty12 qwerty1234 qwertyui asdfghjk zxcvbnm123 football1 baseball1
11111111 22222222 33333333 44444444 55555555 66666666 77777777 99999999 00000000
12121212 13131313 10203040 147258369 159753 159357 741852963 789456123 123654789
woaini woaini1314 woaini520 woaini123 5201314 520520 1314520 521521 woaiwojia
wodemima mima1234 mima123456 nihao123 nihaonihao zhongguo zhongguo123 aini1314
iloveu1314 qq123456 qq1234567 a5201314 wang123456 li123456 zhang123456 liu123456
chen123456 yang123456 huang123456 zhao123456 xiaoming woshishui 88888888a
a12345678 aa12345678 abc123456 abc1234567 123456abc 123456aa 123456a 12345678a
12345qwert qwert12345 asdasd123 qweasdzxc qweasd123 1qaz2wsx3edc zaq1xsw2
iloveyou123 sunshine1 princess1 dragon123 monkey123 master123 shadow123 killer
jordan23 michael1 superman1 hunter2 hunter123 ashley bailey access flower
letmein1 starwars1 whatever1 trustno12 matrix123 element123 synapse123 usher123
";

fn blocklist() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.split_whitespace().collect())
}

/// Checks whether the password, compared case-insensitively, is on the list.
pub fn contains(password: &str) -> bool {
    blocklist().contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocklist_hits() {
        assert!(contains("password"));
        assert!(contains("PASSWORD123"));
        assert!(contains("woaini1314"));
        assert!(contains("12345678"));
    }

    #[test]
    fn blocklist_misses() {
        assert!(!contains("Correct-Horse-42x"));
        assert!(!contains(""));
    }
}
