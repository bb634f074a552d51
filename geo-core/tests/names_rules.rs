//! Place-name checks and the romaniser with the shipped rule set (`data/names/rules.json`)
//! on hand-classified names and on the real NBS 2023 division list.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use civmap_geo_core::names::{
    check_batch, duplicate_groups, BuildingSize, DuplicateRule, NameChecker, NameKind, NameRecord,
    NameRules, NameSubject, ScopePeer, ScopedName,
};

const RULES_JSON: &str = include_str!("../../data/names/rules.json");
const DIVISIONS_CSV: &str =
    include_str!("../../data/hangzhou/divisions/hangzhou_divisions_nbs2023.csv");

fn checker() -> NameChecker {
    let rules: NameRules = serde_json::from_str(RULES_JSON).expect("rules.json parses");
    NameChecker::new(&rules).expect("rules.json is valid")
}

/// `(code, level, name, parent)` rows of the division list, read with a plain split.
fn divisions() -> Vec<(String, String, String, String)> {
    DIVISIONS_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

fn rules_of(c: &NameChecker, name: &str, kind: NameKind) -> BTreeSet<String> {
    c.check(&NameSubject::new(name, kind))
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn known_names_are_classified() {
    let c = checker();
    let cases: &[(&str, NameKind, &[&str])] = &[
        // grand
        ("环球中心", NameKind::Building, &["grand"]),
        ("宇宙花园", NameKind::Residential, &["grand"]),
        ("中央公馆", NameKind::Residential, &["grand"]),
        ("天下第一城", NameKind::Residential, &["grand"]),
        ("世界贸易大厦", NameKind::Building, &["grand"]),
        ("中华首府", NameKind::Residential, &["grand"]),
        // foreign (list and transliteration heuristic)
        ("威尼斯水城", NameKind::Residential, &["foreign"]),
        ("曼哈顿广场", NameKind::Building, &["foreign"]),
        ("维也纳花园", NameKind::Residential, &["foreign"]),
        ("莱斯特尔公寓", NameKind::Residential, &["foreign"]),
        // odd
        ("8号大街", NameKind::Road, &["odd"]),
        ("星·城", NameKind::Residential, &["odd"]),
        ("MOMA公寓", NameKind::Residential, &["odd"]),
        ("阳光-家园", NameKind::Residential, &["odd"]),
        // stacked generic terms
        ("翠苑花园小区", NameKind::Residential, &["stacked"]),
        ("金都大厦广场", NameKind::Building, &["stacked"]),
        // clean: real names, the exceptions, commemorative numbers, a road named after a bridge
        ("文三路", NameKind::Road, &[]),
        ("中山北路", NameKind::Road, &[]),
        ("石桥路", NameKind::Road, &[]),
        ("西湖区", NameKind::District, &[]),
        ("杭州萧山国际机场", NameKind::Facility, &[]),
        ("杭州国际博览中心", NameKind::Facility, &[]),
        ("马可波罗路", NameKind::Road, &[]),
        ("五一广场", NameKind::Facility, &[]),
        ("朝晖新村社区", NameKind::Community, &[]),
        ("观山村委会", NameKind::Community, &[]),
    ];
    let mut wrong = Vec::new();
    for (name, kind, want) in cases {
        let got = rules_of(&c, name, *kind);
        let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
        if got != want {
            wrong.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn findings_cite_their_clauses() {
    let c = checker();
    let f = c.check(&NameSubject::new("环球中心", NameKind::Building));
    assert!(f[0].clause.contains("清理整治不规范地名"), "{f:?}");
    assert!(f[0].detail.contains("环球"), "{f:?}");
    let f = c.check(&NameSubject::new("威尼斯水城", NameKind::Residential));
    assert!(f[0].clause.contains("《地名管理条例》"), "{f:?}");
}

#[test]
fn duplicates_and_homophones_in_a_scope() {
    let c = checker();
    let peers = [
        ScopePeer {
            code: "330182112002",
            name: "劳村居委会",
        },
        ScopePeer {
            code: "330182112201",
            name: "新华村委会",
        },
        ScopePeer {
            code: "330182112202",
            name: "张家村委会",
        },
    ];
    let check = |name: &str| -> BTreeSet<String> {
        c.check_in_scope(&NameSubject::new(name, NameKind::Community), &peers)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(check("劳村"), BTreeSet::from(["duplicate".to_owned()]));
    assert_eq!(
        check("劳村村委会"),
        BTreeSet::from(["duplicate".to_owned()])
    );
    assert_eq!(check("老村"), BTreeSet::from(["homophone".to_owned()]));
    assert_eq!(check("新桦村"), BTreeSet::from(["homophone".to_owned()]));
    // zh/z: alike only in local speech (the dialect table)
    let f = c.check_in_scope(&NameSubject::new("臧家村", NameKind::Community), &peers);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].detail.contains("local speech"), "{f:?}");
    assert!(check("东岳村").is_empty());
}

#[test]
fn size_thresholds_apply_where_building_data_exists() {
    let c = checker();
    let mut s = NameSubject::new("金都大厦", NameKind::Building);
    assert!(c.check(&s).is_empty(), "no building data: no finding");
    s.building = Some(BuildingSize {
        height_m: Some(18.0),
        floors: Some(6),
    });
    let f = c.check(&s);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule, "size");
    s.building = Some(BuildingSize {
        height_m: Some(18.0),
        floors: Some(8),
    });
    assert!(c.check(&s).is_empty(), "8 floors is enough");
    s.building = Some(BuildingSize {
        height_m: Some(24.0),
        floors: None,
    });
    assert!(c.check(&s).is_empty(), "24 m is enough");
}

#[test]
fn english_names_are_linted() {
    let c = checker();
    let lint = |zh: &str, en: &str| -> Vec<String> {
        let mut s = NameSubject::new(zh, NameKind::Road);
        s.english = Some(en);
        c.check(&s).into_iter().map(|f| f.detail).collect()
    };
    assert!(lint("文三路", "Wensan Lu").is_empty());
    assert!(lint("文三路", "WENSAN LU").is_empty());
    assert!(lint("文三路", "Wensan Road")[0].contains("'Wensan Lu'"));
    assert!(lint("文三路", "WensanLu")[0].contains("spacing"));
    assert!(lint("延安路", "Yanan Lu")[0].contains("apostrophes"));
}

/// Rule-book forms (GB/T 16159 6.3: proper and generic apart, capitalised, apostrophes;
/// 1984 rules art. 7: lane ordinals in digits) of units of the real division list and of
/// roads and streets, written out by hand.
#[test]
fn romaniser_gives_the_rule_book_form() {
    let c = checker();
    let r = c.romanizer();
    let rows = divisions();
    let names: BTreeSet<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let units: &[(&str, &str)] = &[
        ("杭州市", "Hangzhou Shi"),
        ("西湖区", "Xihu Qu"),
        ("上城区", "Shangcheng Qu"),
        ("拱墅区", "Gongshu Qu"),
        ("萧山区", "Xiaoshan Qu"),
        ("临平区", "Linping Qu"),
        ("淳安县", "Chun'an Xian"),
        ("桐庐县", "Tonglu Xian"),
        ("建德市", "Jiande Shi"),
        ("长庆街道", "Changqing Jiedao"),
        ("长河街道", "Changhe Jiedao"),
        ("朝晖街道", "Zhaohui Jiedao"),
        ("九堡街道", "Jiubao Jiedao"),
        ("新安江街道", "Xin'anjiang Jiedao"),
        ("米市巷街道", "Mishixiang Jiedao"),
        ("拱宸桥街道", "Gongchenqiao Jiedao"),
        ("更楼街道", "Genglou Jiedao"),
        ("良渚街道", "Liangzhu Jiedao"),
        ("西兴街道", "Xixing Jiedao"),
        ("塘栖镇", "Tangqi Zhen"),
        ("乾潭镇", "Qiantan Zhen"),
        ("临岐镇", "Linqi Zhen"),
        ("富春江镇", "Fuchunjiang Zhen"),
        ("瓶窑镇", "Pingyao Zhen"),
        ("南门社区", "Nanmen Shequ"),
        ("外源村村委会", "Waiyuan Cun"),
        ("观山村委会", "Guanshan Cun"),
        ("富城村村民委员会", "Fucheng Cun"),
    ];
    let mut wrong = Vec::new();
    for (zh, want) in units {
        assert!(names.contains(zh), "{zh} is not in the 2023 division list");
        match r.romanize(zh) {
            Ok(got) if got.map_form == *want => {
                assert_eq!(got.sign_form, want.to_uppercase());
            }
            Ok(got) => wrong.push(format!("{zh}: {} (want {want})", got.map_form)),
            Err(e) => wrong.push(format!("{zh}: {e}")),
        }
    }
    let roads: &[(&str, &str)] = &[
        ("文三路", "Wensan Lu"),
        ("中山北路", "Zhongshan Beilu"),
        ("延安路", "Yan'an Lu"),
        ("解放路", "Jiefang Lu"),
        ("湖滨路", "Hubin Lu"),
        ("河坊街", "Hefang Jie"),
        ("大川淀一巷", "Dachuandian 1 Xiang"),
        ("第九弄", "Di-9 Nong"),
        ("二马路", "2 Malu"),
        ("西湖", "Xi Hu"),
        ("1号大街", "1 Hao Dajie"),
    ];
    for (zh, want) in roads {
        match r.romanize(zh) {
            Ok(got) if got.map_form == *want => {}
            Ok(got) => wrong.push(format!("{zh}: {} (want {want})", got.map_form)),
            Err(e) => wrong.push(format!("{zh}: {e}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(r.romanize("MOMA公寓").is_err());
}

#[test]
fn every_real_unit_name_romanizes() {
    let c = checker();
    for (code, _, name, _) in divisions() {
        let out = c.romanizer().romanize(&name);
        if name.chars().any(|ch| "（）()".contains(ch)) {
            // 艾溪（西湖）社区: brackets are not romanised, the name is refused by name
            assert!(out.unwrap_err().to_string().contains('（'), "{code} {name}");
            continue;
        }
        let out = out.unwrap_or_else(|e| panic!("{code} {name}: {e}"));
        assert!(
            out.map_form
                .split(' ')
                .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())),
            "{code} {name}: {}",
            out.map_form
        );
    }
}

/// The reading overrides matter: without them the crate's most common readings give other
/// spellings for these real units.
#[test]
fn reading_overrides_change_the_default_readings() {
    let rules: NameRules = serde_json::from_str(RULES_JSON).unwrap();
    let mut bare = rules.clone();
    bare.readings.clear();
    let with = NameChecker::new(&rules).unwrap();
    let without = NameChecker::new(&bare).unwrap();
    let differs = ["朝晖街道", "长庆街道"]
        .iter()
        .filter(|n| {
            with.romanizer().romanize(n).unwrap().map_form
                != without.romanizer().romanize(n).unwrap().map_form
        })
        .count();
    assert!(differs >= 1, "no override changed a reading");
    // the registry's overrides take precedence over the file's
    let extra = BTreeMap::from([("朝晖".to_owned(), "chao hui".to_owned())]);
    let reg = NameChecker::with_readings(&rules, &extra).unwrap();
    assert_eq!(
        reg.romanizer().romanize("朝晖街道").unwrap().map_form,
        "Chaohui Jiedao"
    );
}

/// The real list's duplicate community names per township equal a plain count: names with
/// their committee suffix cut, grouped by parent, groups of two or more.
#[test]
fn real_duplicate_communities_per_township_equal_a_plain_count() {
    let rows = divisions();
    // the plain count, written independently of the library
    let strip = |n: &str| -> String {
        for (suffix, keep) in [
            ("社区居民委员会", "社区"),
            ("社区居委会", "社区"),
            ("居民委员会", ""),
            ("居委会", ""),
            ("村民委员会", "村"),
            ("村委会", "村"),
        ] {
            if let Some(rest) = n.strip_suffix(suffix) {
                if !rest.is_empty() {
                    return if rest.ends_with(keep) {
                        rest.to_owned()
                    } else {
                        format!("{rest}{keep}")
                    };
                }
            }
        }
        n.to_owned()
    };
    let mut count: HashMap<(String, String), usize> = HashMap::new();
    for (_, level, name, parent) in rows.iter().filter(|r| r.1 == "village") {
        let _ = level;
        *count.entry((parent.clone(), strip(name))).or_default() += 1;
    }
    let plain = count.values().filter(|&&n| n > 1).count();
    let plain_records: usize = count.values().filter(|&&n| n > 1).sum();

    let c = checker();
    let names: Vec<ScopedName> = rows
        .iter()
        .filter(|r| r.1 == "village")
        .map(|r| ScopedName {
            code: r.0.clone(),
            name: r.2.clone(),
            scope: r.3.clone(),
        })
        .collect();
    let groups = duplicate_groups(&names, c.romanizer());
    let dups: Vec<_> = groups
        .iter()
        .filter(|g| g.rule == DuplicateRule::Duplicate)
        .collect();
    assert_eq!(dups.len(), plain, "{dups:?}");
    assert_eq!(
        dups.iter().map(|g| g.codes.len()).sum::<usize>(),
        plain_records
    );
    assert!(plain >= 1, "the 2023 list has 劳村 twice in one township");
    // homophones are distinct names with one sound
    for g in groups.iter().filter(|g| g.rule == DuplicateRule::Homophone) {
        assert!(g.name.contains(" / "), "{g:?}");
    }
}

#[test]
fn batch_over_the_real_list() {
    let c = checker();
    let rows = divisions();
    let records: Vec<NameRecord> = rows
        .iter()
        .filter_map(|(code, level, name, parent)| {
            let kind = match level.as_str() {
                "district" => NameKind::District,
                "township" => NameKind::Township,
                "village" => NameKind::Community,
                _ => return None,
            };
            Some(NameRecord {
                key: code.clone(),
                kind,
                name: name.clone(),
                scope: Some(parent.clone()),
                affects: BTreeMap::new(),
            })
        })
        .collect();
    let list = check_batch(&c, &records);
    assert_eq!(list.checked, records.len());
    // 劳村 twice in 330182112000: both records listed, each naming the other
    let lao: Vec<_> = list
        .entries
        .iter()
        .filter(|e| e.key.starts_with("330182112"))
        .collect();
    assert!(lao.iter().any(|e| e.key == "330182112002"
        && e.findings
            .iter()
            .any(|f| f.rule == "duplicate" && f.detail.contains("330182112266"))));
    // real official names: no grand, foreign or odd names among them beyond a handful
    let flagged: Vec<String> = list
        .entries
        .iter()
        .filter(|e| {
            e.findings
                .iter()
                .any(|f| ["grand", "foreign", "odd"].contains(&f.rule.as_str()))
        })
        .map(|e| format!("{} {}: {:?}", e.key, e.name, e.findings))
        .collect();
    assert!(flagged.len() <= 10, "{}", flagged.join("\n"));
}
