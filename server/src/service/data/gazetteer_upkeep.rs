//! Keeping the gazetteer in step with record edits followed from PostGIS.
//!
//! Facility, landmark and doorplate edits go into the gazetteer at once, as the same
//! record-index edits the spatial indexes get ([`PlaceEdit`]): a renamed canteen is
//! findable by its new name as soon as the notification is applied. An admin edit relabels
//! everything below the unit, so it marks the gazetteer stale instead, and so does a long
//! run of edits (the overlay of added keys is compacted). [`refresh_gazetteer`] then
//! rebuilds it on a blocking thread from a snapshot of the records, without holding the
//! lock, replays the edits that arrived meanwhile and swaps it in. A full reload replaces
//! everything and any rebuild in flight for the old data is dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use civmap_geo_core::gazetteer::{Gazetteer, PlaceEdit};
use civmap_geo_core::live::EditOutcome;
use civmap_geo_core::{AdminCode, AdminUnit, Doorplate, Facility, Landmark};

use super::{DataService, LiveData};
use std::sync::Arc;

/// Live edits after which the gazetteer is rebuilt to fold its overlay in.
pub const COMPACT_AFTER_EDITS: usize = 4096;

/// Numbers every `LiveData`, so that a rebuild started for one is not swapped into the next.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

/// The gazetteer's upkeep state inside [`LiveData`].
#[derive(Debug)]
pub(super) struct GazetteerUpkeep {
    /// Which `LiveData` this is.
    generation: u64,
    /// Number of the last edit applied.
    seq: u64,
    /// A rebuild is wanted.
    stale: bool,
    /// While a rebuild runs: the edits applied meanwhile, by number.
    replay: Option<Vec<(u64, PlaceEdit)>>,
}

impl GazetteerUpkeep {
    pub(super) fn new() -> Self {
        Self {
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
            seq: 0,
            stale: false,
            replay: None,
        }
    }
}

impl LiveData {
    /// Inserts or replaces a facility in the records, the spatial index and the gazetteer.
    pub fn upsert_facility(&mut self, f: Facility) -> EditOutcome {
        let d = self.data.data();
        let record = self
            .data
            .facility_record(&f.id)
            .unwrap_or(d.facilities.len() as u32);
        let edit = PlaceEdit::SetFacility(record, f.clone());
        let outcome = self.data.upsert_facility(f);
        self.edit_gazetteer(edit);
        outcome
    }

    /// Deletes a facility everywhere.
    pub fn delete_facility(&mut self, id: &str) -> EditOutcome {
        let Some(record) = self.data.facility_record(id) else {
            return EditOutcome::NotFound;
        };
        let outcome = self.data.delete_facility(id);
        self.edit_gazetteer(PlaceEdit::RemoveFacility(record));
        outcome
    }

    /// Inserts or replaces a landmark everywhere.
    pub fn upsert_landmark(&mut self, l: Landmark) -> EditOutcome {
        let d = self.data.data();
        let record = d
            .landmarks
            .iter()
            .position(|x| x.id == l.id)
            .unwrap_or(d.landmarks.len()) as u32;
        let edit = PlaceEdit::SetLandmark(record, l.clone());
        let outcome = self.data.upsert_landmark(l);
        self.edit_gazetteer(edit);
        outcome
    }

    /// Deletes a landmark everywhere.
    pub fn delete_landmark(&mut self, id: &str) -> EditOutcome {
        let Some(record) = self.data.data().landmarks.iter().position(|x| x.id == id) else {
            return EditOutcome::NotFound;
        };
        let outcome = self.data.delete_landmark(id);
        self.edit_gazetteer(PlaceEdit::RemoveLandmark(record as u32));
        outcome
    }

    /// Inserts or replaces a doorplate everywhere.
    pub fn upsert_doorplate(&mut self, dp: Doorplate) -> EditOutcome {
        let d = self.data.data();
        let record = d
            .doorplates
            .iter()
            .position(|x| x.id == dp.id)
            .unwrap_or(d.doorplates.len()) as u32;
        let edit = PlaceEdit::SetDoorplate(record, dp.clone());
        let outcome = self.data.upsert_doorplate(dp);
        self.edit_gazetteer(edit);
        outcome
    }

    /// Deletes a doorplate everywhere.
    pub fn delete_doorplate(&mut self, id: u64) -> EditOutcome {
        let Some(record) = self.data.data().doorplates.iter().position(|x| x.id == id) else {
            return EditOutcome::NotFound;
        };
        let outcome = self.data.delete_doorplate(id);
        self.edit_gazetteer(PlaceEdit::RemoveDoorplate(record as u32));
        outcome
    }

    /// Inserts or replaces an admin unit, re-renders the admin bodies and marks the
    /// gazetteer for a rebuild (call [`refresh_gazetteer`] after releasing the lock).
    pub fn upsert_admin(&mut self, u: AdminUnit) -> EditOutcome {
        let outcome = self.data.upsert_admin(u);
        self.render_admin();
        self.gazetteer_upkeep.stale = true;
        outcome
    }

    /// Deletes an admin unit; as [`LiveData::upsert_admin`].
    pub fn delete_admin(&mut self, code: &AdminCode) -> EditOutcome {
        let outcome = self.data.delete_admin(code);
        self.render_admin();
        self.gazetteer_upkeep.stale = outcome != EditOutcome::NotFound;
        outcome
    }

    fn edit_gazetteer(&mut self, edit: PlaceEdit) {
        let u = &mut self.gazetteer_upkeep;
        u.seq += 1;
        if let Some(log) = &mut u.replay {
            log.push((u.seq, edit.clone()));
        }
        if let Err(e) = self.gazetteer.apply(edit) {
            // out of step with the records: a rebuild puts it right
            tracing::warn!("gazetteer edit refused, rebuilding: {e}");
            self.gazetteer_upkeep.stale = true;
        }
        if self.gazetteer.edits_since_build() >= COMPACT_AFTER_EDITS {
            self.gazetteer_upkeep.stale = true;
        }
    }
}

/// Starts a background rebuild of the gazetteer when the live data asks for one (an admin
/// edit, a refused edit or many edits) and none is running. Call it after an edit, without
/// holding the lock; needs a tokio runtime.
pub fn refresh_gazetteer(state: &Arc<DataService>) {
    let generation = {
        let mut live = state.write();
        let u = &mut live.gazetteer_upkeep;
        if !u.stale || u.replay.is_some() {
            return;
        }
        u.stale = false;
        u.replay = Some(Vec::new());
        u.generation
    };
    let state = state.clone();
    tokio::task::spawn_blocking(move || rebuild(&state, generation));
}

/// Rebuilds until no rebuild is wanted (admin edits may arrive while one runs).
fn rebuild(state: &DataService, generation: u64) {
    loop {
        let t = Instant::now();
        // the edits numbered after `seq` are not in the snapshot and are replayed
        let (snapshot, seq) = {
            let live = state.read();
            if live.gazetteer_upkeep.generation != generation {
                return;
            }
            (live.data.data().clone(), live.gazetteer_upkeep.seq)
        };
        let aliases = state.aliases();
        let built = std::panic::catch_unwind(|| Gazetteer::build(&snapshot, &aliases));
        drop(snapshot);
        let mut live = state.write();
        if live.gazetteer_upkeep.generation != generation {
            return; // a full reload replaced everything meanwhile
        }
        let log = live.gazetteer_upkeep.replay.take().unwrap_or_default();
        let Ok(mut fresh) = built else {
            tracing::error!("gazetteer rebuild panicked; keeping the live-edited index");
            return;
        };
        let mut replayed = 0;
        for (_, edit) in log.into_iter().filter(|(s, _)| *s > seq) {
            replayed += 1;
            if let Err(e) = fresh.apply(edit) {
                tracing::warn!("gazetteer replay refused an edit: {e}");
                live.gazetteer_upkeep.stale = true;
            }
        }
        live.gazetteer = fresh;
        tracing::info!(
            "gazetteer rebuilt in {:.0} ms ({replayed} edits replayed)",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let u = &mut live.gazetteer_upkeep;
        if !u.stale {
            return;
        }
        u.stale = false;
        u.replay = Some(Vec::new());
    }
}
