//! Address parsing: a left-to-right longest match of admin names (official, short, old) and
//! road names, each unit constrained to lie inside the one before, so that levels may be
//! missing (`西湖区文三路12号`) and duplicate community names resolve by their parents.

use super::search::prefix_range;
use super::text::{convert_house_numerals, fold, validate};
use super::{Component, Gazetteer, GazetteerError, ParsedAddress, PlaceKind, NONE};
use crate::AdminLevel;

/// [`ParsedAddress`] plus what `search` needs to know.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub components: Vec<Component>,
    pub doorplate: Option<u32>,
    /// How many admin levels were recognised.
    pub admin_levels: usize,
    /// The deepest admin entry recognised, or `NONE`.
    pub deepest: u32,
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

impl Gazetteer {
    /// Splits an address into province, city, district, township, community, road and
    /// number, each admin part linked to its code, and resolves the doorplate when road and
    /// number name one. Tolerates missing levels, spaces and punctuation, full-width digits,
    /// Chinese numerals (`十二号`) and old names (`下城区`).
    pub fn parse_address(&self, q: &str) -> Result<ParsedAddress, GazetteerError> {
        validate(q)?;
        let p = self.parse_folded(&convert_house_numerals(&fold(q)));
        Ok(ParsedAddress {
            components: p.components,
            doorplate: p.doorplate,
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
                out.components.push(Component {
                    level: "province",
                    text: p.to_owned(),
                    code: Some("330000000000".to_owned()),
                });
                i = p.chars().count();
                break;
            }
        }
        let mut road: u32 = NONE;
        let mut number: Option<u32> = None;
        while i < n {
            if chars[i].1.is_ascii_digit() {
                let mut j = i;
                while j < n && chars[j].1.is_ascii_digit() {
                    j += 1;
                }
                let text = &f[byte_at(i)..byte_at(j)];
                if number.is_none() && road != NONE {
                    number = text.parse().ok();
                    out.components.push(Component {
                        level: "number",
                        text: text.to_owned(),
                        code: None,
                    });
                }
                i = if j < n && chars[j].1 == '号' {
                    j + 1
                } else {
                    j
                };
                continue;
            }
            let max_len = self.max_chinese_chars.min(n - i);
            let mut found: Option<(usize, u32)> = None;
            'len: for len in self.key_lengths_at(f, &chars, i, max_len).into_iter().rev() {
                let s = &f[byte_at(i)..byte_at(i + len)];
                let mut road_hit = None;
                for k in self.exact_keys(s) {
                    if !k.kind.is_chinese() || k.strength < 1.0 {
                        continue;
                    }
                    let e = &self.entries[k.entry as usize];
                    if e.dead {
                        continue;
                    }
                    match e.kind {
                        PlaceKind::Admin if self.admin_fits(k.entry, out.deepest) => {
                            found = Some((len, k.entry));
                            break 'len;
                        }
                        PlaceKind::Road if road == NONE && road_hit.is_none() => {
                            road_hit = Some(k.entry);
                        }
                        _ => {}
                    }
                }
                if let Some(r) = road_hit {
                    found = Some((len, r));
                    break;
                }
            }
            let Some((len, e)) = found else {
                i += 1;
                continue;
            };
            let text = f[byte_at(i)..byte_at(i + len)].to_owned();
            let entry = &self.entries[e as usize];
            if entry.kind == PlaceKind::Road {
                road = entry.record;
                out.components.push(Component {
                    level: "road",
                    text,
                    code: None,
                });
            } else {
                out.components.push(Component {
                    level: entry.level.map_or("community", AdminLevel::as_str),
                    text,
                    code: entry.code.as_deref().map(str::to_owned),
                });
                out.deepest = e;
                out.admin_levels += 1;
            }
            i += len;
        }
        if let (Some(num), true) = (number, road != NONE) {
            out.doorplate = self.resolve_doorplate(road, num, out.deepest);
        }
        out
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

    /// The doorplate `number` on `road`, preferring one inside admin entry `scope`.
    fn resolve_doorplate(&self, road: u32, number: u32, scope: u32) -> Option<u32> {
        let list = self.road_doorplates.get(road as usize)?;
        let lo = list.partition_point(|&(n, _)| n < number);
        let same: Vec<u32> = list[lo..]
            .iter()
            .take_while(|&&(n, _)| n == number)
            .map(|&(_, d)| d)
            .collect();
        if scope != NONE {
            let s = &self.entries[scope as usize];
            if let (Some(code), Some(level)) = (s.code.as_deref(), s.level) {
                let prefix = significant(code, level);
                for &d in &same {
                    let c = self.doorplates[d as usize].community;
                    if c != NONE
                        && self.entries[c as usize]
                            .code
                            .as_deref()
                            .is_some_and(|cc| cc.starts_with(prefix))
                    {
                        return Some(d);
                    }
                }
            }
        }
        same.first().copied()
    }
}
