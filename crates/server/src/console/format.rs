//! How the console writes values for people: dates in the page's language inside `<time>`
//! elements (so a table sorts them by the instant, not by their words), numbers and amounts of
//! money grouped by thousands, and the platform's status codes in the page's language.

use std::str::FromStr as _;

use minijinja::{Environment, Value};
use rust_decimal::{Decimal, RoundingStrategy};

use super::labels::{Lang, words};

/// Registers the console's filters: `num`, `pct`, `money`, `day`, `minute` and `say`.
pub(super) fn add_filters(env: &mut Environment<'static>) {
    env.add_filter("num", format_number);
    env.add_filter("pct", |v: f64| format!("{:.2}%", v * 100.0));
    env.add_filter("money", format_money);
    env.add_filter("day", |state: &minijinja::State, v: String| {
        time_element(&page_lang(state), &v, false)
    });
    env.add_filter("minute", |state: &minijinja::State, v: String| {
        time_element(&page_lang(state), &v, true)
    });
    env.add_filter("say", say);
}

/// A status code in the page's language: the word for `prefix` + `code` (a prefix keeps
/// codes of different kinds apart, `issue_open` beside an alert's `open`), else the code as
/// it is.
fn say(state: &minijinja::State, code: String, prefix: Option<String>) -> String {
    let lang = if page_lang(state) == "en" {
        Lang::En
    } else {
        Lang::Zh
    };
    let key = format!("{}{code}", prefix.unwrap_or_default());
    words(lang)
        .get(key.as_str())
        .map_or(code, |w| w.to_string())
}

/// A date as the page's language writes it, in a `<time>` element that carries the instant
/// (text that is not a date is shown as it is, escaped).
fn time_element(lang: &str, text: &str, with_time: bool) -> Value {
    let shown = local_time(lang, text, with_time);
    if shown == text {
        return Value::from(text);
    }
    // Both escaped: the shown text keeps parts of the input (the time of day) as they are.
    let (attr, shown) = (minijinja::HtmlEscape(text), minijinja::HtmlEscape(&shown));
    Value::from_safe_string(format!("<time datetime=\"{attr}\">{shown}</time>"))
}

/// An amount of yuan (a decimal string, as amounts travel, or a number) grouped by thousands
/// with two decimals, computed in decimal, never through a float; anything else as it is and
/// nothing (none) as a dash.
fn format_money(v: Value) -> String {
    if v.is_none() || v.is_undefined() {
        return "–".into();
    }
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let Ok(amount) = Decimal::from_str(text.trim()) else {
        return text;
    };
    // Half a fen and more rounds away from zero, as amounts are rounded in accounts.
    let cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let fixed = cents.abs().to_string();
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let sign = if cents.is_sign_negative() && !cents.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{}.{frac:0<2}", group(int))
}

/// Digits grouped by thousands (the charts' values too).
pub(super) fn group(int: &str) -> String {
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// The language a template renders in (`lang` of its context).
fn page_lang(state: &minijinja::State) -> String {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A date (with its time in UTC for `with_time`) as the page's language writes it:
/// "6 Dec 2026 00:41 UTC" or "2026年12月6日 00:41 UTC". Text that is not a date is shown as is.
fn local_time(lang: &str, text: &str, with_time: bool) -> String {
    use chrono::Datelike;
    let Some(date) = text
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return text.to_string();
    };
    let day = if lang == "zh" {
        format!("{}年{}月{}日", date.year(), date.month(), date.day())
    } else {
        date.format("%-d %b %Y").to_string()
    };
    match text.get(11..16) {
        Some(time) if with_time && time.as_bytes().get(2) == Some(&b':') => {
            format!("{day} {time} UTC")
        }
        _ => day,
    }
}

/// A number with thousands separators and `digits` decimals.
fn format_number(v: f64, digits: Option<usize>) -> String {
    let digits = digits.unwrap_or(0);
    let text = format!("{:.*}", digits, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = group(int);
    let sign = if v < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let at = "2026-12-06T00:41:12.123Z";
        assert_eq!(local_time("en", at, true), "6 Dec 2026 00:41 UTC");
        assert_eq!(local_time("zh", at, true), "2026年12月6日 00:41 UTC");
        assert_eq!(local_time("zh", "2027-02-05", true), "2027年2月5日");
        assert_eq!(local_time("en", at, false), "6 Dec 2026");
        assert_eq!(local_time("en", "soon", true), "soon");
        assert_eq!(local_time("zh", "", false), "");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(format_number(1234567.891, Some(2)), "1,234,567.89");
        assert_eq!(format_number(-1234.0, None), "-1,234");
        assert_eq!(format_number(999.0, None), "999");
        assert_eq!(format_number(-0.0001, Some(2)), "0.00");
    }

    #[test]
    fn dates_carry_their_instant_for_sorting() {
        let shown = time_element("en", "2026-12-06T00:41:12Z", true);
        assert_eq!(
            shown.to_string(),
            r#"<time datetime="2026-12-06T00:41:12Z">6 Dec 2026 00:41 UTC</time>"#
        );
        assert!(shown.is_safe());
        let text = time_element("en", "<b>", true);
        assert!(!text.is_safe(), "text that is not a date stays escaped");
        let odd = time_element("en", "2026-12-06T<b:>x", true).to_string();
        assert!(
            !odd.contains("<b"),
            "what is kept of the input is escaped: {odd}"
        );
    }

    #[test]
    fn money_is_grouped_in_decimal() {
        assert_eq!(format_money(Value::from("1234567.891")), "1,234,567.89");
        assert_eq!(format_money(Value::from("500000")), "500,000.00");
        assert_eq!(format_money(Value::from("-1234.5")), "-1,234.50");
        assert_eq!(format_money(Value::from("-0.001")), "0.00");
        assert_eq!(format_money(Value::from("0.125")), "0.13");
        assert_eq!(format_money(Value::from(99)), "99.00");
        assert_eq!(format_money(Value::from(())), "–");
        assert_eq!(format_money(Value::from("n/a")), "n/a");
        // 2^53 + 1 survives: no float on the way.
        assert_eq!(
            format_money(Value::from("9007199254740993")),
            "9,007,199,254,740,993.00"
        );
    }
}
