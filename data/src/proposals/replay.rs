//! Replaying an approved proposal's stored data change onto a dataset (no IO): what a
//! server without PostGIS does at start, so that the units, doorplates and facilities it
//! serves are those the approvals made. A change that no longer fits the data (the data
//! directory was replaced, an earlier approval was skipped) is refused whole, before
//! anything is changed, with the first reason found.

use std::collections::{HashMap, HashSet};

use civmap_geo_core::{AdminCode, AdminUnit, Dataset};

use super::DataEdit;

/// Why a stored data change no longer applies to the data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditConflict {
    /// A unit the change retires is not in the data.
    #[error("unit {0} it retires is not in the data")]
    RetiredMissing(AdminCode),
    /// A unit the change creates is in the data already.
    #[error("unit {0} it creates is already in the data")]
    CreatedPresent(AdminCode),
    /// A unit the change modifies is not in the data.
    #[error("unit {0} it changes is not in the data")]
    ChangedMissing(AdminCode),
    /// A doorplate the change recodes is not in the data.
    #[error("doorplate {0} it recodes is not in the data")]
    DoorplateMissing(u64),
    /// A facility the change recodes is not in the data.
    #[error("facility {0} it recodes is not in the data")]
    FacilityMissing(String),
    /// A unit the change modifies or retires is not as it was when the change was
    /// approved (an earlier approval was skipped, the data were replaced).
    #[error("unit {0} is not as it was when the change was approved")]
    UnitDiffers(AdminCode),
    /// A doorplate the change recodes is not in the unit it was in when approved.
    #[error("doorplate {id} is in {now}, not in {then} as when the change was approved")]
    DoorplateMoved {
        /// The doorplate.
        id: u64,
        /// Its unit now (`none` for none).
        now: String,
        /// Its unit then.
        then: String,
    },
    /// A facility the change recodes is not in the unit it was in when approved.
    #[error("facility {id} is in {now}, not in {then} as when the change was approved")]
    FacilityMoved {
        /// The facility.
        id: String,
        /// Its unit now (`none` for none).
        now: String,
        /// Its unit then.
        then: String,
    },
    /// After the change a record would point at a unit that is not in the data.
    #[error("{record} would belong to unit {code}, which is not in the data after the change")]
    Dangling {
        /// The record (`unit C`, `doorplate N`, `facility F`).
        record: String,
        /// The missing unit.
        code: AdminCode,
    },
}

impl DataEdit {
    /// Checks that this change fits `ds` (every record it retires, changes or recodes is
    /// there and as it was when the change was approved, every unit it creates is not,
    /// and afterwards no record belongs to a unit that is gone), then applies it as the live data applies an approval: retired units
    /// removed (order kept), upserted units replaced in place or appended, doorplates'
    /// and facilities' unit codes set. On a conflict `ds` is left untouched.
    ///
    /// ```
    /// use civmap_data::proposals::{DataEdit, EditConflict};
    /// use civmap_geo_core::{AdminCode, AdminUnit, Dataset};
    /// let gone = AdminCode::parse("330102001002").unwrap();
    /// let edit = DataEdit { delete_units: vec![gone.clone()], ..Default::default() };
    /// let mut ds = Dataset::default();
    /// assert_eq!(edit.apply_to(&mut ds), Err(EditConflict::RetiredMissing(gone)));
    /// ```
    pub fn apply_to(&self, ds: &mut Dataset) -> Result<(), EditConflict> {
        self.check(ds)?;
        let retired: HashSet<&AdminCode> = self.delete_units.iter().collect();
        ds.admin.retain(|u| !retired.contains(&u.code));
        for u in &self.upsert_units {
            match ds.admin.iter_mut().find(|x| x.code == u.code) {
                Some(x) => *x = u.clone(),
                None => ds.admin.push(u.clone()),
            }
        }
        let plates: HashMap<u64, &AdminCode> =
            self.doorplates.iter().map(|(i, c)| (*i, c)).collect();
        for d in &mut ds.doorplates {
            if let Some(c) = plates.get(&d.id) {
                d.community = Some((*c).clone());
            }
        }
        let facilities: HashMap<&str, &AdminCode> = self
            .facilities
            .iter()
            .map(|(i, c)| (i.as_str(), c))
            .collect();
        for f in &mut ds.facilities {
            if let Some(c) = facilities.get(f.id.as_str()) {
                f.admin_code = Some((*c).clone());
            }
        }
        Ok(())
    }

    /// The first reason this change does not fit `ds`, if any.
    fn check(&self, ds: &Dataset) -> Result<(), EditConflict> {
        let before: HashSet<&AdminCode> = ds.admin.iter().map(|u| &u.code).collect();
        let retired: HashSet<&AdminCode> = self.delete_units.iter().collect();
        let created: HashSet<&AdminCode> = self.created_units.iter().collect();
        if let Some(c) = self.delete_units.iter().find(|c| !before.contains(c)) {
            return Err(EditConflict::RetiredMissing(c.clone()));
        }
        for u in &self.upsert_units {
            match (created.contains(&u.code), before.contains(&u.code)) {
                (true, true) => return Err(EditConflict::CreatedPresent(u.code.clone())),
                (false, false) => return Err(EditConflict::ChangedMissing(u.code.clone())),
                _ => {}
            }
        }
        let plates: HashSet<u64> = ds.doorplates.iter().map(|d| d.id).collect();
        if let Some((id, _)) = self.doorplates.iter().find(|(id, _)| !plates.contains(id)) {
            return Err(EditConflict::DoorplateMissing(*id));
        }
        let facilities: HashSet<&str> = ds.facilities.iter().map(|f| f.id.as_str()).collect();
        if let Some((id, _)) = self
            .facilities
            .iter()
            .find(|(id, _)| !facilities.contains(id.as_str()))
        {
            return Err(EditConflict::FacilityMissing(id.clone()));
        }
        self.check_before(ds)?;
        self.check_dangling(ds, &before, &retired)
    }

    /// The records it changes are those it was approved on (when it says which).
    fn check_before(&self, ds: &Dataset) -> Result<(), EditConflict> {
        let units: HashMap<&AdminCode, &AdminUnit> =
            ds.admin.iter().map(|u| (&u.code, u)).collect();
        if let Some(u) = self
            .units_before
            .iter()
            .find(|u| units.get(&u.code).is_none_or(|now| *now != *u))
        {
            return Err(EditConflict::UnitDiffers(u.code.clone()));
        }
        let shown = |c: Option<&AdminCode>| c.map_or("none".to_owned(), |c| c.to_string());
        let plates: HashMap<u64, Option<&AdminCode>> = ds
            .doorplates
            .iter()
            .map(|d| (d.id, d.community.as_ref()))
            .collect();
        for (id, then) in &self.doorplates_before {
            let now = plates.get(id).copied().flatten();
            if now != then.as_ref() {
                return Err(EditConflict::DoorplateMoved {
                    id: *id,
                    now: shown(now),
                    then: shown(then.as_ref()),
                });
            }
        }
        let facilities: HashMap<&str, Option<&AdminCode>> = ds
            .facilities
            .iter()
            .map(|f| (f.id.as_str(), f.admin_code.as_ref()))
            .collect();
        for (id, then) in &self.facilities_before {
            let now = facilities.get(id.as_str()).copied().flatten();
            if now != then.as_ref() {
                return Err(EditConflict::FacilityMoved {
                    id: id.clone(),
                    now: shown(now),
                    then: shown(then.as_ref()),
                });
            }
        }
        Ok(())
    }

    /// After the change no record may belong to a unit that is gone: neither one it kept
    /// (its unit retired) nor one the change gives it (a unit not in the data afterwards).
    /// Parents the data never held (the city's province) are not the change's business.
    fn check_dangling(
        &self,
        ds: &Dataset,
        before: &HashSet<&AdminCode>,
        retired: &HashSet<&AdminCode>,
    ) -> Result<(), EditConflict> {
        let upserted: HashMap<&AdminCode, Option<&AdminCode>> = self
            .upsert_units
            .iter()
            .map(|u| (&u.code, u.parent.as_ref()))
            .collect();
        let after = |c: &AdminCode| {
            upserted.contains_key(c) || (before.contains(c) && !retired.contains(c))
        };
        // `given`: the change sets this code (it must exist), else the record keeps its own
        let check = |record: &dyn Fn() -> String, code: Option<&AdminCode>, given: bool| match code
            .filter(|c| !after(c) && (given || retired.contains(c)))
        {
            Some(c) => Err(EditConflict::Dangling {
                record: record(),
                code: c.clone(),
            }),
            None => Ok(()),
        };
        let old_parent: HashMap<&AdminCode, Option<&AdminCode>> = ds
            .admin
            .iter()
            .map(|u| (&u.code, u.parent.as_ref()))
            .collect();
        for u in &ds.admin {
            if retired.contains(&u.code) || upserted.contains_key(&u.code) {
                continue;
            }
            check(&|| format!("unit {}", u.code), u.parent.as_ref(), false)?;
        }
        for u in &self.upsert_units {
            let given = old_parent.get(&u.code) != Some(&u.parent.as_ref());
            check(&|| format!("unit {}", u.code), u.parent.as_ref(), given)?;
        }
        let plates: HashMap<u64, &AdminCode> =
            self.doorplates.iter().map(|(i, c)| (*i, c)).collect();
        for d in &ds.doorplates {
            let given = plates.get(&d.id).copied();
            let code = given.or(d.community.as_ref());
            check(&|| format!("doorplate {}", d.id), code, given.is_some())?;
        }
        let facilities: HashMap<&str, &AdminCode> = self
            .facilities
            .iter()
            .map(|(i, c)| (i.as_str(), c))
            .collect();
        for f in &ds.facilities {
            let given = facilities.get(f.id.as_str()).copied();
            let code = given.or(f.admin_code.as_ref());
            check(&|| format!("facility {}", f.id), code, given.is_some())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use civmap_geo_core::{
        AdminLevel, AdminUnit, Doorplate, Facility, FacilityAttributes, FacilityCategory,
    };
    use geo::{MultiPolygon, Point};

    fn c(s: &str) -> AdminCode {
        AdminCode::parse(s).unwrap()
    }

    fn unit(code: &str, name: &str, parent: &str) -> AdminUnit {
        AdminUnit {
            code: c(code),
            name: name.into(),
            level: AdminLevel::Community,
            parent: Some(c(parent)),
            kind: String::new(),
            geometry: MultiPolygon(vec![]),
            population: 0,
            elderly: 0,
            synthetic: true,
        }
    }

    /// Two townships under 330102000000 (not in the data), a community in each, one
    /// doorplate and one facility in the first community.
    fn data() -> Dataset {
        Dataset {
            admin: vec![
                unit("330102001000", "西街道", "330102000000"),
                unit("330102002000", "东街道", "330102000000"),
                unit("330102001001", "西社区", "330102001000"),
                unit("330102002001", "东社区", "330102002000"),
            ],
            doorplates: vec![Doorplate {
                id: 7,
                road: "文三路".into(),
                number: 1,
                location: Point::new(120.0, 30.0),
                residents: 2,
                elderly: 1,
                community: Some(c("330102001001")),
                synthetic: true,
            }],
            facilities: vec![Facility {
                id: "f1".into(),
                name: "食堂".into(),
                category: FacilityCategory::ElderCanteen,
                location: Point::new(120.0, 30.0),
                address: String::new(),
                admin_code: Some(c("330102001001")),
                attributes: FacilityAttributes::default(),
                synthetic: true,
            }],
            ..Default::default()
        }
    }

    /// The transfer of 西社区 under 东街道 as 330102002002.
    fn transfer() -> DataEdit {
        DataEdit {
            upsert_units: vec![unit("330102002002", "西社区", "330102002000")],
            created_units: vec![c("330102002002")],
            delete_units: vec![c("330102001001")],
            doorplates: vec![(7, c("330102002002"))],
            facilities: vec![("f1".into(), c("330102002002"))],
            units_before: vec![unit("330102001001", "西社区", "330102001000")],
            doorplates_before: vec![(7, Some(c("330102001001")))],
            facilities_before: vec![("f1".into(), Some(c("330102001001")))],
        }
    }

    #[test]
    fn a_fitting_change_is_applied_as_the_live_data_applies_it() {
        let mut ds = data();
        transfer().apply_to(&mut ds).unwrap();
        let codes: Vec<&str> = ds.admin.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "330102001000",
                "330102002000",
                "330102002001",
                "330102002002"
            ]
        );
        assert_eq!(ds.doorplates[0].community, Some(c("330102002002")));
        assert_eq!(ds.facilities[0].admin_code, Some(c("330102002002")));
        // a rename replaces the unit in place
        let mut renamed = unit("330102002000", "钱江街道", "330102000000");
        renamed.population = 5;
        let rename = DataEdit {
            upsert_units: vec![renamed.clone()],
            ..Default::default()
        };
        rename.apply_to(&mut ds).unwrap();
        assert_eq!(ds.admin[1], renamed);
    }

    #[test]
    fn a_change_that_no_longer_fits_is_refused_whole_naming_why() {
        let mut applied = data();
        transfer().apply_to(&mut applied).unwrap();
        let cases: Vec<(Dataset, DataEdit, EditConflict)> = vec![
            // the data have it already
            (
                applied.clone(),
                transfer(),
                EditConflict::RetiredMissing(c("330102001001")),
            ),
            // a new code taken meanwhile
            (
                {
                    let mut d = data();
                    d.admin.push(unit("330102002002", "北社区", "330102002000"));
                    d
                },
                transfer(),
                EditConflict::CreatedPresent(c("330102002002")),
            ),
            // a unit to change that is gone
            (
                data(),
                DataEdit {
                    upsert_units: vec![unit("330102009001", "新名", "330102001000")],
                    ..Default::default()
                },
                EditConflict::ChangedMissing(c("330102009001")),
            ),
            // a doorplate gone
            (
                {
                    let mut d = data();
                    d.doorplates[0].id = 8;
                    d
                },
                transfer(),
                EditConflict::DoorplateMissing(7),
            ),
            // the unit it retires changed since
            (
                {
                    let mut d = data();
                    d.admin[2].population = 9;
                    d
                },
                transfer(),
                EditConflict::UnitDiffers(c("330102001001")),
            ),
            // a recoded doorplate moved since
            (
                {
                    let mut d = data();
                    d.doorplates[0].community = None;
                    d
                },
                transfer(),
                EditConflict::DoorplateMoved {
                    id: 7,
                    now: "none".into(),
                    then: "330102001001".into(),
                },
            ),
            (
                {
                    let mut d = data();
                    d.facilities[0].admin_code = Some(c("330102002001"));
                    d
                },
                transfer(),
                EditConflict::FacilityMoved {
                    id: "f1".into(),
                    now: "330102002001".into(),
                    then: "330102001001".into(),
                },
            ),
            (
                {
                    let mut d = data();
                    d.facilities[0].id = "f2".into();
                    d
                },
                transfer(),
                EditConflict::FacilityMissing("f1".into()),
            ),
            // a doorplate the change does not know would be left in the retired unit
            (
                {
                    let mut d = data();
                    let mut extra = d.doorplates[0].clone();
                    extra.id = 9;
                    d.doorplates.push(extra);
                    d
                },
                transfer(),
                EditConflict::Dangling {
                    record: "doorplate 9".into(),
                    code: c("330102001001"),
                },
            ),
            // a unit whose parent the change retires
            (
                {
                    let mut d = data();
                    d.admin.push(unit("330102001001", "组", "330102001001"));
                    d.admin[4].code = c("330102001011");
                    d
                },
                transfer(),
                EditConflict::Dangling {
                    record: "unit 330102001011".into(),
                    code: c("330102001001"),
                },
            ),
            // recoding into a unit that does not exist
            (
                data(),
                DataEdit {
                    doorplates: vec![(7, c("330102003001"))],
                    ..Default::default()
                },
                EditConflict::Dangling {
                    record: "doorplate 7".into(),
                    code: c("330102003001"),
                },
            ),
        ];
        for (before, edit, why) in cases {
            let mut ds = before.clone();
            assert_eq!(edit.apply_to(&mut ds), Err(why.clone()));
            assert_eq!(ds, before, "{why}: nothing may change");
            assert!(!why.to_string().is_empty());
        }
    }

    #[test]
    fn parents_outside_the_data_are_not_the_changes_business() {
        // the townships' parent 330102000000 is not in the data: a rename still fits
        let mut ds = data();
        let edit = DataEdit {
            upsert_units: vec![unit("330102001000", "西湖街道", "330102000000")],
            ..Default::default()
        };
        edit.apply_to(&mut ds).unwrap();
        assert_eq!(ds.admin[0].name, "西湖街道");
    }
}
