//! Old and informal names. Hangzhou's map changed often (2001, 2014, 2017, 2021): people
//! still say 下城区 and 江干区, and old documents carry their codes, so an old name must lead
//! to the unit that holds its territory today.

use crate::names::NameType;

/// What an [`Alias`] leads to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AliasTarget {
    /// The admin unit whose 12-digit code is the alias's `target_code`.
    #[default]
    Unit,
    /// The road the data calls `target_code` (its doorplates and edges carry that name),
    /// called `current` now: the gazetteer names the road and the addresses of its
    /// doorplates `current`, and finds it by both names.
    Road {
        /// The road's name now.
        current: String,
    },
    /// The facility whose id is `target_code`.
    Facility,
    /// The landmark whose id is `target_code`.
    Landmark,
}

/// Another name for a current place: an old name of an admin unit (with its old code), an
/// informal one, or a name of the name registry of any unit, road, facility or landmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    /// The other name, e.g. `下城区`.
    pub name: String,
    /// The code the name had, when it was an official unit, e.g. `330103000000`.
    pub old_code: Option<String>,
    /// The 12-digit code of the current unit it leads to, e.g. `330105000000` (拱墅区); for
    /// other targets the road's name in the data or the facility's or landmark's id (see
    /// [`AliasTarget`]).
    pub target_code: String,
    /// What `target_code` names.
    pub target: AliasTarget,
    /// Year of the change, when known.
    pub year: Option<u16>,
    /// How strongly the name means the target: 1.0 for a successor, lower for a unit
    /// that took only part of the territory (江干区 → 钱塘区).
    pub strength: f64,
    /// What happened, for people reading the data.
    pub note: String,
    /// The name's type: `former` for the names above, or `alias` / `colloquial` for names
    /// of the name registry.
    pub name_type: NameType,
    /// The day the name ended (`YYYY-MM-DD`), when known.
    pub date: Option<String>,
}

impl Alias {
    fn new(name: &str, old_code: Option<&str>, target: &str, year: u16, note: &str) -> Self {
        Self {
            name: name.to_owned(),
            old_code: old_code.map(str::to_owned),
            target_code: target.to_owned(),
            year: Some(year),
            strength: 1.0,
            note: note.to_owned(),
            name_type: NameType::Former,
            date: None,
            target: AliasTarget::Unit,
        }
    }

    /// A name of the registry that leads to unit `target_code`: a former name ended on
    /// `ended` (its note says `renamed to {current} on {ended}`), or an alias or
    /// colloquial name (`ended` is `None`).
    ///
    /// ```
    /// use civmap_geo_core::gazetteer::Alias;
    /// use civmap_geo_core::names::NameType;
    /// let a = Alias::registry("长庆街道", "330105014000", NameType::Former,
    ///     Some("2026-12-01"), "长庆新街道", Some("杭政函〔2026〕1号"));
    /// assert_eq!(a.note, "renamed to 长庆新街道 on 2026-12-01 (杭政函〔2026〕1号)");
    /// assert_eq!(a.year, Some(2026));
    /// ```
    pub fn registry(
        name: &str,
        target_code: &str,
        name_type: NameType,
        ended: Option<&str>,
        current: &str,
        approval_ref: Option<&str>,
    ) -> Self {
        let mut note = match ended {
            Some(d) => format!("renamed to {current} on {d}"),
            None => format!("{} of {current}", name_type.as_str()),
        };
        if let Some(r) = approval_ref {
            note.push_str(&format!(" ({r})"));
        }
        Self {
            name: name.to_owned(),
            old_code: None,
            target_code: target_code.to_owned(),
            year: ended.and_then(|d| d.get(..4)).and_then(|y| y.parse().ok()),
            strength: 1.0,
            note,
            name_type,
            date: ended.map(str::to_owned),
            target: AliasTarget::Unit,
        }
    }

    /// The same name leading to another kind of place (`target_code` is then the road's
    /// name in the data, or the facility's or landmark's id).
    ///
    /// ```
    /// use civmap_geo_core::gazetteer::{Alias, AliasTarget};
    /// use civmap_geo_core::names::NameType;
    /// let a = Alias::registry("湖滨老年食堂", "f12", NameType::Former, Some("2026-12-01"),
    ///     "北山老年食堂", None).to(AliasTarget::Facility);
    /// assert_eq!(a.target, AliasTarget::Facility);
    /// assert_eq!(a.note, "renamed to 北山老年食堂 on 2026-12-01");
    /// ```
    pub fn to(mut self, target: AliasTarget) -> Self {
        self.target = target;
        self
    }

    fn partial(mut self, strength: f64) -> Self {
        self.strength = strength;
        self
    }
}

/// Hangzhou's historical names, from the State Council approvals (国函) and the NBS/MCA
/// change records in `data/hangzhou/divisions/hangzhou_division_changes.json`.
pub fn hangzhou_aliases() -> Vec<Alias> {
    const SHANGCHENG: &str = "330102000000";
    const GONGSHU: &str = "330105000000";
    const XIAOSHAN: &str = "330109000000";
    const YUHANG: &str = "330110000000";
    const FUYANG: &str = "330111000000";
    const LINAN: &str = "330112000000";
    const LINPING: &str = "330113000000";
    const QIANTANG: &str = "330114000000";
    const JIANDE: &str = "330182000000";
    vec![
        Alias::new(
            "下城区",
            Some("330103000000"),
            GONGSHU,
            2021,
            "2021: 下城区 abolished and merged into 拱墅区 (国函〔2021〕21号)",
        ),
        Alias::new(
            "江干区",
            Some("330104000000"),
            SHANGCHENG,
            2021,
            "2021: 江干区 abolished; most of it merged into 上城区",
        ),
        Alias::new(
            "江干区",
            Some("330104000000"),
            QIANTANG,
            2021,
            "2021: 江干区's 下沙 and 白杨 parts went to the new 钱塘区",
        )
        .partial(0.6),
        Alias::new(
            "半山区",
            Some("330107000000"),
            GONGSHU,
            1990,
            "1990: 半山区 abolished and merged into 拱墅区",
        ),
        Alias::new(
            "萧山县",
            Some("330121000000"),
            XIAOSHAN,
            1987,
            "1987: 萧山县 became 萧山市",
        ),
        Alias::new(
            "萧山市",
            Some("330181000000"),
            XIAOSHAN,
            2001,
            "2001: 萧山市 became 萧山区",
        ),
        Alias::new(
            "余杭县",
            Some("330125000000"),
            YUHANG,
            1994,
            "1994: 余杭县 became 余杭市",
        ),
        Alias::new(
            "余杭市",
            Some("330184000000"),
            YUHANG,
            2001,
            "2001: 余杭市 became 余杭区",
        ),
        Alias::new(
            "富阳县",
            Some("330123000000"),
            FUYANG,
            1994,
            "1994: 富阳县 became 富阳市",
        ),
        Alias::new(
            "富阳市",
            Some("330183000000"),
            FUYANG,
            2014,
            "2014: 富阳市 became 富阳区",
        ),
        Alias::new(
            "临安县",
            Some("330124000000"),
            LINAN,
            1996,
            "1996: 临安县 became 临安市",
        ),
        Alias::new(
            "临安市",
            Some("330185000000"),
            LINAN,
            2017,
            "2017: 临安市 became 临安区",
        ),
        Alias::new(
            "建德县",
            Some("330126000000"),
            JIANDE,
            1992,
            "1992: 建德县 became 建德市",
        ),
        Alias::new(
            "余杭区",
            None,
            LINPING,
            2021,
            "2021: 临平区 created from the eastern part of 余杭区 (临平, 南苑, 东湖…)",
        )
        .partial(0.5),
        Alias::new(
            "钱塘新区",
            None,
            QIANTANG,
            2019,
            "2019–2021: 钱塘新区 (下沙 + 大江东) became 钱塘区 in 2021",
        ),
        Alias::new(
            "大江东",
            None,
            QIANTANG,
            2021,
            "2021: 大江东产业集聚区 became part of 钱塘区",
        ),
        Alias::new(
            "大江东产业集聚区",
            None,
            QIANTANG,
            2021,
            "2021: 大江东产业集聚区 became part of 钱塘区",
        ),
        Alias::new(
            "杭州经济技术开发区",
            None,
            QIANTANG,
            2021,
            "2021: 杭州经济技术开发区 (下沙) became part of 钱塘区",
        ),
        Alias::new(
            "下沙经济技术开发区",
            None,
            QIANTANG,
            2021,
            "2021: 下沙 (杭州经济技术开发区) became part of 钱塘区",
        ),
    ]
}
