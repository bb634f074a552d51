//! Address text as people write it, before parsing: traditional characters, dashes in
//! house numbers (`8-1号`), category words (`养老`, `marriage registry`), and the limits of
//! reverse geocoding.

use std::sync::OnceLock;

use serde::Serialize;

use crate::FacilityCategory;

/// How well an address query resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressQuality {
    /// Every component recognised and consistent with the others.
    Exact,
    /// Some components did not resolve or conflict (see `unmatched`).
    Partial,
    /// The road was found by its sound only (a homophone of the written name).
    Fuzzy,
}

/// Reverse geocoding answers `outside: true` (no chain, no doorplate) farther than this from
/// every doorplate: a "nearest doorplate" 100 km away is not an address of the point.
pub const REVERSE_MAX_DISTANCE_M: f64 = 1000.0;

/// Traditional → simplified for the characters of Hangzhou's place and address words (the
/// pinyin of a traditional character already matched; the address parser needs the
/// characters themselves). Not a general converter: place-name characters and address
/// words only.
const TRADITIONAL: &[(char, char)] = &[
    ('區', '区'),
    ('縣', '县'),
    ('鎮', '镇'),
    ('鄉', '乡'),
    ('號', '号'),
    ('樓', '楼'),
    ('單', '单'),
    ('棟', '栋'),
    ('門', '门'),
    ('東', '东'),
    ('陽', '阳'),
    ('臨', '临'),
    ('蕭', '萧'),
    ('餘', '余'),
    ('橋', '桥'),
    ('興', '兴'),
    ('華', '华'),
    ('寧', '宁'),
    ('豐', '丰'),
    ('長', '长'),
    ('龍', '龙'),
    ('灣', '湾'),
    ('園', '园'),
    ('莊', '庄'),
    ('錢', '钱'),
    ('濱', '滨'),
    ('廬', '庐'),
    ('廟', '庙'),
    ('鳳', '凤'),
    ('慶', '庆'),
    ('體', '体'),
    ('場', '场'),
    ('學', '学'),
    ('環', '环'),
    ('勝', '胜'),
    ('雲', '云'),
    ('開', '开'),
    ('發', '发'),
    ('塢', '坞'),
    ('嶺', '岭'),
    ('灣', '湾'),
    ('滬', '沪'),
    ('蘇', '苏'),
    ('壩', '坝'),
    ('鄰', '邻'),
    ('裡', '里'),
    ('裏', '里'),
    ('黃', '黄'),
    ('萬', '万'),
    ('與', '与'),
    ('書', '书'),
    ('張', '张'),
    ('陳', '陈'),
    ('劉', '刘'),
    ('楊', '杨'),
    ('趙', '赵'),
    ('孫', '孙'),
    ('馬', '马'),
    ('許', '许'),
    ('鄭', '郑'),
    ('謝', '谢'),
    ('韓', '韩'),
    ('馮', '冯'),
    ('葉', '叶'),
    ('蔣', '蒋'),
    ('瀋', '沈'),
    ('範', '范'),
    ('鄧', '邓'),
    ('羅', '罗'),
    ('吳', '吴'),
    ('後', '后'),
    ('溝', '沟'),
    ('線', '线'),
    ('廣', '广'),
    ('鐵', '铁'),
    ('倉', '仓'),
    ('衛', '卫'),
    ('園', '园'),
    ('層', '层'),
    ('莊', '庄'),
    ('聖', '圣'),
    ('灘', '滩'),
    ('壇', '坛'),
    ('潯', '浔'),
    ('濟', '济'),
    ('澤', '泽'),
    ('灣', '湾'),
    ('濤', '涛'),
    ('瀾', '澜'),
    ('滿', '满'),
    ('湯', '汤'),
    ('淺', '浅'),
    ('漁', '渔'),
    ('潛', '潜'),
    ('鳥', '鸟'),
    ('鶴', '鹤'),
    ('鹽', '盐'),
    ('麗', '丽'),
    ('億', '亿'),
    ('農', '农'),
    ('閘', '闸'),
    ('關', '关'),
    ('陸', '陆'),
    ('隴', '陇'),
    ('險', '险'),
    ('雙', '双'),
    ('雞', '鸡'),
    ('電', '电'),
    ('靈', '灵'),
    ('頭', '头'),
    ('順', '顺'),
    ('風', '风'),
    ('飛', '飞'),
    ('館', '馆'),
    ('駐', '驻'),
    ('驛', '驿'),
    ('魚', '鱼'),
    ('齊', '齐'),
    ('織', '织'),
    ('絲', '丝'),
    ('綠', '绿'),
    ('網', '网'),
    ('義', '义'),
    ('聯', '联'),
    ('藝', '艺'),
    ('蓮', '莲'),
    ('蘆', '芦'),
    ('蘭', '兰'),
    ('護', '护'),
    ('謙', '谦'),
    ('豊', '丰'),
    ('貴', '贵'),
    ('資', '资'),
    ('賢', '贤'),
    ('車', '车'),
    ('軍', '军'),
    ('輝', '辉'),
    ('運', '运'),
    ('達', '达'),
    ('遠', '远'),
    ('選', '选'),
    ('遺', '遗'),
    ('郵', '邮'),
    ('醫', '医'),
    ('針', '针'),
    ('銀', '银'),
    ('錦', '锦'),
    ('鍾', '钟'),
    ('鐘', '钟'),
    ('長', '长'),
    ('閒', '闲'),
    ('間', '间'),
    ('閩', '闽'),
    ('陰', '阴'),
    ('隱', '隐'),
    ('離', '离'),
    ('養', '养'),
    ('營', '营'),
    ('記', '记'),
    ('婦', '妇'),
    ('兒', '儿'),
    ('會', '会'),
    ('務', '务'),
    ('處', '处'),
    ('濕', '湿'),
    ('寶', '宝'),
    ('實', '实'),
    ('審', '审'),
    ('嶼', '屿'),
    ('島', '岛'),
    ('帶', '带'),
    ('歸', '归'),
    ('徑', '径'),
    ('復', '复'),
    ('經', '经'),
    ('濰', '潍'),
    ('觀', '观'),
    ('規', '规'),
    ('計', '计'),
    ('詩', '诗'),
    ('諸', '诸'),
    ('證', '证'),
    ('讓', '让'),
    ('傳', '传'),
    ('億', '亿'),
    ('儀', '仪'),
    ('勞', '劳'),
    ('協', '协'),
    ('廠', '厂'),
    ('縣', '县'),
    ('參', '参'),
    ('嚴', '严'),
    ('團', '团'),
    ('圓', '圆'),
    ('壽', '寿'),
    ('夢', '梦'),
    ('學', '学'),
    ('寫', '写'),
    ('將', '将'),
    ('對', '对'),
    ('導', '导'),
    ('屆', '届'),
    ('岡', '冈'),
    ('峽', '峡'),
    ('巖', '岩'),
    ('幣', '币'),
    ('廈', '厦'),
    ('廳', '厅'),
    ('強', '强'),
    ('彎', '弯'),
    ('從', '从'),
    ('戶', '户'),
    ('揚', '扬'),
    ('撫', '抚'),
    ('擁', '拥'),
    ('數', '数'),
    ('斷', '断'),
    ('時', '时'),
    ('曉', '晓'),
    ('書', '书'),
    ('條', '条'),
    ('來', '来'),
    ('楓', '枫'),
    ('楊', '杨'),
    ('樂', '乐'),
    ('橫', '横'),
    ('機', '机'),
    ('檔', '档'),
    ('櫻', '樱'),
    ('權', '权'),
    ('歷', '历'),
    ('殘', '残'),
    ('氣', '气'),
    ('漢', '汉'),
    ('潤', '润'),
    ('澗', '涧'),
    ('點', '点'),
    ('熱', '热'),
    ('爾', '尔'),
    ('牆', '墙'),
    ('獅', '狮'),
    ('現', '现'),
    ('瑪', '玛'),
    ('產', '产'),
    ('畝', '亩'),
    ('當', '当'),
    ('療', '疗'),
    ('盤', '盘'),
    ('眾', '众'),
    ('礦', '矿'),
    ('礎', '础'),
    ('禮', '礼'),
    ('種', '种'),
    ('穩', '稳'),
    ('窯', '窑'),
    ('競', '竞'),
    ('筆', '笔'),
    ('築', '筑'),
    ('簡', '简'),
    ('糧', '粮'),
    ('紅', '红'),
    ('紀', '纪'),
    ('約', '约'),
    ('紡', '纺'),
    ('細', '细'),
    ('組', '组'),
    ('結', '结'),
    ('綜', '综'),
    ('維', '维'),
    ('總', '总'),
    ('繡', '绣'),
    ('續', '续'),
    ('聲', '声'),
    ('職', '职'),
    ('腦', '脑'),
    ('與', '与'),
    ('艦', '舰'),
    ('蘭', '兰'),
    ('蟲', '虫'),
    ('衝', '冲'),
    ('裝', '装'),
    ('見', '见'),
    ('視', '视'),
    ('親', '亲'),
    ('訊', '讯'),
    ('設', '设'),
    ('話', '话'),
    ('認', '认'),
    ('請', '请'),
    ('讀', '读'),
    ('變', '变'),
    ('豬', '猪'),
    ('貝', '贝'),
    ('財', '财'),
    ('貨', '货'),
    ('購', '购'),
    ('賽', '赛'),
    ('趕', '赶'),
    ('躍', '跃'),
    ('較', '较'),
    ('輪', '轮'),
    ('輕', '轻'),
    ('辦', '办'),
    ('邊', '边'),
    ('鄉', '乡'),
    ('釣', '钓'),
    ('錄', '录'),
    ('鋼', '钢'),
    ('閣', '阁'),
    ('闆', '板'),
    ('陣', '阵'),
    ('際', '际'),
    ('隊', '队'),
    ('階', '阶'),
    ('雜', '杂'),
    ('難', '难'),
    ('韋', '韦'),
    ('項', '项'),
    ('願', '愿'),
    ('類', '类'),
    ('顯', '显'),
    ('飯', '饭'),
    ('驗', '验'),
    ('髮', '发'),
    ('鬥', '斗'),
    ('麥', '麦'),
    ('齡', '龄'),
    ('壯', '壮'),
    ('舊', '旧'),
    ('獎', '奖'),
    ('墾', '垦'),
    ('塊', '块'),
    ('倫', '伦'),
    ('們', '们'),
    ('個', '个'),
    ('區', '区'),
    ('廣', '广'),
    ('畫', '画'),
];

/// The simplified form of a traditional character of [`TRADITIONAL`], else `c`.
pub(crate) fn simplify(c: char) -> char {
    if (c as u32) < 0x4E00 {
        return c;
    }
    TRADITIONAL
        .iter()
        .find(|(t, _)| *t == c)
        .map_or(c, |&(_, s)| s)
}

/// Before folding: traditional characters simplified, and a dash between two digits (`8-1`,
/// `８－１`, `8—1`) written `之`, the sub-number mark, so that folding (which drops
/// punctuation) does not turn `8-1号` into `81号`.
pub(crate) fn pre_fold(q: &str) -> String {
    let chars: Vec<char> = q
        .chars()
        .map(|c| match c as u32 {
            0xFF10..=0xFF19 => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => simplify(c),
        })
        .collect();
    let is_digit = |c: char| c.is_ascii_digit() || super::text::is_numeral_char(c);
    let mut out = String::with_capacity(q.len());
    for (i, &c) in chars.iter().enumerate() {
        let dash = matches!(c, '-' | '－' | '—' | '–' | '‐' | '―');
        if dash && i > 0 && is_digit(chars[i - 1]) && chars.get(i + 1).is_some_and(|&n| is_digit(n))
        {
            out.push('之');
        } else {
            out.push(c);
        }
    }
    out
}

/// Category words people type, folded (Chinese, English, the API id), with the categories
/// they mean. The official names of every category are added by [`category_of`].
const CATEGORY_WORDS: &[(&str, &[FacilityCategory])] = {
    use FacilityCategory::*;
    &[
        (
            "养老",
            &[
                ElderCanteen,
                HomeCareCentre,
                ElderCareInstitution,
                HealthElderUnion,
            ],
        ),
        ("养老院", &[ElderCareInstitution]),
        ("敬老院", &[ElderCareInstitution]),
        ("养老服务", &[HomeCareCentre, ElderCareInstitution]),
        ("eldercare", &[HomeCareCentre, ElderCareInstitution]),
        ("elderlycare", &[HomeCareCentre, ElderCareInstitution]),
        ("助餐", &[ElderCanteen]),
        ("助餐点", &[ElderCanteen]),
        ("老年助餐点", &[ElderCanteen]),
        ("长者食堂", &[ElderCanteen]),
        ("eldercanteen", &[ElderCanteen]),
        ("婚姻登记", &[MarriageRegistry]),
        ("结婚登记", &[MarriageRegistry]),
        ("marriageregistry", &[MarriageRegistry]),
        ("marriageregistration", &[MarriageRegistry]),
        ("儿童", &[ChildrenHome, ChildWelfareInstitution]),
        ("救助站", &[ReliefStation]),
        ("殡仪馆", &[FuneralService]),
    ]
};

/// The facility categories a folded query names, if it is a category word: one of
/// [`CATEGORY_WORDS`], or a category's Chinese name, English name or id.
pub(crate) fn category_of(f: &str) -> Vec<FacilityCategory> {
    if let Some((_, cats)) = CATEGORY_WORDS.iter().find(|(w, _)| *w == f) {
        return cats.to_vec();
    }
    // folded once: this runs on every query
    static NAMES: OnceLock<Vec<(String, FacilityCategory)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        FacilityCategory::ALL
            .iter()
            .flat_map(|&c| {
                [c.name_zh(), c.name_en(), c.id()]
                    .into_iter()
                    .map(move |n| (super::text::fold(n), c))
            })
            .collect()
    });
    let mut out: Vec<FacilityCategory> = names
        .iter()
        .filter(|(n, _)| n == f)
        .map(|&(_, c)| c)
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_between_digits_become_sub_number_marks() {
        assert_eq!(pre_fold("东丰路8-1号"), "东丰路8之1号");
        assert_eq!(pre_fold("东丰路８－１号"), "东丰路8之1号");
        assert_eq!(pre_fold("八-一号"), "八之一号");
        assert_eq!(pre_fold("a-b"), "a-b");
        assert_eq!(pre_fold("西湖區文三路"), "西湖区文三路");
    }

    #[test]
    fn category_words_in_chinese_english_and_ids() {
        assert!(category_of("养老").contains(&FacilityCategory::ElderCanteen));
        assert_eq!(
            category_of("eldercanteen"),
            vec![FacilityCategory::ElderCanteen]
        );
        assert_eq!(
            category_of("婚姻登记"),
            vec![FacilityCategory::MarriageRegistry]
        );
        assert_eq!(
            category_of("marriageregistry"),
            vec![FacilityCategory::MarriageRegistry]
        );
        assert_eq!(
            category_of("婚姻登记处"),
            vec![FacilityCategory::MarriageRegistry]
        );
        assert!(category_of("西湖区").is_empty());
    }
}
