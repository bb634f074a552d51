//! Address parsing: a left-to-right longest match of admin names (official, short, old) and
//! road names, each unit constrained to lie inside the one before, so that levels may be
//! missing (`西湖区文三路12号`) and duplicate community names resolve by their parents. The
//! deepest unit named is the scope: roads and doorplates are looked up inside it only, and
//! a road that is not there is reported as unmatched rather than taken from another
//! district (`钱塘区富阳路1号` must not answer 建德市's 富阳路).

use super::address::{pre_fold, AddressQuality};
use super::build::ancestor;
use super::phonetic::query_pinyin;
use super::search::prefix_range;
use super::text::{convert_house_numerals, fold, is_han, validate};
use super::{Component, Gazetteer, GazetteerError, KeyKind, ParsedAddress, PlaceKind, NONE};
use crate::AdminLevel;

/// [`ParsedAddress`] plus what `search` needs to know.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub components: Vec<Component>,
    pub matched: Vec<Component>,
    pub unmatched: Vec<Component>,
    /// Doorplates of the number on the roads in scope.
    pub doorplates: Vec<u32>,
    /// Roads of the written name inside the scope.
    pub roads: Vec<u32>,
    /// Roads of the written name outside the scope (a conflict).
    pub roads_elsewhere: Vec<u32>,
    pub number: Option<u32>,
    pub sub_number: Option<u32>,
    /// How many admin levels were recognised (and fit together).
    pub admin_levels: usize,
    /// The deepest admin entry recognised, or `NONE`.
    pub deepest: u32,
    pub quality: Option<AddressQuality>,
}

fn significant(code: &str, level: AdminLevel) -> &str {
    let n = match level {
        AdminLevel::City => 4,
        AdminLevel::District => 6,
        AdminLevel::Township => 9,
        AdminLevel::Community => 12,
    };
    &code[..n.min(code.len())]
}

/// Road-name endings: text ending so that is no known road is an unknown road, and an admin
/// short form right before one is part of a road name (`文三路`, not 文三社区 + `路`).
const ROAD_SUFFIXES: &[char] = &['路', '街', '巷', '弄', '道'];

fn component(level: &'static str, text: &str, code: Option<&str>) -> Component {
    Component {
        level,
        text: text.to_owned(),
        code: code.map(str::to_owned),
        reason: None,
    }
}

fn unmatched(mut c: Component, reason: String) -> Component {
    c.reason = Some(reason);
    c
}

/// The folded form of a query: traditional characters simplified, `8-1` as `8之1`, folded,
/// Chinese house numerals as digits.
pub(super) fn fold_query(q: &str) -> String {
    convert_house_numerals(&fold(&pre_fold(q)))
}

impl Gazetteer {
    /// Splits an address into province, city, district, township, community, road, number,
    /// sub-number, building, unit and room, each admin part linked to its code, and resolves
    /// the road and doorplate inside the units named. Tolerates missing levels, spaces and
    /// punctuation, full-width digits, traditional characters, Chinese numerals (`十二号`),
    /// sub-numbers (`8-1号`, `8之1号`) and old names (`下城区`). Components that conflict
    /// (a road not in the named district) or are unknown are listed in `unmatched`.
    pub fn parse_address(&self, q: &str) -> Result<ParsedAddress, GazetteerError> {
        validate(q)?;
        let p = self.parse_folded(&fold_query(q));
        Ok(ParsedAddress {
            road: p.roads.first().copied(),
            doorplate: p.doorplates.first().copied(),
            components: p.components,
            number: p.number,
            sub_number: p.sub_number,
            quality: p.quality,
            matched: p.matched,
            unmatched: p.unmatched,
        })
    }

    pub(super) fn parse_folded(&self, f: &str) -> Parsed {
        let chars: Vec<(usize, char)> = f.char_indices().collect();
        let n = chars.len();
        let byte_at = |i: usize| if i < n { chars[i].0 } else { f.len() };
        let mut out = Parsed {
            deepest: NONE,
            ..Parsed::default()
        };
        let mut i = 0;
        for p in ["浙江省", "浙江"] {
            if f.starts_with(p) {
                let c = component("province", p, Some("330000000000"));
                out.components.push(c.clone());
                out.matched.push(c);
                i = p.chars().count();
                break;
            }
        }
        // the road as written: (text, road name exists, found by sound)
        let mut road: Option<(String, bool, bool)> = None;
        let mut road_pos = 0;
        while i < n {
            let c = chars[i].1;
            if c.is_ascii_digit() {
                i = self.read_number(f, &chars, i, road.is_some(), &mut out);
                continue;
            }
            let max_len = self.max_chinese_chars.min(n - i);
            // (len, entry, fits the scope)
            let mut found: Option<(usize, u32, bool)> = None;
            'len: for len in self.key_lengths_at(f, &chars, i, max_len).into_iter().rev() {
                let s = &f[byte_at(i)..byte_at(i + len)];
                let before_road_suffix = chars
                    .get(i + len)
                    .is_some_and(|&(_, c)| ROAD_SUFFIXES.contains(&c));
                let mut road_hit = None;
                let mut misfit = None;
                for k in self.exact_keys(s) {
                    if !k.kind.is_chinese() || k.strength < 1.0 {
                        continue;
                    }
                    let e = &self.entries[k.entry as usize];
                    if e.dead {
                        continue;
                    }
                    match e.kind {
                        PlaceKind::Admin if !before_road_suffix => {
                            if self.admin_fits(k.entry, out.deepest) {
                                found = Some((len, k.entry, true));
                                break 'len;
                            }
                            // a full name (not a short form) that does not fit is a conflict
                            if matches!(k.kind, KeyKind::Name | KeyKind::Alias) && misfit.is_none()
                            {
                                misfit = Some(k.entry);
                            }
                        }
                        PlaceKind::Road if road.is_none() && road_hit.is_none() => {
                            road_hit = Some(k.entry);
                        }
                        _ => {}
                    }
                }
                if let Some(r) = road_hit {
                    found = Some((len, r, true));
                    break;
                }
                if let Some(m) = misfit {
                    found = Some((len, m, false));
                    break;
                }
            }
            let Some((len, e, fits)) = found else {
                if road.is_none() {
                    if let Some((len, by_sound)) = self.unknown_road_at(f, &chars, i) {
                        let text = &f[byte_at(i)..byte_at(i + len)];
                        road = Some((text.to_owned(), by_sound.is_some(), by_sound.is_some()));
                        if let Some(name) = by_sound {
                            road = Some((name, true, true));
                        }
                        road_pos = out.components.len();
                        out.components.push(component("road", text, None));
                        i += len;
                        continue;
                    }
                }
                i += 1;
                continue;
            };
            let text = &f[byte_at(i)..byte_at(i + len)];
            let entry = &self.entries[e as usize];
            if entry.kind == PlaceKind::Road {
                road = Some((entry.name.to_string(), true, false));
                road_pos = out.components.len();
                out.components.push(component("road", text, None));
            } else {
                let level = entry.level.map_or("community", AdminLevel::as_str);
                let c = component(level, text, entry.code.as_deref());
                out.components.push(c.clone());
                if fits {
                    out.matched.push(c);
                    out.deepest = e;
                    out.admin_levels += 1;
                } else {
                    let scope = &self.entries[out.deepest as usize].name;
                    out.unmatched.push(unmatched(c, format!("not in {scope}")));
                }
            }
            i += len;
        }
        self.resolve(&mut out, road, road_pos);
        out
    }

    /// Reads a number at `i` (ASCII digits after folding) with what follows it: `号`, a
    /// sub-number (`之1`), or a building, unit or room mark. Returns where to go on.
    fn read_number(
        &self,
        f: &str,
        chars: &[(usize, char)],
        i: usize,
        after_road: bool,
        out: &mut Parsed,
    ) -> usize {
        let n = chars.len();
        let byte_at = |k: usize| if k < n { chars[k].0 } else { f.len() };
        let digits_end = |mut j: usize| {
            while j < n && chars[j].1.is_ascii_digit() {
                j += 1;
            }
            j
        };
        let mut j = digits_end(i);
        let text = &f[byte_at(i)..byte_at(j)];
        let value: Option<u32> = text.parse().ok();
        let mark = |k: usize, s: &str| f[byte_at(k.min(n))..].starts_with(s);
        let (level, skip) = if mark(j, "号楼") {
            ("building", 2)
        } else if mark(j, "幢") || mark(j, "栋") {
            ("building", 1)
        } else if mark(j, "单元") {
            ("unit", 2)
        } else if mark(j, "室") {
            ("room", 1)
        } else if after_road && out.number.is_none() {
            ("number", 0)
        } else if mark(j, "号") && out.number.is_some() {
            ("building", 1)
        } else {
            ("", 0)
        };
        if level.is_empty() {
            return j;
        }
        out.components.push(component(level, text, None));
        if level == "number" {
            out.number = value;
            if mark(j, "之") && j + 1 < n && chars[j + 1].1.is_ascii_digit() {
                let k = digits_end(j + 1);
                let sub = &f[byte_at(j + 1)..byte_at(k)];
                out.sub_number = sub.parse().ok();
                out.components.push(component("sub_number", sub, None));
                j = k;
            }
            if mark(j, "号") {
                j += 1;
            }
            return j;
        }
        j + skip
    }

    /// An unknown road written at `i`: Chinese characters up to a road ending (2–12
    /// characters in all). Returns its length and, when its sound is that of a known road
    /// (`文山路` read as a homophone), that road's name.
    fn unknown_road_at(
        &self,
        f: &str,
        chars: &[(usize, char)],
        i: usize,
    ) -> Option<(usize, Option<String>)> {
        let n = chars.len();
        let mut end = None;
        for (k, &(_, c)) in chars.iter().enumerate().skip(i).take(12) {
            if !is_han(c) || matches!(c, '号' | '之' | '幢' | '栋' | '室') {
                break;
            }
            // `街道` ends a subdistrict, not a road (a `道` at the query's start has no `街`
            // before it)
            let subdistrict = (c == '道' && k > 0 && chars[k - 1].1 == '街')
                || (c == '街' && chars.get(k + 1).is_some_and(|x| x.1 == '道'));
            if ROAD_SUFFIXES.contains(&c) && k > i && !subdistrict {
                end = Some(k + 1);
            }
        }
        let end = end?;
        let byte_at = |k: usize| if k < n { chars[k].0 } else { f.len() };
        let text = &f[byte_at(i)..byte_at(end)];
        let pinyin = query_pinyin(text);
        let by_sound = self
            .exact_keys(&pinyin)
            .filter(|k| k.kind == KeyKind::Pinyin)
            .map(|k| &self.entries[k.entry as usize])
            .find(|e| e.kind == PlaceKind::Road && !e.dead)
            .map(|e| e.name.to_string());
        Some((end - i, by_sound))
    }

    /// Looks the road and number up inside the scope and sorts the components into matched
    /// and unmatched.
    fn resolve(&self, out: &mut Parsed, road: Option<(String, bool, bool)>, road_pos: usize) {
        let scope = out.deepest;
        let scope_name = (scope != NONE).then(|| self.entries[scope as usize].name.to_string());
        let mut fuzzy = false;
        if let Some((name, known, by_sound)) = road {
            let c = out.components[road_pos].clone();
            let ids: &[u32] = if known {
                self.road_by_name
                    .get(name.as_str())
                    .map_or(&[], Vec::as_slice)
            } else {
                &[]
            };
            for &r in ids {
                if self.entries[self.roads[r as usize] as usize].dead {
                    continue;
                }
                if self.road_in_scope(r, scope) {
                    out.roads.push(r);
                } else {
                    out.roads_elsewhere.push(r);
                }
            }
            if !known {
                out.unmatched.push(unmatched(c, "unknown road".to_owned()));
            } else if out.roads.is_empty() {
                let reason = match &scope_name {
                    Some(s) => format!("no road {name} in {s}"),
                    None => format!("no road {name}"),
                };
                out.unmatched.push(unmatched(c, reason));
            } else {
                fuzzy = by_sound;
                out.matched.push(c);
            }
        }
        let number_c = out.components.iter().find(|c| c.level == "number").cloned();
        if let (Some(num), Some(c)) = (out.number, number_c) {
            if out.roads.is_empty() {
                out.unmatched.push(unmatched(
                    c,
                    "no road in scope to look the number up on".to_owned(),
                ));
            } else {
                self.doorplates_in_scope(out, num);
                if out.doorplates.is_empty() {
                    out.unmatched
                        .push(unmatched(c, format!("no number {num} on the road")));
                } else {
                    out.matched.push(c);
                }
            }
        }
        if let Some(c) = out
            .components
            .iter()
            .find(|c| c.level == "sub_number")
            .cloned()
        {
            out.unmatched.push(unmatched(
                c,
                "sub-numbers are not in the doorplate data; the main number is matched".to_owned(),
            ));
        }
        out.quality = if out.matched.is_empty() && out.unmatched.is_empty() {
            None
        } else if !out.unmatched.is_empty() {
            Some(AddressQuality::Partial)
        } else if fuzzy {
            Some(AddressQuality::Fuzzy)
        } else {
            Some(AddressQuality::Exact)
        };
    }

    /// Whether road `r` lies in admin entry `scope` (any road when there is none): its
    /// district for a district, one of its townships for a township or a community's.
    pub(super) fn road_in_scope(&self, r: u32, scope: u32) -> bool {
        if scope == NONE {
            return true;
        }
        let info = &self.road_info[r as usize];
        match self.entries[scope as usize].level {
            None | Some(AdminLevel::City) => true,
            Some(AdminLevel::District) => info.district == scope,
            Some(AdminLevel::Township) => info.townships.contains(&scope),
            Some(AdminLevel::Community) => {
                let t = ancestor(&self.entries, scope, AdminLevel::Township);
                info.townships.contains(&t)
            }
        }
    }

    /// The doorplates `number` on the roads in scope; for a community scope, those in it
    /// when there are any.
    fn doorplates_in_scope(&self, out: &mut Parsed, number: u32) {
        for &r in &out.roads {
            let list = &self.road_doorplates[r as usize];
            let lo = list.partition_point(|&(n, _)| n < number);
            out.doorplates.extend(
                list[lo..]
                    .iter()
                    .take_while(|&&(n, _)| n == number)
                    .map(|&(_, d)| d),
            );
        }
        let scope = out.deepest;
        if scope != NONE
            && self.entries[scope as usize].level == Some(AdminLevel::Community)
            && out
                .doorplates
                .iter()
                .any(|&d| self.doorplates[d as usize].community == scope)
        {
            out.doorplates
                .retain(|&d| self.doorplates[d as usize].community == scope);
        }
    }

    /// The lengths (in characters, 2 to `max_len`, ascending) at which some key equals the
    /// text at character `i` of `f`: one binary search narrowing its range per extra
    /// character, stopping when no key continues, rather than one full search per length.
    fn key_lengths_at(
        &self,
        f: &str,
        chars: &[(usize, char)],
        i: usize,
        max_len: usize,
    ) -> Vec<usize> {
        let byte_at = |k: usize| chars.get(k).map_or(f.len(), |c| c.0);
        let mut lens = Vec::new();
        for (keys, main) in [(&self.keys[..], true), (&self.added_keys[..], false)] {
            let mut range = 0..keys.len();
            for len in 2..=max_len {
                let s = &f[byte_at(i)..byte_at(i + len)];
                let sub = if main && len == 2 {
                    self.key_range(s)
                } else {
                    prefix_range(&keys[range.clone()], s)
                };
                if sub.is_empty() {
                    break;
                }
                range = range.start + sub.start..range.start + sub.end;
                // sorted by text: an equal key comes first
                if &*keys[range.start].text == s {
                    lens.push(len);
                }
            }
        }
        lens.sort_unstable();
        lens.dedup();
        lens
    }

    /// Whether admin entry `e` is below `scope` (any unit fits when there is no scope).
    fn admin_fits(&self, e: u32, scope: u32) -> bool {
        if scope == NONE {
            return true;
        }
        let (a, s) = (&self.entries[e as usize], &self.entries[scope as usize]);
        match (a.level, s.level, a.code.as_deref(), s.code.as_deref()) {
            (Some(al), Some(sl), Some(ac), Some(sc)) => {
                al > sl && ac.starts_with(significant(sc, sl))
            }
            _ => false,
        }
    }
}
