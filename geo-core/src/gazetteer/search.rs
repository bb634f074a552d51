//! Query side: candidate generation (codes, key prefixes, bigrams, pinyin of the query,
//! bounded typo search, house numbers, address parsing) and ranking.

use std::cell::RefCell;

use super::address::{category_of, AddressQuality};
use super::build::ancestor;
use super::build::{bigram, trigrams_of, BIG_RANGE, DOORPLATE_WEIGHT, MAX_WEIGHT};
use super::idhash::IdMap;
use super::parse::{fold_query, Parsed};
use super::phonetic::query_pinyin;
use super::text::{bounded_damerau, is_han, split_house_number, validate};
use super::{
    AddressMatch, FormerName, Gazetteer, GazetteerError, Key, KeyKind, MatchInfo, MatchKind,
    PlaceKind, SearchHit, SearchOptions, NONE, NO_ALIAS,
};
use crate::names::NameType;
use crate::AdminLevel;

/// How a candidate matched (the best-scoring way), turned into a [`super::MatchInfo`] for
/// the hits returned only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum How {
    Key {
        kind: KeyKind,
        exact: bool,
        alias: u16,
    },
    Fuzzy {
        kind: KeyKind,
        distance: u8,
        alias: u16,
    },
    Partial,
    Address,
    Category,
    Code,
}

/// Match quality per entry (and per doorplate, kept apart: they are not entries).
#[derive(Debug, Default)]
pub(super) struct Candidates {
    entries: IdMap<u32, (f64, How)>,
    doorplates: IdMap<u32, (f64, How)>,
}

thread_local! {
    /// Per-key trigram counts of the typo search, all zero between queries (only the
    /// touched cells are reset): allocating and zeroing one per query cost more than the
    /// search itself.
    static TRIGRAM_COUNTS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Per-entry bigram counts of the partial Chinese search, likewise.
    static ENTRY_COUNTS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

impl Candidates {
    fn with_capacity(n: usize) -> Self {
        Candidates {
            entries: IdMap::with_capacity_and_hasher(n, Default::default()),
            doorplates: IdMap::default(),
        }
    }

    pub(super) fn add(&mut self, entry: u32, score: f64, how: How) {
        let s = self.entries.entry(entry).or_insert((0.0, how));
        if score > s.0 {
            *s = (score, how);
        }
    }

    pub(super) fn add_doorplate(&mut self, dp: u32, score: f64, how: How) {
        let s = self.doorplates.entry(dp).or_insert((0.0, how));
        if score > s.0 {
            *s = (score, how);
        }
    }

    fn best(&self) -> f64 {
        self.entries.values().map(|v| v.0).fold(0.0, f64::max)
    }
}

/// Score of a key match: exact, or prefix scaled by how much of the key the query covers.
fn prefix_score(kind: KeyKind, strength: f32, q_chars: usize, key_chars: usize) -> f64 {
    let base = kind.base() * f64::from(strength);
    if q_chars >= key_chars {
        base
    } else {
        base * (0.55 + 0.35 * q_chars as f64 / key_chars as f64)
    }
}

/// A bigram in more names than this is common (see `match_bigrams`).
const COMMON_BIGRAM: usize = 1024;

/// Largest typo distance allowed for a query of `len` letters.
pub(crate) fn max_typos(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = ((a.1 + b.1) / 2.0).to_radians();
    let dx = (a.0 - b.0).to_radians() * lat.cos();
    let dy = (a.1 - b.1).to_radians();
    6371.0 * (dx * dx + dy * dy).sqrt()
}

impl Gazetteer {
    /// Keys equal to `text`, in the index and among those added by live edits.
    pub(super) fn exact_keys<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a Key> + 'a {
        let added = prefix_range(&self.added_keys, text);
        self.keys[self.key_range(text)]
            .iter()
            .chain(&self.added_keys[added])
            .take_while(move |k| &*k.text == text)
    }

    /// Keys equal to or starting with `q`, scored and scaled by `factor`.
    fn match_keys(&self, q: &str, factor: f64, cands: &mut Candidates) {
        let q_chars = q.chars().count();
        let score =
            |key: &Key| factor * prefix_score(key.kind, key.strength, q_chars, key.chars.into());
        let how = |key: &Key| How::Key {
            kind: key.kind,
            exact: usize::from(key.chars) <= q_chars,
            alias: key.alias,
        };
        if !self.added_keys.is_empty() {
            let range = prefix_range(&self.added_keys, q);
            for key in self.added_keys[range].iter().take(BIG_RANGE) {
                cands.add(key.entry, score(key), how(key));
            }
        }
        let range = self.key_range(q);
        let mut score_key = |k: usize| {
            let key = &self.keys[k];
            cands.add(key.entry, score(key), how(key));
        };
        if range.len() <= BIG_RANGE {
            range.for_each(&mut score_key);
            return;
        }
        // crowded prefix: the exact keys, then the precomputed best
        let exact_end = range.start + self.keys[range.clone()].partition_point(|k| &*k.text == q);
        (range.start..exact_end).for_each(&mut score_key);
        if let Some(top) = self.prefix_top.get(q) {
            top.iter().for_each(|&k| score_key(k as usize));
        } else {
            range.take(BIG_RANGE).for_each(&mut score_key);
        }
    }

    /// Partial Chinese: entries whose names share at least half the character bigrams of
    /// the query.
    fn match_bigrams(&self, q: &str, cands: &mut Candidates) {
        let cs: Vec<char> = q.chars().collect();
        if cs.len() < 2 {
            return;
        }
        let n_grams = cs.len() - 1;
        let need = n_grams.div_ceil(2).max(1);
        // posting lists, rarest first; lists of very common bigrams say nothing and count
        // as empty
        let mut lists: Vec<&[u32]> = cs
            .windows(2)
            .map(|w| match self.bigrams.get(&bigram(w[0], w[1])) {
                Some(list) if list.len() <= 20_000 => list.as_slice(),
                _ => &[],
            })
            .collect();
        lists.sort_by_key(|l| l.len());
        // an entry sharing `need` bigrams is in one of the `n_grams - need + 1` rarest
        // lists: those make the candidates, the others only add to their counts. And a
        // partial match must share a distinctive bigram: when the query has one, bigrams
        // common to over a thousand names (`老年`, `助餐` of every canteen) never make a
        // candidate on their own
        let mut n_scan = n_grams - need + 1;
        if lists[0].len() <= COMMON_BIGRAM {
            n_scan = n_scan.min(lists.partition_point(|l| l.len() <= COMMON_BIGRAM));
        }
        let (scan, rest) = lists.split_at(n_scan);
        ENTRY_COUNTS.with_borrow_mut(|counts| {
            if counts.len() < self.entries.len() {
                counts.resize(self.entries.len(), 0);
            }
            let mut touched: Vec<u32> = Vec::new();
            for list in scan {
                for &e in *list {
                    let c = &mut counts[e as usize];
                    if *c == 0 {
                        touched.push(e);
                    }
                    *c = c.saturating_add(1);
                }
            }
            for list in rest {
                for &e in *list {
                    let c = &mut counts[e as usize];
                    if *c > 0 {
                        *c = c.saturating_add(1);
                    }
                }
            }
            for e in touched {
                let n = usize::from(std::mem::take(&mut counts[e as usize]));
                if n < need {
                    continue;
                }
                let entry = &self.entries[e as usize];
                let cover = (cs.len() as f64 / f64::from(entry.name_chars.max(1))).min(1.0);
                // containing the query needs every bigram of it
                let score = if n >= n_grams && entry.name.contains(q) {
                    0.45 + 0.35 * cover
                } else {
                    0.4 * (n as f64 / n_grams as f64) * cover
                };
                cands.add(e, score, How::Partial);
            }
        });
    }

    /// Typos in pinyin or English: bounded Damerau–Levenshtein against the keys of a
    /// length within `max` typos that share enough letter trigrams with the query.
    fn match_typos(&self, q: &str, max: usize, factor: f64, cands: &mut Candidates) {
        if max == 0 || !q.is_ascii() {
            return;
        }
        let mut check = |key: &Key| {
            if key.text.len().abs_diff(q.len()) > max {
                return;
            }
            if let Some(d) = bounded_damerau(q.as_bytes(), key.text.as_bytes(), max) {
                if d > 0 {
                    let s = key.kind.base() * f64::from(key.strength) * (0.8 - 0.12 * d as f64);
                    let how = How::Fuzzy {
                        kind: key.kind,
                        distance: d.min(255) as u8,
                        alias: key.alias,
                    };
                    cands.add(key.entry, factor * s, how);
                }
            }
        };
        // keys added by live edits are few: all of them
        for key in &self.added_keys {
            if matches!(
                key.kind,
                KeyKind::Pinyin | KeyKind::PinyinShort | KeyKind::English
            ) {
                check(key);
            }
        }
        let grams: Vec<u32> = trigrams_of(q.as_bytes()).collect();
        // one edit spoils up to 3 trigrams, a transposition up to 4
        let need = grams.len().saturating_sub(4 * max).max(1) as u8;
        let lengths = q.len().saturating_sub(max).max(1)..=(q.len() + max).min(255);
        // per query trigram, its posting lists over the lengths in reach; rarest first
        let mut groups: Vec<(usize, Vec<&[u32]>)> = grams
            .iter()
            .map(|g| {
                let lists: Vec<&[u32]> = lengths
                    .clone()
                    .filter_map(|len| self.trigrams.get(&(g << 8 | len as u32)))
                    .map(Vec::as_slice)
                    .collect();
                (lists.iter().map(|l| l.len()).sum(), lists)
            })
            .collect();
        groups.sort_by_key(|g| g.0);
        // a key sharing `need` trigrams is in one of the `grams - need + 1` rarest groups:
        // those make the candidates, the others only add to their counts
        let (scan, rest) = groups.split_at(grams.len() + 1 - usize::from(need));
        TRIGRAM_COUNTS.with_borrow_mut(|counts| {
            if counts.len() < self.keys.len() {
                counts.resize(self.keys.len(), 0);
            }
            let mut touched: Vec<u32> = Vec::with_capacity(1024);
            for list in scan.iter().flat_map(|g| &g.1) {
                for &k in *list {
                    let c = &mut counts[k as usize];
                    if *c == 0 {
                        touched.push(k);
                    }
                    *c = c.saturating_add(1);
                }
            }
            for list in rest.iter().flat_map(|g| &g.1) {
                for &k in *list {
                    let c = &mut counts[k as usize];
                    if *c > 0 {
                        *c = c.saturating_add(1);
                    }
                }
            }
            // the bound is lossless (q-gram lemma), and loose for two typos in eight letters
            // (`hnagzhuo` shares one trigram with `hangzhou`): every key it lets through is
            // verified
            for k in touched {
                if std::mem::take(&mut counts[k as usize]) >= need {
                    check(&self.keys[k as usize]);
                }
            }
        });
    }

    /// Doorplates `number` on roads matching `place`.
    fn match_house_number(&self, place: &str, number: u32, exact: bool, cands: &mut Candidates) {
        let mut roads = Candidates::default();
        self.match_keys(place, 1.0, &mut roads);
        if place.chars().any(is_han) {
            let p = query_pinyin(place);
            self.match_keys(&p, 0.85, &mut roads);
        }
        let mut roads: Vec<(u32, f64)> = roads
            .entries
            .into_iter()
            .filter(|(e, _)| self.entries[*e as usize].kind == PlaceKind::Road)
            .map(|(e, (s, _))| (e, s))
            .collect();
        roads.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let digits = number.to_string();
        // a name is one road per district: every district's road of the best names
        for (e, score) in roads.into_iter().take(32) {
            let road = self.entries[e as usize].record as usize;
            let list = &self.road_doorplates[road];
            if exact {
                let lo = list.partition_point(|&(n, _)| n < number);
                for &(n, dp) in &list[lo..] {
                    if n != number {
                        break;
                    }
                    cands.add_doorplate(dp, score, How::Address);
                }
            } else {
                // autocomplete: numbers that start with the typed digits, lowest first
                let mut taken = 0;
                for &(n, dp) in list {
                    if n == number || n.to_string().starts_with(&digits) {
                        let s = if n == number { score } else { score * 0.95 };
                        let how = How::Key {
                            kind: KeyKind::Name,
                            exact: n == number,
                            alias: NO_ALIAS,
                        };
                        cands.add_doorplate(dp, s, how);
                        taken += 1;
                        if taken == 50 {
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Searches places by name, short form, old name, pinyin, initials, English, code or
    /// address, tolerating homophones and 1–2 typos; ranked by match × weight × proximity.
    ///
    /// Errors: empty, over-long (> [`super::MAX_QUERY_CHARS`]) or control characters.
    pub fn search(&self, q: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>, GazetteerError> {
        validate(q)?;
        let f = fold_query(q);
        if f.is_empty() || opts.limit == 0 {
            return Ok(Vec::new());
        }
        let categories = category_of(&f);
        if !categories.is_empty() {
            return Ok(self.category_hits(&categories, opts));
        }
        let mut cands = Candidates::with_capacity(64);
        if f.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(&e) = self.by_code.get(f.as_str()) {
                cands.add(e, 1.0, How::Code);
            }
        }
        self.match_keys(&f, 1.0, &mut cands);
        let has_han = f.chars().any(is_han);
        let has_latin = f.bytes().any(|b| b.is_ascii_lowercase());
        if has_han {
            self.match_bigrams(&f, &mut cands);
        }
        let p = if has_han { query_pinyin(&f) } else { f.clone() };
        // the pinyin of Chinese input finds homophones; characters that match directly are
        // stronger evidence than a homophone
        let pinyin_factor = match (has_latin, cands.best() > 0.3) {
            (true, _) => 0.95,
            (false, false) => 0.85,
            (false, true) => 0.6,
        };
        // homophones cannot reach the top `limit` when that many places already rank above
        // the best a pinyin match could (its factor × the highest weight × proximity)
        if has_han && !self.filled(&cands, opts, pinyin_factor) {
            self.match_keys(&p, pinyin_factor, &mut cands);
        }
        // typo search only when nothing good was found, and not on long or numbered input
        let typo_threshold = if has_han { 0.3 } else { 0.7 };
        if p.is_ascii()
            && p.len() <= 32
            && !p.bytes().any(|b| b.is_ascii_digit())
            && cands.best() < typo_threshold
        {
            // the pinyin of characters has no typing errors, only near-homophones: one edit
            let (factor, max) = if has_han {
                (pinyin_factor, max_typos(p.len()).min(1))
            } else {
                (1.0, max_typos(p.len()))
            };
            // one typo first: its trigram bound is tight (few keys to verify); a second typo
            // lets through every key sharing one trigram (`lu$` of every road), ~2 ms at the
            // city's size, so it is searched only when nothing lies within one typo
            let before = cands.entries.len();
            self.match_typos(&p, max.min(1), factor, &mut cands);
            if max >= 2 && cands.entries.len() == before {
                self.match_typos(&p, max, factor, &mut cands);
            }
        }
        if let Some((place, number, _)) = split_house_number(&f) {
            self.match_house_number(place, number, true, &mut cands);
        }
        let mut address = None;
        if has_han && f.chars().count() >= 3 {
            let parsed = self.parse_folded(&f);
            if self.add_address(&parsed, &mut cands) {
                address = Some(AddressMatch {
                    quality: parsed.quality.unwrap_or(AddressQuality::Partial),
                    matched: parsed.matched,
                    unmatched: parsed.unmatched,
                });
            }
        }
        Ok(self.rank(cands, opts, address.as_ref()))
    }

    /// Adds what an address reading of the query found; whether it found anything beyond
    /// what the name keys find (a unit and a road, a number, or a conflict to report).
    fn add_address(&self, p: &Parsed, cands: &mut Candidates) -> bool {
        let has_road = p.components.iter().any(|c| c.level == "road");
        let scoped = p.deepest != NONE;
        if !has_road {
            // several admin levels (`西湖区北山街道`): the deepest
            if p.admin_levels >= 2 || !p.unmatched.is_empty() && scoped {
                cands.add(p.deepest, 0.98, How::Address);
                return true;
            }
            return false;
        }
        if !p.doorplates.is_empty() {
            for &d in &p.doorplates {
                cands.add_doorplate(d, 1.0, How::Address);
            }
            return true;
        }
        if !p.roads.is_empty() {
            if !scoped && p.number.is_none() {
                // a bare road name: the name keys find every district's road already
                return false;
            }
            for &r in &p.roads {
                cands.add(self.roads[r as usize], 1.0, How::Address);
            }
            return true;
        }
        // the road is unknown or not in the named unit: the unit, then the roads of that
        // name elsewhere (labelled with their districts), never a silent move
        if scoped {
            cands.add(p.deepest, 0.9, How::Address);
        }
        for &r in &p.roads_elsewhere {
            cands.add(self.roads[r as usize], 0.5, How::Address);
        }
        scoped || !p.roads_elsewhere.is_empty()
    }

    /// Facilities of `categories`, nearest first to `opts.near` (else in record order).
    fn category_hits(
        &self,
        categories: &[crate::FacilityCategory],
        opts: &SearchOptions,
    ) -> Vec<SearchHit> {
        if !opts.kinds.is_empty() && !opts.kinds.contains(&PlaceKind::Facility) {
            return Vec::new();
        }
        let mut found: Vec<(f64, u32)> = self
            .categories
            .iter()
            .filter(|(c, _)| categories.contains(c))
            .flat_map(|(_, es)| es.iter().copied())
            .filter(|&e| !self.entries[e as usize].dead)
            .map(|e| {
                let en = &self.entries[e as usize];
                let d = opts.near.map_or(0.0, |near| {
                    let d = distance_km(near, (en.lon, en.lat));
                    if d.is_finite() {
                        d
                    } else {
                        f64::MAX
                    }
                });
                (d, e)
            })
            .collect();
        let order = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if found.len() > opts.limit {
            found.select_nth_unstable_by(opts.limit - 1, order);
            found.truncate(opts.limit);
        }
        found.sort_unstable_by(order);
        found
            .into_iter()
            .map(|(d, e)| {
                // nearer is higher: 1 at the point, 1/2 at 5 km
                let score = 1.0 / (1.0 + d / 5.0);
                self.entry_hit(e, score, How::Category, None)
            })
            .collect()
    }

    /// Prefix completion for a search box: keys that start with what was typed (Chinese,
    /// pinyin, initials, English), and doorplates of a road as their numbers are typed
    /// (`文三路1` → 文三路1号, 10号…). No typo search: it has to be fast.
    pub fn autocomplete(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, GazetteerError> {
        validate(q)?;
        let f = fold_query(q);
        let opts = SearchOptions {
            limit,
            ..SearchOptions::default()
        };
        if f.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut cands = Candidates::default();
        if let Some((place, number, hao)) = split_house_number(&f) {
            self.match_house_number(place, number, hao, &mut cands);
            if !cands.doorplates.is_empty() {
                return Ok(self.rank(cands, &opts, None));
            }
        }
        self.match_keys(&f, 1.0, &mut cands);
        if f.chars().any(is_han) && cands.entries.len() < limit {
            let p = query_pinyin(&f);
            let factor = if f.bytes().any(|b| b.is_ascii_lowercase()) {
                0.95
            } else {
                0.85
            };
            self.match_keys(&p, factor, &mut cands);
        }
        Ok(self.rank(cands, &opts, None))
    }

    /// Whether `opts.limit` candidates already rank above anything a further match of at
    /// most `score` could rank (a lossless cut: skipping that match changes no result).
    fn filled(&self, cands: &Candidates, opts: &SearchOptions, score: f64) -> bool {
        if cands.entries.len() + cands.doorplates.len() < opts.limit {
            return false;
        }
        let proximity_max = if opts.near.is_some() { 1.5 } else { 1.0 };
        let bound = score * f64::from(MAX_WEIGHT) * proximity_max;
        let wanted = |k: PlaceKind| opts.kinds.is_empty() || opts.kinds.contains(&k);
        // ranks without the proximity bonus: lower bounds of the real ones
        let above = cands
            .entries
            .iter()
            .filter(|(&e, &(s, _))| {
                let en = &self.entries[e as usize];
                !en.dead && wanted(en.kind) && s * f64::from(en.weight) > bound
            })
            .count();
        above >= opts.limit
    }

    fn rank(
        &self,
        cands: Candidates,
        opts: &SearchOptions,
        address: Option<&AddressMatch>,
    ) -> Vec<SearchHit> {
        let wanted = |k: PlaceKind| opts.kinds.is_empty() || opts.kinds.contains(&k);
        let proximity = |lon: f64, lat: f64| match opts.near {
            Some(near) if lon.is_finite() && lat.is_finite() => {
                1.0 + 0.5 * (-distance_km(near, (lon, lat)) / 5.0).exp()
            }
            _ => 1.0,
        };
        // (rank, is_doorplate, id, how)
        type Ranked = (f64, bool, u32, How);
        let mut ranked: Vec<Ranked> =
            Vec::with_capacity(cands.entries.len() + cands.doorplates.len());
        for (e, (s, how)) in cands.entries {
            let en = &self.entries[e as usize];
            if !en.dead && wanted(en.kind) {
                ranked.push((
                    s * f64::from(en.weight) * proximity(en.lon, en.lat),
                    false,
                    e,
                    how,
                ));
            }
        }
        if wanted(PlaceKind::Doorplate) {
            for (d, (s, how)) in cands.doorplates {
                let dp = &self.doorplates[d as usize];
                let r = s * f64::from(DOORPLATE_WEIGHT) * proximity(dp.lon, dp.lat)
                    // lower numbers first when completing
                    * (1.0 - f64::from(dp.number.min(100_000)) * 1e-9);
                ranked.push((r, true, d, how));
            }
        }
        // the best `limit` in order: a selection, then a sort of those only
        let order =
            |a: &Ranked, b: &Ranked| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2));
        if ranked.len() > opts.limit {
            ranked.select_nth_unstable_by(opts.limit - 1, order);
            ranked.truncate(opts.limit);
        }
        ranked.sort_unstable_by(order);
        ranked
            .into_iter()
            .map(|(r, is_dp, id, how)| {
                let address = (how == How::Address).then_some(address).flatten();
                if is_dp {
                    self.doorplate_hit(id, r, how, address)
                } else {
                    self.entry_hit(id, r, how, address)
                }
            })
            .collect()
    }

    /// The explanation of a match.
    fn match_info(&self, how: How, entry: u32) -> MatchInfo {
        let former = |a: &super::Alias| FormerName {
            name: a.name.clone(),
            current: self.entries[entry as usize].name.to_string(),
            year: a.year,
            event: a.note.clone(),
            date: a.date.clone(),
        };
        let (alias, key_kind) = match how {
            How::Key { alias, kind, .. } | How::Fuzzy { alias, kind, .. } => (alias, Some(kind)),
            _ => (NO_ALIAS, None),
        };
        if let Some(a) = (alias != NO_ALIAS)
            .then(|| self.aliases.get(usize::from(alias)))
            .flatten()
        {
            let is_former = a.name_type == NameType::Former;
            let mut m = MatchInfo::of(match how {
                _ if is_former => MatchKind::FormerName,
                How::Fuzzy { .. } => MatchKind::Fuzzy,
                How::Key { exact: true, .. } => MatchKind::Exact,
                _ => MatchKind::Prefix,
            });
            m.former = is_former.then(|| former(a));
            m.name_type = Some(a.name_type);
            if let How::Fuzzy { distance, .. } = how {
                m.distance = Some(distance);
            }
            return m;
        }
        let mut m = match how {
            How::Fuzzy { distance, .. } => MatchInfo {
                distance: Some(distance),
                ..MatchInfo::of(MatchKind::Fuzzy)
            },
            How::Key { kind, exact, .. } => MatchInfo::of(match kind {
                KeyKind::Pinyin | KeyKind::PinyinShort => MatchKind::Pinyin,
                KeyKind::Initials => MatchKind::Initials,
                KeyKind::English => MatchKind::English,
                KeyKind::Code => MatchKind::Code,
                _ if exact => MatchKind::Exact,
                _ => MatchKind::Prefix,
            }),
            How::Partial => MatchInfo::of(MatchKind::Partial),
            How::Address => MatchInfo::of(MatchKind::Address),
            How::Category => MatchInfo::of(MatchKind::Category),
            How::Code => MatchInfo::of(MatchKind::Code),
        };
        m.name_type = match (how, key_kind) {
            (_, Some(KeyKind::Code)) | (How::Address | How::Category | How::Code, _) => None,
            (_, Some(KeyKind::Short | KeyKind::PinyinShort | KeyKind::AliasShort)) => {
                Some(NameType::Short)
            }
            _ => Some(NameType::Standard),
        };
        m
    }

    /// The district and township names above admin entry `e` (itself included).
    fn unit_names(&self, e: u32) -> (Option<String>, Option<String>) {
        let name = |x: u32| (x != NONE).then(|| self.entries[x as usize].name.to_string());
        (
            name(ancestor(&self.entries, e, AdminLevel::District)),
            name(ancestor(&self.entries, e, AdminLevel::Township)),
        )
    }

    fn entry_hit(
        &self,
        id: u32,
        score: f64,
        how: How,
        address: Option<&AddressMatch>,
    ) -> SearchHit {
        let e = &self.entries[id as usize];
        let (mut district, mut township) = match e.kind {
            PlaceKind::Admin => self.unit_names(id),
            _ => self.unit_names(e.parent),
        };
        let (mut extent, mut numbers) = (None, None);
        if e.kind == PlaceKind::Road {
            let info = &self.road_info[e.record as usize];
            let name = |x: u32| (x != NONE).then(|| self.entries[x as usize].name.to_string());
            district = name(info.district);
            township = name(info.township);
            extent = (!info.extent[0].is_nan()).then_some(info.extent);
            let list = &self.road_doorplates[e.record as usize];
            numbers = list.first().zip(list.last()).map(|(a, b)| [a.0, b.0]);
        }
        SearchHit {
            kind: e.kind,
            record: e.record,
            name: e.name.to_string(),
            label: e.label.to_string(),
            code: e.code.as_deref().map(str::to_owned),
            score,
            lon: e.lon,
            lat: e.lat,
            how: self.match_info(how, id),
            district,
            township,
            extent,
            numbers,
            address: address.cloned(),
        }
    }

    /// The hit of a doorplate, its label built from its community's chain.
    fn doorplate_hit(
        &self,
        dp: u32,
        score: f64,
        how: How,
        address: Option<&AddressMatch>,
    ) -> SearchHit {
        let d = &self.doorplates[dp as usize];
        let road = if d.road == NONE {
            ""
        } else {
            &*self.entries[self.roads[d.road as usize] as usize].name
        };
        let name = format!("{road}{}号", d.number);
        let label = if d.community == NONE {
            name.clone()
        } else {
            format!("{}{name}", self.entries[d.community as usize].label)
        };
        let (district, township) = self.unit_names(d.community);
        SearchHit {
            kind: PlaceKind::Doorplate,
            record: dp,
            name,
            label,
            code: None,
            score,
            lon: d.lon,
            lat: d.lat,
            how: self.match_info(how, NONE),
            district,
            township,
            extent: None,
            numbers: None,
            address: address.cloned(),
        }
    }
}

impl Gazetteer {
    /// The range of the index's keys starting with `prefix`: a binary search over the
    /// 8-byte heads (a flat array, one cache line holds eight), then over the key texts
    /// only among equal heads.
    pub(super) fn key_range(&self, prefix: &str) -> std::ops::Range<usize> {
        let b = prefix.as_bytes();
        let lo_head = head_of(b, 0);
        let lo = self.heads.partition_point(|&h| h < lo_head);
        if b.len() < 8 {
            // every key starting with a short prefix has a head in [prefix 00.., prefix ff..]
            let hi_head = head_of(b, 0xFF);
            return lo..lo + self.heads[lo..].partition_point(|&h| h <= hi_head);
        }
        let hi = lo + self.heads[lo..].partition_point(|&h| h == lo_head);
        let sub = prefix_range(&self.keys[lo..hi], prefix);
        lo + sub.start..lo + sub.end
    }
}

/// The first 8 bytes of `b` as a big-endian number (byte order = number order), padded
/// with `fill`.
pub(super) fn head_of(b: &[u8], fill: u8) -> u64 {
    let mut h = [fill; 8];
    let n = b.len().min(8);
    h[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(h)
}

/// The range of `keys` (sorted by text) starting with `prefix`.
pub(super) fn prefix_range(keys: &[Key], prefix: &str) -> std::ops::Range<usize> {
    let lo = keys.partition_point(|k| &*k.text < prefix);
    let hi = lo + keys[lo..].partition_point(|k| k.text.starts_with(prefix));
    lo..hi
}
