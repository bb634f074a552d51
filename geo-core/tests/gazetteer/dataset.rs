//! A test dataset for the gazetteer: the real NBS 2023 division table of Hangzhou (real names
//! and codes; dummy square geometries on a grid) plus hand-picked real road names, filler
//! roads, doorplates, facilities and landmarks. Shared by the quality test and the bench
//! (`#[path]`), and mirrored by `make_quality.py`, which writes the expected answers.

#![allow(dead_code)]

use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, Doorplate, Facility, FacilityAttributes,
    FacilityCategory, Landmark,
};
use geo::{polygon, MultiPolygon, Point};

pub const DIVISIONS_CSV: &str =
    include_str!("../../../data/hangzhou/divisions/hangzhou_divisions_nbs2023.csv");

/// Real Hangzhou road names, each placed in the community at `index * 37 % communities`.
pub const ROADS: &[&str] = &[
    "文三路",
    "文二路",
    "文一路",
    "莫干山路",
    "天目山路",
    "延安路",
    "解放路",
    "庆春路",
    "凤起路",
    "体育场路",
    "教工路",
    "学院路",
    "古墩路",
    "保俶路",
    "南山路",
    "湖滨路",
    "中河路",
    "建国路",
    "秋涛路",
    "钱江路",
    "江南大道",
    "滨盛路",
    "江陵路",
    "市心路",
    "金城路",
    "临平大道",
    "丰潭路",
    "紫金港路",
    "余杭塘路",
    "留和路",
    "之江路",
    "虎跑路",
    "曙光路",
    "黄龙路",
    "西溪路",
    "灵隐路",
    "环城北路",
    "环城西路",
    "武林路",
    "中山北路",
    "上塘路",
    "石祥路",
    "德胜路",
    "东新路",
    "望江路",
    "清泰街",
    "河坊街",
    "平海路",
    "惠民路",
    "九堡大道",
    "月雅路",
    "闻涛路",
    "网商路",
    "江晖路",
    "滨安路",
    "风情大道",
];

/// Characters of filler road stems (pairs of distinct characters).
pub const FILLER_CHARS: &[char] = &[
    '祥', '瑞', '丰', '泰', '兴', '康', '宁', '安', '和', '顺', '福', '嘉', '华', '荣', '盛', '昌',
    '隆', '裕', '鸿', '鑫',
];
pub const FILLER_SUFFIX: &[&str] = &["路", "街", "巷"];

/// The `i`-th filler road name: stems are ordered pairs of distinct `FILLER_CHARS`, then a
/// number when they run out (`祥瑞二路`…), as the synthetic generator does.
pub fn filler_road(i: usize) -> String {
    let n = FILLER_CHARS.len();
    let pairs = n * (n - 1);
    let p = i % pairs;
    let a = p / (n - 1);
    let mut b = p % (n - 1);
    if b >= a {
        b += 1;
    }
    let round = i / pairs;
    let suffix = FILLER_SUFFIX[i % FILLER_SUFFIX.len()];
    if round == 0 {
        format!("{}{}{}", FILLER_CHARS[a], FILLER_CHARS[b], suffix)
    } else {
        format!(
            "{}{}{}{}",
            FILLER_CHARS[a],
            FILLER_CHARS[b],
            round + 1,
            suffix
        )
    }
}

/// Landmarks: real names of well-known places.
pub const LANDMARKS: &[&str] = &[
    "西湖文化广场",
    "武林广场",
    "杭州东站",
    "黄龙体育中心",
    "杭州国际博览中心",
    "浙江大学紫金港校区",
    "灵隐寺",
    "六和塔",
    "雷峰塔",
    "西溪国家湿地公园",
];

/// The stem of an admin name (all civil suffixes stripped), as the facility names use it.
pub fn stem(name: &str) -> &str {
    let mut cur = name;
    loop {
        let mut changed = false;
        for suf in [
            "社区居民委员会",
            "村民委员会",
            "居民委员会",
            "社区居委会",
            "村委会",
            "居委会",
            "社区",
            "街道",
            "区",
            "县",
            "市",
            "镇",
            "乡",
            "村",
        ] {
            if let Some(s) = cur.strip_suffix(suf) {
                if s.chars().count() >= 2 {
                    cur = s;
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            return cur;
        }
    }
}

fn square(i: usize) -> MultiPolygon<f64> {
    let (x, y) = (
        119.0 + (i % 80) as f64 * 0.02,
        29.3 + (i / 80) as f64 * 0.02,
    );
    MultiPolygon(vec![polygon![
        (x: x, y: y), (x: x + 0.01, y: y), (x: x + 0.01, y: y + 0.01), (x: x, y: y + 0.01)
    ]])
}

/// The admin units of the real division table.
pub fn admin_units() -> Vec<AdminUnit> {
    let mut out = Vec::new();
    for (i, line) in DIVISIONS_CSV.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 6 {
            continue;
        }
        let level = match f[1] {
            "city" => AdminLevel::City,
            "district" => AdminLevel::District,
            "township" => AdminLevel::Township,
            _ => AdminLevel::Community,
        };
        let population = match level {
            AdminLevel::City => 12_000_000,
            AdminLevel::District => 800_000 + (i as u64 * 7919) % 400_000,
            AdminLevel::Township => 40_000 + (i as u64 * 7919) % 40_000,
            AdminLevel::Community => 2_000 + (i as u64 * 7919) % 4_000,
        };
        out.push(AdminUnit {
            code: AdminCode::parse(f[0]).expect("code"),
            name: f[2].to_owned(),
            level,
            parent: (level != AdminLevel::City).then(|| AdminCode::parse(f[3]).expect("parent")),
            kind: f[5].to_owned(),
            geometry: square(i),
            population,
            elderly: population / 5,
            synthetic: false,
        });
    }
    out
}

/// Builds the dataset: real admin units, `ROADS` with doorplates 1..=`numbers_per_road`, `fillers`
/// filler roads (doorplates 1..=`filler_numbers`), facilities for every township, every 5th
/// community and every district, and the landmarks. `extra_facilities` adds numbered
/// facilities (for realistic bench sizes).
pub fn dataset(
    numbers_per_road: u32,
    fillers: usize,
    filler_numbers: u32,
    extra_facilities: usize,
) -> Dataset {
    let admin = admin_units();
    let communities: Vec<usize> = (0..admin.len())
        .filter(|&i| admin[i].level == AdminLevel::Community)
        .collect();
    let mut ds = Dataset {
        admin,
        ..Dataset::default()
    };
    let mut next_id = 0u64;
    let mut add_road = |ds: &mut Dataset, name: &str, community: usize, numbers: u32| {
        let road = ds.network.intern_road(name);
        let _ = road;
        let c = ds.admin[community].code.clone();
        let base = ds.admin[community].geometry.0[0].exterior().0[0];
        for n in 1..=numbers {
            ds.doorplates.push(Doorplate {
                id: next_id,
                road: name.to_owned(),
                number: n,
                location: Point::new(base.x + 0.0001 * f64::from(n % 90), base.y + 0.005),
                residents: 3,
                elderly: 1,
                community: Some(c.clone()),
                synthetic: true,
            });
            next_id += 1;
        }
    };
    for (k, name) in ROADS.iter().enumerate() {
        add_road(
            &mut ds,
            name,
            communities[k * 37 % communities.len()],
            numbers_per_road,
        );
    }
    for i in 0..fillers {
        let c = communities[(i * 13 + 5) % communities.len()];
        add_road(&mut ds, &filler_road(i), c, filler_numbers);
    }
    let mut facilities = Vec::new();
    let mut fac = |name: String, category: FacilityCategory, unit: &AdminUnit| {
        let p = unit.geometry.0[0].exterior().0[0];
        facilities.push(Facility {
            id: format!("f{}", facilities.len()),
            name,
            category,
            location: Point::new(p.x + 0.002, p.y + 0.002),
            address: String::new(),
            admin_code: Some(unit.code.clone()),
            attributes: FacilityAttributes::default(),
            synthetic: true,
        });
    };
    let mut ci = 0;
    for u in &ds.admin {
        match u.level {
            AdminLevel::District => fac(
                format!("{}婚姻登记处", u.name),
                FacilityCategory::MarriageRegistry,
                u,
            ),
            AdminLevel::Township => fac(
                format!("{}居家养老服务照料中心", stem(&u.name)),
                FacilityCategory::HomeCareCentre,
                u,
            ),
            AdminLevel::Community => {
                if ci % 5 == 0 {
                    fac(
                        format!("{}老年助餐点", stem(&u.name)),
                        FacilityCategory::ElderCanteen,
                        u,
                    );
                }
                ci += 1;
            }
            AdminLevel::City => {}
        }
    }
    for i in 0..extra_facilities {
        let u = &ds.admin[communities[(i * 7 + 3) % communities.len()]];
        fac(
            format!("{}第{}邻里中心", stem(&u.name), i + 1),
            FacilityCategory::NeighbourhoodCentre,
            u,
        );
    }
    ds.facilities = facilities;
    for (i, name) in LANDMARKS.iter().enumerate() {
        ds.landmarks.push(Landmark {
            id: format!("lm{i}"),
            name: (*name).to_owned(),
            kind: "tourism=attraction".to_owned(),
            location: Point::new(120.1 + i as f64 * 0.01, 30.25),
            synthetic: false,
        });
    }
    ds
}

/// The dataset of the quality test.
pub fn quality_dataset() -> Dataset {
    dataset(150, 300, 20, 0)
}
