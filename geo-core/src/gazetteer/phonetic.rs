//! Pinyin keys: full toneless pinyin (`xihuqu`), initials (`xhq`) and pinyin-based English
//! names (`Chun'an County`). Heteronyms (长 cháng/zhǎng, 行 háng/xíng) give several keys per
//! name so that either reading finds the place; the query side uses each character's most
//! common reading, which is how homophones (航州 → hangzhou → 杭州) match.

use pinyin::{ToPinyin, ToPinyinMulti};

use super::text::is_han;

/// Most readings combined per name (2 heteronyms × 2 readings).
const MAX_VARIANTS: usize = 4;

/// Toneless readings of a folded string, one `Vec` per alternative spelling: ideographs
/// become syllables, letters and digits are kept as one "syllable" each run.
pub(crate) fn syllable_variants(s: &str) -> Vec<Vec<&'static str>> {
    let mut variants: Vec<Vec<&'static str>> = vec![Vec::new()];
    for c in s.chars() {
        let readings: Vec<&'static str> = match c.to_pinyin_multi() {
            Some(multi) if is_han(c) => {
                let mut r: Vec<&'static str> = Vec::with_capacity(multi.count());
                for p in multi {
                    let plain = p.plain();
                    if !r.contains(&plain) {
                        r.push(plain);
                    }
                }
                r
            }
            _ => return Vec::new(), // not purely Han: no pinyin keys
        };
        if readings.is_empty() {
            return Vec::new();
        }
        let mut next = Vec::with_capacity(variants.len() * readings.len());
        for v in &variants {
            for (k, r) in readings.iter().enumerate() {
                if k > 0 && next.len() >= MAX_VARIANTS {
                    break;
                }
                let mut nv = v.clone();
                nv.push(*r);
                next.push(nv);
            }
        }
        variants = next;
    }
    variants
}

/// Folds syllables to the key form (`ü` → `v`).
pub(crate) fn join_syllables(s: &[&str]) -> String {
    let mut out = String::new();
    for syl in s {
        for c in syl.chars() {
            out.push(if c == 'ü' { 'v' } else { c });
        }
    }
    out
}

/// First letters of the syllables (`zh`, `ch`, `sh` count as their first letter).
pub(crate) fn initials(s: &[&str]) -> String {
    s.iter().filter_map(|syl| syl.chars().next()).collect()
}

/// A folded query in pinyin: every ideograph replaced by its most common toneless reading,
/// letters and digits kept (`xihu街道` → `xihujiedao`, `航州` → `hangzhou`).
pub(crate) fn query_pinyin(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() * 3);
    for c in folded.chars() {
        match c.to_pinyin() {
            Some(p) if is_han(c) => {
                for ch in p.plain().chars() {
                    out.push(if ch == 'ü' { 'v' } else { ch });
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Pinyin of a stem in English style: `淳安` → `Chun'an`, `北山` → `Beishan`.
pub(crate) fn english_stem(stem: &str) -> String {
    let mut out = String::new();
    for (i, c) in stem.chars().enumerate() {
        let syl = match c.to_pinyin() {
            Some(p) => p.plain(),
            None => continue,
        };
        let syl = syl.replace('ü', "v");
        if i == 0 {
            let mut cs = syl.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            if syl.starts_with(['a', 'e', 'o']) {
                out.push('\'');
            }
            out.push_str(&syl);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_keys() {
        let v = syllable_variants("西湖区");
        assert_eq!(join_syllables(&v[0]), "xihuqu");
        assert_eq!(initials(&v[0]), "xhq");
        assert_eq!(query_pinyin("航州"), "hangzhou");
        assert_eq!(query_pinyin("xihu街道"), "xihujiedao");
        assert_eq!(english_stem("淳安"), "Chun'an");
        assert_eq!(english_stem("北山"), "Beishan");
        assert!(syllable_variants("西湖1").is_empty());
    }

    #[test]
    fn heteronyms_give_both_readings() {
        let v: Vec<String> = syllable_variants("长河")
            .iter()
            .map(|s| join_syllables(s))
            .collect();
        assert!(v.contains(&"changhe".to_owned()), "{v:?}");
    }
}
