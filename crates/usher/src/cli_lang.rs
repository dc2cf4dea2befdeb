//! The language of CLI messages, from `LC_ALL`, `LC_MESSAGES` or `LANG`.

use usher_core::Lang;

pub fn lang() -> Lang {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if value.to_ascii_lowercase().starts_with("zh") {
        Lang::ZhCn
    } else {
        Lang::En
    }
}

pub fn pick(en: &str, zh: &str) -> String {
    lang().pick(en, zh)
}
