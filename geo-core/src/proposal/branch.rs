//! Applying a proposal to a copy of the admin hierarchy: the [`Branch`] holds the units it
//! changes or creates, the codes it ends, and how records (doorplates, facilities) follow.

use std::collections::{BTreeMap, HashMap};

use geo::{Contains, InteriorPoint, MultiPolygon, Point};
use serde::Serialize;

use super::codes::allocate;
use super::shapes::{difference, split, union, union_all};
use super::{ProposalError, ProposalKind};
use crate::{AdminCode, AdminLevel, AdminUnit, Doorplate};

/// Longest name a unit may take, in characters.
pub const MAX_NAME_CHARS: usize = 50;

/// A name (and maybe a code) a unit was known by, kept searchable after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormerName {
    /// The unit that now carries the place: the survivor, the renamed or re-coded unit.
    pub code: AdminCode,
    /// The code the name went with, when it ends.
    pub former_code: Option<AdminCode>,
    /// The former name.
    pub name: String,
}

/// Records of one unit that move to a new unit by where they are: the part of a split
/// community left of the line.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitRule {
    /// The community cut.
    pub from: AdminCode,
    /// The new community.
    pub to: AdminCode,
    /// The new community's ground.
    pub piece: MultiPolygon<f64>,
}

/// A proposal applied to a copy of the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The proposal.
    pub kind: ProposalKind,
    /// Units created or changed, as they will be.
    pub upserts: Vec<AdminUnit>,
    /// Codes that end.
    pub retired: Vec<AdminCode>,
    /// Codes that begin.
    pub created: Vec<AdminCode>,
    /// Each ended code → the code that continues it (a transferred or re-coded community,
    /// a unit merged into the survivor).
    pub successors: BTreeMap<AdminCode, AdminCode>,
    /// Records that move by position (a split community).
    pub split: Option<SplitRule>,
    /// Names kept searchable.
    pub former_names: Vec<FormerName>,
    /// Current units whose record changes or ends.
    pub changed_before: Vec<AdminCode>,
}

impl Branch {
    /// The code a record coded `code` at `at` carries after the change, if it changes.
    pub fn reassign(&self, code: Option<&AdminCode>, at: Point<f64>) -> Option<AdminCode> {
        let code = code?;
        if let Some(s) = &self.split {
            if &s.from == code && s.piece.contains(&at) {
                return Some(s.to.clone());
            }
        }
        self.successors.get(code).cloned()
    }

    /// Codes of the units created or changed.
    pub fn changed_after(&self) -> Vec<AdminCode> {
        self.upserts.iter().map(|u| u.code.clone()).collect()
    }

    /// The whole hierarchy after the change: ended units removed, changed ones replaced in
    /// place, new ones appended.
    pub fn apply_admin(&self, admin: &[AdminUnit]) -> Vec<AdminUnit> {
        let mut up: HashMap<&AdminCode, &AdminUnit> =
            self.upserts.iter().map(|u| (&u.code, u)).collect();
        let mut out: Vec<AdminUnit> = admin
            .iter()
            .filter(|u| !self.retired.contains(&u.code))
            .map(|u| up.remove(&u.code).cloned().unwrap_or_else(|| u.clone()))
            .collect();
        out.extend(
            self.upserts
                .iter()
                .filter(|u| up.contains_key(&u.code))
                .cloned(),
        );
        out
    }
}

fn check_name(field: &'static str, name: &str) -> Result<String, ProposalError> {
    let t = name.trim();
    if t.is_empty() {
        return Err(ProposalError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(ProposalError::invalid(
            field,
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// The hierarchy, indexed by code.
struct Tree<'a> {
    admin: &'a [AdminUnit],
    by_code: HashMap<&'a AdminCode, usize>,
}

impl<'a> Tree<'a> {
    fn new(admin: &'a [AdminUnit]) -> Self {
        Self {
            admin,
            by_code: admin
                .iter()
                .enumerate()
                .map(|(i, u)| (&u.code, i))
                .collect(),
        }
    }

    fn get(&self, field: &'static str, code: &AdminCode) -> Result<&'a AdminUnit, ProposalError> {
        self.by_code
            .get(code)
            .map(|&i| &self.admin[i])
            .ok_or_else(|| ProposalError::UnknownUnit {
                field,
                code: code.clone(),
            })
    }

    fn at_level(
        &self,
        field: &'static str,
        code: &AdminCode,
        levels: &[AdminLevel],
    ) -> Result<&'a AdminUnit, ProposalError> {
        let u = self.get(field, code)?;
        if !levels.contains(&u.level) {
            let want: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
            return Err(ProposalError::invalid(
                field,
                format!("{code} is a {}, not a {}", u.level, want.join(" or ")),
            ));
        }
        Ok(u)
    }

    /// The unit and its ancestors, nearest first (cycle-safe).
    fn chain(&self, code: &AdminCode) -> Vec<&'a AdminUnit> {
        let mut out: Vec<&AdminUnit> = Vec::new();
        let mut cur = self.by_code.get(code).map(|&i| &self.admin[i]);
        while let Some(u) = cur {
            if out.iter().any(|o| o.code == u.code) {
                break;
            }
            out.push(u);
            cur = u
                .parent
                .as_ref()
                .and_then(|p| self.by_code.get(p))
                .map(|&i| &self.admin[i]);
        }
        out
    }

    fn children(&self, code: &AdminCode) -> Vec<&'a AdminUnit> {
        self.admin
            .iter()
            .filter(|u| u.parent.as_ref() == Some(code))
            .collect()
    }

    fn all_codes(&self) -> Vec<AdminCode> {
        self.admin.iter().map(|u| u.code.clone()).collect()
    }
}

/// Applies `kind` to a copy of `admin` (every level). `doorplates` apportion a split
/// community's census population between its two parts by the residents on each side.
///
/// ```
/// use civmap_geo_core::proposal::{apply, ProposalKind};
/// use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
/// use geo::MultiPolygon;
/// let c = |s: &str| AdminCode::parse(s).unwrap();
/// let unit = |code: &str, level, parent: Option<&str>| AdminUnit {
///     code: c(code), name: format!("u{code}"), level, parent: parent.map(c),
///     kind: String::new(), geometry: MultiPolygon(vec![]), population: 10, elderly: 2,
///     synthetic: true,
/// };
/// let admin = [
///     unit("330106001000", AdminLevel::Township, None),
///     unit("330106001001", AdminLevel::Community, Some("330106001000")),
/// ];
/// let b = apply(&ProposalKind::Rename { unit: c("330106001001"), name: "新社区".into() }, &admin, &[]).unwrap();
/// assert_eq!(b.upserts[0].name, "新社区");
/// assert_eq!(b.former_names[0].name, "u330106001001");
/// // a transfer to the community's own township is refused, naming the field
/// let e = apply(&ProposalKind::Transfer { community: c("330106001001"), to_township: c("330106001000") }, &admin, &[]).unwrap_err();
/// assert_eq!(e.field(), "to_township");
/// ```
pub fn apply(
    kind: &ProposalKind,
    admin: &[AdminUnit],
    doorplates: &[Doorplate],
) -> Result<Branch, ProposalError> {
    let tree = Tree::new(admin);
    let mut b = Branch {
        kind: kind.clone(),
        upserts: Vec::new(),
        retired: Vec::new(),
        created: Vec::new(),
        successors: BTreeMap::new(),
        split: None,
        former_names: Vec::new(),
        changed_before: Vec::new(),
    };
    match kind {
        ProposalKind::Transfer {
            community,
            to_township,
        } => transfer(&tree, &mut b, community, to_township)?,
        ProposalKind::Merge {
            units,
            survivor,
            name,
        } => merge(&tree, &mut b, units, survivor, name.as_deref())?,
        ProposalKind::Split {
            unit,
            line,
            new_name,
        } => {
            let u = tree.at_level("unit", unit, &[AdminLevel::Township, AdminLevel::Community])?;
            let new_name = check_name("new_name", new_name)?;
            let (left, right) = split(&u.geometry, line, "line")?;
            split_unit(&tree, &mut b, u, left, right, new_name, doorplates)?;
        }
        ProposalKind::Rename { unit, name } => {
            let u = tree.get("unit", unit)?;
            let name = check_name("name", name)?;
            if name == u.name {
                return Err(ProposalError::invalid(
                    "name",
                    format!("{unit} is already called {name}"),
                ));
            }
            b.former_names.push(FormerName {
                code: u.code.clone(),
                former_code: None,
                name: u.name.clone(),
            });
            b.changed_before.push(u.code.clone());
            b.upserts.push(AdminUnit { name, ..u.clone() });
        }
    }
    Ok(b)
}

fn transfer(
    tree: &Tree<'_>,
    b: &mut Branch,
    community: &AdminCode,
    to_township: &AdminCode,
) -> Result<(), ProposalError> {
    let c = tree.at_level("community", community, &[AdminLevel::Community])?;
    let to = tree.at_level("to_township", to_township, &[AdminLevel::Township])?;
    let from = c.parent.as_ref().ok_or_else(|| {
        ProposalError::invalid("community", format!("{community} has no parent township"))
    })?;
    if from == to_township {
        return Err(ProposalError::invalid(
            "to_township",
            format!("{community} already belongs to {to_township}"),
        ));
    }
    tree.get("community", from)?;
    let mut taken = tree.all_codes();
    let new_code = allocate(to_township, &mut taken, "to_township")?;
    let from_chain = tree.chain(from);
    let to_chain = tree.chain(&to.code);
    let in_chain = |chain: &[&AdminUnit], code: &AdminCode| chain.iter().any(|u| &u.code == code);
    for u in &from_chain {
        if !in_chain(&to_chain, &u.code) {
            b.changed_before.push(u.code.clone());
            b.upserts.push(AdminUnit {
                geometry: difference(&u.geometry, &c.geometry),
                population: u.population.saturating_sub(c.population),
                elderly: u.elderly.saturating_sub(c.elderly),
                ..(*u).clone()
            });
        }
    }
    for u in &to_chain {
        if !in_chain(&from_chain, &u.code) {
            b.changed_before.push(u.code.clone());
            b.upserts.push(AdminUnit {
                geometry: union(&u.geometry, &c.geometry),
                population: u.population + c.population,
                elderly: u.elderly + c.elderly,
                ..(*u).clone()
            });
        }
    }
    b.changed_before.push(c.code.clone());
    b.upserts.push(AdminUnit {
        code: new_code.clone(),
        parent: Some(to_township.clone()),
        ..c.clone()
    });
    b.former_names.push(FormerName {
        code: new_code.clone(),
        former_code: Some(c.code.clone()),
        name: c.name.clone(),
    });
    b.retired.push(c.code.clone());
    b.created.push(new_code.clone());
    b.successors.insert(c.code.clone(), new_code);
    Ok(())
}

/// Gives `children` new codes under `parent` (a township merged away or split off).
fn recode_children(
    b: &mut Branch,
    children: &[&AdminUnit],
    parent: &AdminCode,
    taken: &mut Vec<AdminCode>,
    field: &'static str,
) -> Result<(), ProposalError> {
    for ch in children {
        let code = allocate(parent, taken, field)?;
        b.changed_before.push(ch.code.clone());
        b.retired.push(ch.code.clone());
        b.created.push(code.clone());
        b.successors.insert(ch.code.clone(), code.clone());
        b.former_names.push(FormerName {
            code: code.clone(),
            former_code: Some(ch.code.clone()),
            name: ch.name.clone(),
        });
        b.upserts.push(AdminUnit {
            code,
            parent: Some(parent.clone()),
            ..(*ch).clone()
        });
    }
    Ok(())
}

fn merge(
    tree: &Tree<'_>,
    b: &mut Branch,
    units: &[AdminCode],
    survivor: &AdminCode,
    name: Option<&str>,
) -> Result<(), ProposalError> {
    let mut codes = units.to_vec();
    codes.sort();
    codes.dedup();
    if codes.len() < 2 {
        return Err(ProposalError::invalid(
            "units",
            "a merge needs at least two different units",
        ));
    }
    if !codes.contains(survivor) {
        return Err(ProposalError::invalid(
            "survivor",
            format!("{survivor} is not one of the units merged"),
        ));
    }
    let levels = [AdminLevel::Township, AdminLevel::Community];
    let members: Vec<&AdminUnit> = codes
        .iter()
        .map(|c| tree.at_level("units", c, &levels))
        .collect::<Result<_, _>>()?;
    let s = tree.get("survivor", survivor)?;
    for m in &members {
        if m.level != s.level || m.parent != s.parent {
            return Err(ProposalError::invalid(
                "units",
                format!(
                    "{} ({} under {}) and the survivor {survivor} ({} under {}) must share level and parent",
                    m.code,
                    m.level,
                    m.parent.as_ref().map_or("nothing".into(), |p| p.to_string()),
                    s.level,
                    s.parent.as_ref().map_or("nothing".into(), |p| p.to_string()),
                ),
            ));
        }
    }
    let new_name = name.map(|n| check_name("name", n)).transpose()?;
    let shapes: Vec<&MultiPolygon<f64>> = members.iter().map(|m| &m.geometry).collect();
    let mut merged = AdminUnit {
        geometry: union_all(&shapes),
        population: members.iter().map(|m| m.population).sum(),
        elderly: members.iter().map(|m| m.elderly).sum(),
        ..s.clone()
    };
    if let Some(n) = new_name {
        if n != s.name {
            b.former_names.push(FormerName {
                code: s.code.clone(),
                former_code: None,
                name: s.name.clone(),
            });
            merged.name = n;
        }
    }
    b.changed_before.push(s.code.clone());
    b.upserts.push(merged);
    let mut taken = tree.all_codes();
    for m in members.iter().filter(|m| m.code != *survivor) {
        b.changed_before.push(m.code.clone());
        b.retired.push(m.code.clone());
        b.successors.insert(m.code.clone(), survivor.clone());
        b.former_names.push(FormerName {
            code: survivor.clone(),
            former_code: Some(m.code.clone()),
            name: m.name.clone(),
        });
        if m.level == AdminLevel::Township {
            let children = tree.children(&m.code);
            recode_children(b, &children, survivor, &mut taken, "units")?;
        }
    }
    Ok(())
}

fn split_unit(
    tree: &Tree<'_>,
    b: &mut Branch,
    u: &AdminUnit,
    left: MultiPolygon<f64>,
    right: MultiPolygon<f64>,
    new_name: String,
    doorplates: &[Doorplate],
) -> Result<(), ProposalError> {
    let parent = u.parent.as_ref().ok_or_else(|| {
        ProposalError::invalid("unit", format!("{} has no parent to number under", u.code))
    })?;
    let mut taken = tree.all_codes();
    let new_code = allocate(parent, &mut taken, "unit")?;
    let (population, elderly) = if u.level == AdminLevel::Community {
        apportion(u, &left, doorplates)
    } else {
        let moving: Vec<&AdminUnit> = tree
            .children(&u.code)
            .into_iter()
            .filter(|ch| {
                ch.geometry
                    .interior_point()
                    .is_some_and(|p| left.contains(&p))
            })
            .collect();
        recode_children(b, &moving, &new_code, &mut taken, "line")?;
        (
            moving.iter().map(|m| m.population).sum(),
            moving.iter().map(|m| m.elderly).sum(),
        )
    };
    b.changed_before.push(u.code.clone());
    b.upserts.push(AdminUnit {
        geometry: right,
        population: u.population.saturating_sub(population),
        elderly: u.elderly.saturating_sub(elderly),
        ..u.clone()
    });
    if u.level == AdminLevel::Community {
        b.split = Some(SplitRule {
            from: u.code.clone(),
            to: new_code.clone(),
            piece: left.clone(),
        });
    }
    b.upserts.push(AdminUnit {
        code: new_code.clone(),
        name: new_name,
        geometry: left,
        population: population.min(u.population),
        elderly: elderly.min(u.elderly),
        ..u.clone()
    });
    b.created.push(new_code);
    Ok(())
}

/// The census population and elderly of the part `piece` of community `u`, in proportion
/// to the residents of its doorplates there (by area when it has no residents).
fn apportion(u: &AdminUnit, piece: &MultiPolygon<f64>, doorplates: &[Doorplate]) -> (u64, u64) {
    use geo::Area;
    let (mut all, mut inside) = ([0u64; 2], [0u64; 2]);
    for d in doorplates
        .iter()
        .filter(|d| d.community.as_ref() == Some(&u.code))
    {
        let r = [u64::from(d.residents), u64::from(d.elderly)];
        all[0] += r[0];
        all[1] += r[1];
        if piece.contains(&d.location) {
            inside[0] += r[0];
            inside[1] += r[1];
        }
    }
    let share = |k: usize, total: u64| -> u64 {
        let f = if all[k] > 0 {
            inside[k] as f64 / all[k] as f64
        } else {
            let a = u.geometry.unsigned_area();
            if a > 0.0 {
                piece.unsigned_area() / a
            } else {
                0.0
            }
        };
        (total as f64 * f).round() as u64
    };
    (share(0, u.population), share(1, u.elderly))
}
