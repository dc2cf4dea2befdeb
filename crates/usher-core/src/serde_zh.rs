//! Chinese renderings of the messages serde and the standard parsers give
//! for input of the wrong shape ("invalid type: string \"x\", expected a
//! sequence"), so a JSON or query error reads in one language.
//!
//! The translation follows serde's fixed message forms and names the common
//! kinds of value. Any part it does not know stays as it was, so the worst
//! case is the English text.

/// Translates one parser message into Chinese, part by part.
pub fn translate(message: &str) -> String {
    if let Some((path, rest)) = split_field_prefix(message) {
        return format!("字段“{path}”：{}", translate(rest));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("类型错误：收到{}，应为{}", unexpected(found), expected_kind(expected));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("值无效：收到{}，应为{}", unexpected(found), expected_kind(expected));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((length, expected)) = rest.split_once(", expected ") {
            return format!("长度 {length} 无效，应为{}", expected_kind(expected));
        }
    }
    if let Some(field) = backticked(message, "missing field ") {
        return format!("缺少字段“{field}”");
    }
    if let Some(field) = backticked(message, "duplicate field ") {
        return format!("字段“{field}”重复");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("未知字段{}", known_names(rest));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("未知取值{}", known_names(rest));
    }
    match message {
        "invalid digit found in string" => "不是有效的整数".to_owned(),
        "cannot parse integer from empty string" => "为空，应为整数".to_owned(),
        "number too large to fit in target type" => "数值过大".to_owned(),
        "number too small to fit in target type" => "数值过小".to_owned(),
        "provided string was not `true` or `false`" => "应为 true 或 false".to_owned(),
        "invalid float literal" => "不是有效的数字".to_owned(),
        _ => message.to_owned(),
    }
}

/// Splits `field "a.b": rest`, the form Usher gives a JSON error with a path.
fn split_field_prefix(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("field \"")?;
    let (path, rest) = rest.split_once("\": ")?;
    Some((path, rest))
}

/// Returns the name in `` prefix`name` ``, when the message is exactly that.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.strip_prefix('`')?.strip_suffix('`')
}

/// Renders `` `x`, expected one of `a`, `b` `` and its variants.
fn known_names(rest: &str) -> String {
    let Some((name, expected)) = rest.split_once(", ") else {
        return format!(" {rest}");
    };
    let listed = if let Some(list) = expected.strip_prefix("expected one of ") {
        format!("，可用的有：{list}")
    } else if let Some(one) = expected.strip_prefix("expected ") {
        format!("，应为 {one}")
    } else if expected == "there are no fields" || expected == "there are no variants" {
        "，此处不接受任何字段".to_owned()
    } else {
        format!("，{expected}")
    };
    format!(" {name}{listed}")
}

/// Translates the value serde found, as in `string "x"` or `integer `5``.
fn unexpected(found: &str) -> String {
    let kinds = [
        ("string ", "字符串 "),
        ("integer ", "整数 "),
        ("floating point ", "小数 "),
        ("boolean ", "布尔值 "),
        ("character ", "字符 "),
    ];
    for (en, zh) in kinds {
        if let Some(value) = found.strip_prefix(en) {
            return format!("{zh}{value}");
        }
    }
    match found {
        "map" => "对象".to_owned(),
        "sequence" => "数组".to_owned(),
        "null" | "unit value" => "空值 null".to_owned(),
        "byte array" => "字节数组".to_owned(),
        other => other.to_owned(),
    }
}

/// Translates what the deserializer wanted, as in `a sequence` or `u64`.
fn expected_kind(expected: &str) -> String {
    let translated = match expected {
        "a sequence" => "数组",
        "a map" => "对象",
        "a string" | "a borrowed string" => "字符串",
        "a boolean" => "布尔值 (true 或 false)",
        "a character" => "单个字符",
        "u8" | "u16" | "u32" | "u64" | "usize" => "非负整数",
        "i8" | "i16" | "i32" | "i64" | "isize" => "整数",
        "f32" | "f64" => "数字",
        "unit" => "null",
        _ => {
            if let Some(name) = expected.strip_prefix("struct ") {
                return format!("对象（{name}）");
            }
            return expected.to_owned();
        }
    };
    translated.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_shapes() {
        let cases = [
            (
                "field \"groups\": invalid type: string \"#class3:localhost\", expected a sequence",
                "字段“groups”：类型错误：收到字符串 \"#class3:localhost\"，应为数组",
            ),
            ("invalid type: integer `5`, expected a string", "类型错误：收到整数 `5`，应为字符串"),
            ("invalid type: null, expected a boolean", "类型错误：收到空值 null，应为布尔值 (true 或 false)"),
            ("missing field `type`", "缺少字段“type”"),
            ("duplicate field `username`", "字段“username”重复"),
            ("unknown field `nmae`, expected one of `name`, `topic`", "未知字段 `nmae`，可用的有：`name`, `topic`"),
            ("unknown variant `big`, expected `small`", "未知取值 `big`，应为 `small`"),
            ("invalid digit found in string", "不是有效的整数"),
            ("invalid type: map, expected u64", "类型错误：收到对象，应为非负整数"),
        ];
        for (en, zh) in cases {
            assert_eq!(translate(en), zh, "translating {en:?}");
        }
    }

    #[test]
    fn unknown_text_kept() {
        assert_eq!(translate("room id must start with !"), "room id must start with !");
        assert_eq!(translate("field \"a\": something else"), "字段“a”：something else");
    }
}
