//! Road names that read like Hangzhou's (文三路, 莫干山路, 丰潭路…): two-character stems
//! from characters common in the city's street names plus a suffix, unique within a
//! district so that road + number identifies a doorplate there.

use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::HashSet;

const FIRST: &[char] = &[
    '文', '学', '教', '古', '翠', '丰', '莫', '天', '紫', '金', '余', '塘', '凤', '秋', '东', '西',
    '南', '北', '新', '和', '平', '安', '江', '湖', '明', '光', '华', '兴', '振', '德', '胜', '利',
    '庆', '春', '望', '云', '龙', '建', '延', '环', '体', '育', '机', '场', '解', '放', '中', '河',
    '钱', '富', '临', '桐', '淳', '梅', '桂', '竹', '松', '柳', '荷', '桃', '杏', '瓶', '窑', '宝',
    '石', '玉', '青', '白', '红', '黄', '长', '永', '复',
];
const SECOND: &[char] = &[
    '山', '溪', '桥', '塘', '浦', '港', '湾', '滨', '林', '园', '苑', '庄', '家', '城', '门', '坊',
    '亭', '台', '楼', '阁', '院', '堤', '岭', '坞', '埠', '泾', '渡', '墩', '口', '洲', '湖', '河',
    '江', '源', '田', '坪', '阳', '光', '安', '宁', '和', '兴', '盛', '丰', '华', '新', '星', '月',
    '晖', '霞', '虹', '祥', '瑞', '福', '康', '乐', '泰',
];
const SUFFIX: &[&str] = &["路", "路", "路", "街", "街", "巷", "弄", "大道"];

/// Hands out road names unique within one district.
#[derive(Debug, Default)]
pub struct RoadNamer {
    used: HashSet<String>,
}

impl RoadNamer {
    /// A fresh namer for one district.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new road name not used before in this namer.
    pub fn next<R: Rng>(&mut self, rng: &mut R) -> String {
        for attempt in 0.. {
            let a = *FIRST.choose(rng).unwrap_or(&'文');
            let b = *SECOND.choose(rng).unwrap_or(&'山');
            let s = *SUFFIX.choose(rng).unwrap_or(&"路");
            let name = if attempt < 200 {
                format!("{a}{b}{s}")
            } else {
                // stems exhausted: ordinal roads, as towns do (工业一路, 工业二路…)
                let c = *SECOND.choose(rng).unwrap_or(&'山');
                format!("{a}{b}{c}{s}")
            };
            if self.used.insert(name.clone()) {
                return name;
            }
        }
        unreachable!()
    }
}
