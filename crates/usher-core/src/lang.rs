//! The two languages Usher speaks to people, chosen per request.

use serde::{Deserialize, Serialize};

/// A language for user-facing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header value.
    ///
    /// The highest-weighted tag that is Chinese (`zh`, `zh-CN`, `zh-Hans`, ...)
    /// or English wins; anything else, or a missing header, gives English.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::ZhCn
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// Returns the BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// Selects the text for this language.
    pub fn pick(self, en: impl Into<String>, zh: impl Into<String>) -> String {
        match self {
            Lang::En => en.into(),
            Lang::ZhCn => zh.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_cases() {
        let cases = [
            (None, Lang::En),
            (Some(""), Lang::En),
            (Some("zh-CN"), Lang::ZhCn),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn),
            (Some("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En),
            (Some("fr-FR, zh;q=0.5"), Lang::ZhCn),
            (Some("ZH-hans"), Lang::ZhCn),
            (Some("zh;q=0, en"), Lang::En),
            (Some("de"), Lang::En),
            (Some("en;q=0.2, zh-TW;q=0.3"), Lang::ZhCn),
        ];
        for (header, expected) in cases {
            assert_eq!(Lang::from_accept_language(header), expected, "header {header:?}");
        }
    }
}
