//! Text folding: what makes `１２号`, `十二号` and `12号` the same key, and `Chun'an County`
//! the same as `chunancounty`. Queries and index keys go through the same folding so that
//! matching is a plain string comparison.

use super::GazetteerError;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 256;

/// Rejects empty, over-long and control-character queries.
pub(crate) fn validate(q: &str) -> Result<(), GazetteerError> {
    // A char is at most 4 bytes: anything over 4×MAX bytes is too long without counting.
    if q.len() > 4 * MAX_QUERY_CHARS {
        return Err(GazetteerError::QueryTooLong {
            chars: q.chars().take(100_000).count(),
            max: MAX_QUERY_CHARS,
        });
    }
    let mut n = 0;
    for (i, c) in q.chars().enumerate() {
        if c.is_control() {
            return Err(GazetteerError::ControlCharacter {
                position: i,
                code: c as u32,
            });
        }
        n += 1;
    }
    if n > MAX_QUERY_CHARS {
        return Err(GazetteerError::QueryTooLong {
            chars: n,
            max: MAX_QUERY_CHARS,
        });
    }
    if q.trim().is_empty() {
        return Err(GazetteerError::EmptyQuery);
    }
    Ok(())
}

/// Whether `c` is a CJK ideograph.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Folds a string into key form: full-width ASCII to ASCII, lower case, `ü` to `v`, and
/// everything that is not a letter, digit or ideograph (spaces, punctuation, apostrophes)
/// dropped.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        match c {
            'ü' | 'Ü' => out.push('v'),
            '〇' => out.push('〇'),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            c if c.is_ascii() => {}
            c if is_han(c) => out.push(c),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

fn digit_value(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn unit_value(c: char) -> Option<u32> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        '万' => 10_000,
        _ => return None,
    })
}

fn is_numeral(c: char) -> bool {
    digit_value(c).is_some() || unit_value(c).is_some()
}

/// Whether `c` is a Chinese numeral character (`三`, `十`, `两`…).
pub(crate) fn is_numeral_char(c: char) -> bool {
    is_numeral(c)
}

/// Characters after which a numeral is a number of an address part: 号 (house), 之 (the
/// sub-number mark of `8之1号`), 幢/栋 (building), 单 (单元, unit), 室 (room).
const NUMBER_MARKS: &[char] = &['号', '之', '幢', '栋', '单', '室'];

/// The value of a Chinese numeral: `十二` → 12, `一百零三` → 103, `两百` → 200, and
/// digit-by-digit forms such as `一二三` → 123. `None` when `s` is not a numeral.
///
/// ```
/// use civmap_geo_core::gazetteer::chinese_numeral_value;
/// assert_eq!(chinese_numeral_value("十二"), Some(12));
/// assert_eq!(chinese_numeral_value("一百零三"), Some(103));
/// assert_eq!(chinese_numeral_value("两百"), Some(200));
/// assert_eq!(chinese_numeral_value("路"), None);
/// ```
pub fn chinese_numeral_value(s: &str) -> Option<u32> {
    if s.is_empty() || !s.chars().all(is_numeral) {
        return None;
    }
    if !s.chars().any(|c| unit_value(c).is_some()) {
        // 一二三 → 123
        let mut v: u32 = 0;
        for c in s.chars() {
            v = v.checked_mul(10)?.checked_add(digit_value(c)?)?;
        }
        return Some(v);
    }
    let (mut total, mut section, mut digit): (u32, u32, Option<u32>) = (0, 0, None);
    for c in s.chars() {
        if let Some(d) = digit_value(c) {
            digit = Some(d);
        } else if let Some(u) = unit_value(c) {
            if u == 10_000 {
                total = total.checked_add((section + digit.unwrap_or(0)).checked_mul(u)?)?;
                section = 0;
            } else {
                // 十 alone means 一十
                section = section.checked_add(digit.unwrap_or(1).checked_mul(u)?)?;
            }
            digit = None;
        }
    }
    total.checked_add(section + digit.unwrap_or(0))
}

/// Road-name endings after which a trailing numeral is a house number.
const ROAD_ENDINGS: &[char] = &[
    '路', '街', '巷', '弄', '道', '里', '坊', '桥', '埭', '湾', '村',
];

/// Rewrites house numbers written in Chinese numerals to ASCII digits in a folded string:
/// a numeral run followed by `号`, or a trailing run after a road ending (`文三路十二`).
pub fn convert_house_numerals(s: &str) -> String {
    if !s.chars().any(is_numeral) {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if is_numeral(chars[i]) {
            let mut j = i;
            while j < chars.len() && is_numeral(chars[j]) {
                j += 1;
            }
            // a numeral before a mark, or after 之 (`八之一号`)
            let followed_by_hao = (j < chars.len() && NUMBER_MARKS.contains(&chars[j]))
                || (i > 0 && chars[i - 1] == '之');
            let trailing_after_road =
                j == chars.len() && i > 0 && ROAD_ENDINGS.contains(&chars[i - 1]);
            let run: String = chars[i..j].iter().collect();
            match chinese_numeral_value(&run) {
                Some(v) if followed_by_hao || trailing_after_road => {
                    out.push_str(&v.to_string());
                }
                _ => out.push_str(&run),
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Splits a folded query `文三路12号` into (`文三路`, 12, `true`); also `文三路12`
/// (`false`). The place part must not be empty or all digits.
pub(crate) fn split_house_number(s: &str) -> Option<(&str, u32, bool)> {
    let (body, hao) = match s.strip_suffix('号') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let digits_at = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i)?;
    let (place, digits) = body.split_at(digits_at);
    if place.is_empty() || !place.chars().any(is_han) || digits.len() > 6 {
        return None;
    }
    Some((place, digits.parse().ok()?, hao))
}

/// Suffixes stripped for short forms, longest first. The flag says whether stripping leaves
/// a `村` form worth keeping (`XX村委会` → `XX村`).
const SUFFIXES: &[(&str, Option<&str>)] = &[
    ("社区居民委员会", Some("社区")),
    ("村民委员会", Some("村")),
    ("居民委员会", None),
    ("社区居委会", Some("社区")),
    ("村委会", Some("村")),
    ("居委会", None),
    ("管委会", None),
    ("社区", None),
    ("街道", None),
    ("办事处", None),
    ("区", None),
    ("县", None),
    ("市", None),
    ("镇", None),
    ("乡", None),
    ("村", None),
];

/// Short forms of an official name, without the name itself: `西湖区` → `西湖`,
/// `大溪边村委会` → `大溪边村`, `大溪边`; stems shorter than two characters are not kept.
pub fn short_forms(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = name.to_owned();
    'strip: loop {
        for (suf, keep) in SUFFIXES {
            if let Some(stem) = cur.strip_suffix(suf) {
                if stem.chars().count() < 2 {
                    break 'strip;
                }
                if let Some(k) = keep {
                    out.push(format!("{stem}{k}"));
                }
                out.push(stem.to_owned());
                cur = stem.to_owned();
                continue 'strip;
            }
        }
        break;
    }
    out.retain(|s| s != name);
    out.dedup();
    out
}

/// Bounded Damerau–Levenshtein (optimal string alignment) distance between two byte
/// strings; `None` when it exceeds `max`.
///
/// ```
/// use civmap_geo_core::gazetteer::bounded_damerau;
/// assert_eq!(bounded_damerau(b"hangzou", b"hangzhou", 1), Some(1));
/// assert_eq!(bounded_damerau(b"xhiuqu", b"xihuqu", 1), Some(1));
/// assert_eq!(bounded_damerau(b"abc", b"xyz", 2), None);
/// ```
pub fn bounded_damerau(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // the typo search calls this for hundreds of keys per query: rows of short keys live
    // on the stack
    const STACK: usize = 64;
    let width = b.len() + 1;
    if width <= STACK {
        let mut rows = [[0u16; STACK]; 3];
        let [r0, r1, r2] = &mut rows;
        osa(
            a,
            b,
            max,
            &mut r0[..width],
            &mut r1[..width],
            &mut r2[..width],
        )
    } else {
        let mut rows = vec![0u16; 3 * width];
        let (r0, rest) = rows.split_at_mut(width);
        let (r1, r2) = rest.split_at_mut(width);
        osa(a, b, max, r0, r1, r2)
    }
}

/// Optimal string alignment over three rows of `b.len() + 1` cells, computing only the band
/// of cells within `max` of the diagonal (the others exceed `max` anyway) and stopping as
/// soon as a whole band exceeds `max`.
fn osa<'r>(
    a: &[u8],
    b: &[u8],
    max: usize,
    mut prev2: &'r mut [u16],
    mut prev: &'r mut [u16],
    mut cur: &'r mut [u16],
) -> Option<usize> {
    // "more than max": big enough to stay above any bound, small enough to add one to
    const FAR: u16 = u16::MAX / 2;
    let m = b.len();
    let max16 = max.min(usize::from(FAR) - 1) as u16;
    for (j, c) in prev.iter_mut().enumerate() {
        *c = if j <= max { j as u16 } else { FAR };
    }
    for i in 1..=a.len() {
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(m);
        cur[0] = if i <= max { i as u16 } else { FAR };
        if lo > 1 {
            cur[lo - 1] = FAR;
        }
        let mut row_min = cur[0];
        for j in lo..=hi {
            let cost = u16::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            let v = v.min(FAR);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if hi < m {
            cur[hi + 1] = FAR;
        }
        if row_min > max16 {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[m];
    (d <= max16).then_some(usize::from(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals() {
        assert_eq!(chinese_numeral_value("十二"), Some(12));
        assert_eq!(chinese_numeral_value("一百零三"), Some(103));
        assert_eq!(chinese_numeral_value("二十"), Some(20));
        assert_eq!(chinese_numeral_value("两百"), Some(200));
        assert_eq!(chinese_numeral_value("十"), Some(10));
        assert_eq!(chinese_numeral_value("一千零五"), Some(1005));
        assert_eq!(chinese_numeral_value("三百二十一"), Some(321));
        assert_eq!(chinese_numeral_value("一二三"), Some(123));
        assert_eq!(chinese_numeral_value(""), None);
    }

    #[test]
    fn house_numbers_fold_to_digits() {
        for q in [
            "文三路十二号",
            "文三路12号",
            "文三路１２号",
            "文三路 12 号",
            "文三路十二",
        ] {
            let f = convert_house_numerals(&fold(q));
            assert_eq!(
                split_house_number(&f),
                Some(("文三路", 12, !q.ends_with('二'))),
                "{q}"
            );
        }
        assert_eq!(convert_house_numerals("文三路一百零三号"), "文三路103号");
        // numerals inside road names stay
        assert_eq!(convert_house_numerals("工业一路"), "工业一路");
        assert_eq!(convert_house_numerals("文三路"), "文三路");
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Chun'an  County"), "chunancounty");
        assert_eq!(fold("ＸＩＨＵ　区"), "xihu区");
        assert_eq!(fold("北山街道…社区"), "北山街道社区");
    }

    #[test]
    fn short_forms_strip_suffixes() {
        assert_eq!(short_forms("西湖区"), vec!["西湖"]);
        assert_eq!(short_forms("大溪边村委会"), vec!["大溪边村", "大溪边"]);
        assert_eq!(short_forms("湖滨社区居民委员会"), vec!["湖滨社区", "湖滨"]);
        assert!(short_forms("城区").is_empty());
    }

    #[test]
    fn damerau_bounds() {
        assert_eq!(bounded_damerau(b"xihuqu", b"xihuqu", 2), Some(0));
        assert_eq!(bounded_damerau(b"xhiuqu", b"xihuqu", 1), Some(1));
        assert_eq!(bounded_damerau(b"hangzou", b"hangzhou", 1), Some(1));
        assert_eq!(bounded_damerau(b"hanzou", b"hangzhou", 1), None);
        assert_eq!(bounded_damerau(b"hanzou", b"hangzhou", 2), Some(2));
        assert_eq!(bounded_damerau(b"abc", b"xyz", 2), None);
    }

    /// Unbounded optimal string alignment, the textbook way.
    fn osa_oracle(a: &[u8], b: &[u8]) -> usize {
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, c) in d[0].iter_mut().enumerate() {
            *c = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[n][m]
    }

    #[test]
    fn damerau_agrees_with_the_textbook_table_on_random_strings() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..3000 {
            // a small alphabet so that edits and transpositions are common; some keys longer
            // than the stack rows
            let la = next(12) as usize + if next(10) == 0 { 70 } else { 0 };
            let lb = la.saturating_sub(2) + next(5) as usize;
            let a: Vec<u8> = (0..la).map(|_| b'a' + next(3) as u8).collect();
            let b: Vec<u8> = (0..lb).map(|_| b'a' + next(3) as u8).collect();
            let d = osa_oracle(&a, &b);
            for max in 0..4 {
                assert_eq!(
                    bounded_damerau(&a, &b, max),
                    (d <= max).then_some(d),
                    "{a:?} {b:?} {max}"
                );
            }
        }
    }
}
