//! Romanised doorplate addresses: `文三路12号` → pinyin `Wensan Lu 12 Hao` and English
//! `12 Wensan Road`, in the map form of GB/T 16159-2012 (proper name and generic term
//! written apart, each word capitalised, no tone marks, `'` before a syllable starting
//! with `a`, `e` or `o` inside a word).
//!
//! This is the one seam for address romanisation: [`romanize_address`]. A fuller
//! romaniser (more generic terms, heteronym dictionaries for place names) can replace its
//! body without touching its callers.

use super::phonetic::english_stem;

/// A doorplate address in the two romanised forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomanizedAddress {
    /// Hanyu Pinyin, map form: `Wensan Lu 12 Hao`.
    pub pinyin: String,
    /// English, number first: `12 Wensan Road`.
    pub english: String,
}

/// Generic road terms, longest first: (Chinese, pinyin word, English word).
const GENERIC_TERMS: &[(&str, &str, &str)] = &[
    ("大道", "Dadao", "Avenue"),
    ("大街", "Dajie", "Street"),
    ("公路", "Gonglu", "Highway"),
    ("路", "Lu", "Road"),
    ("街", "Jie", "Street"),
    ("巷", "Xiang", "Lane"),
    ("弄", "Nong", "Alley"),
    ("道", "Dao", "Road"),
];

/// Directional parts that stand between a proper name and its generic term (`延安北路`).
const DIRECTIONS: &[(&str, &str, &str)] = &[
    ("东", "Dong", "East"),
    ("西", "Xi", "West"),
    ("南", "Nan", "South"),
    ("北", "Bei", "North"),
    ("中", "Zhong", "Middle"),
];

/// Romanises a road name and house number as a doorplate address.
///
/// The road's proper name becomes one capitalised pinyin word; its generic term (路, 街,
/// 巷, 弄, 大道, …) and a direction before it (东西南北中) are written apart in pinyin and
/// translated in English. A name with no known generic term is romanised whole.
///
/// ```
/// use civmap_geo_core::gazetteer::romanize_address;
/// let a = romanize_address("文三路", 12);
/// assert_eq!(a.pinyin, "Wensan Lu 12 Hao");
/// assert_eq!(a.english, "12 Wensan Road");
/// let b = romanize_address("延安北路", 3);
/// assert_eq!(b.pinyin, "Yan'an Beilu 3 Hao");
/// assert_eq!(b.english, "3 Yan'an Road North");
/// assert_eq!(romanize_address("翠苑大道", 8).english, "8 Cuiyuan Avenue");
/// ```
pub fn romanize_address(road: &str, number: u32) -> RomanizedAddress {
    let generic = GENERIC_TERMS
        .iter()
        .find(|(zh, _, _)| road.strip_suffix(zh).is_some_and(|s| !s.is_empty()));
    let Some(&(zh, py_generic, en_generic)) = generic else {
        let whole = english_stem(road);
        return RomanizedAddress {
            pinyin: format!("{whole} {number} Hao"),
            english: format!("{number} {whole}"),
        };
    };
    let stem = &road[..road.len() - zh.len()];
    let direction = DIRECTIONS
        .iter()
        .find(|(d, _, _)| stem.strip_suffix(d).is_some_and(|s| s.chars().count() >= 2));
    let (proper, py_term, en_term) = match direction {
        Some(&(d, py_dir, en_dir)) => (
            &stem[..stem.len() - d.len()],
            format!("{py_dir}{}", py_generic.to_lowercase()),
            format!("{en_generic} {en_dir}"),
        ),
        None => (stem, py_generic.to_owned(), en_generic.to_owned()),
    };
    let proper = english_stem(proper);
    RomanizedAddress {
        pinyin: format!("{proper} {py_term} {number} Hao"),
        english: format!("{number} {proper} {en_term}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_terms_split_from_the_proper_name() {
        let cases = [
            ("文三路", 12, "Wensan Lu 12 Hao", "12 Wensan Road"),
            ("莫干山路", 1, "Moganshan Lu 1 Hao", "1 Moganshan Road"),
            ("学院街", 7, "Xueyuan Jie 7 Hao", "7 Xueyuan Street"),
            ("翠苑巷", 4, "Cuiyuan Xiang 4 Hao", "4 Cuiyuan Lane"),
            ("桃源弄", 9, "Taoyuan Nong 9 Hao", "9 Taoyuan Alley"),
            ("紫金大道", 2, "Zijin Dadao 2 Hao", "2 Zijin Avenue"),
            (
                "中山南路",
                5,
                "Zhongshan Nanlu 5 Hao",
                "5 Zhongshan Road South",
            ),
        ];
        for (road, n, py, en) in cases {
            let a = romanize_address(road, n);
            assert_eq!((a.pinyin.as_str(), a.english.as_str()), (py, en), "{road}");
        }
    }

    #[test]
    fn a_name_that_is_all_generic_or_unknown_is_kept_whole() {
        // 路 alone has no proper name; 西湖 has no generic term
        assert_eq!(romanize_address("路", 1).pinyin, "Lu 1 Hao");
        assert_eq!(romanize_address("西湖", 3).english, "3 Xihu");
        // a direction is only split off when a two-character name stays before it
        assert_eq!(romanize_address("东路", 1).pinyin, "Dong Lu 1 Hao");
    }
}
