//! The service layer: everything the server knows and computes, with no HTTP in it.
//!
//! ```text
//!   http (routes: parse → call one service → render)      cli (commands)
//!            │                                              │
//!            └──────────────► service ◄─────────────────────┘
//!        data ◄── coverage ◄── tiles          follow (PostGIS edits → all three)
//!                    ▲
//!               doorplates (pages, aliases, numbering check)
//!         │          │           │
//!   civmap-data   civmap-geo-core   civmap-tiles
//! ```
//!
//! Each service owns its state, caches and invariants: [`DataService`] the live records
//! and indexes (catalog, spatial and gazetteer questions), [`CoverageService`] the engine,
//! its caches and the what-if scenarios (it holds the data service it reads),
//! [`TileService`] the admin topology and the tile cache. Services return typed answers
//! (serde structs that also generate `/api/v1/openapi.json`) or a [`ServiceError`] naming
//! the input at fault; `http::error` alone turns those into status codes. Dependencies
//! point one way (tiles → coverage → data), which a test of the `use` lines checks.

pub mod as_of;
pub mod as_of_answers;
pub mod batch;
pub mod catalog;
pub mod change_layer;
pub mod coverage;
pub mod data;
pub mod doorplate_qr;
pub mod doorplates;
pub mod error;
pub mod follow;
pub mod gazetteer;
pub mod geojson;
pub mod history;
pub mod identity;
pub mod name_workflow;
pub mod names;
pub mod ogc;
pub mod proposal_replay;
pub mod proposal_shapes;
pub mod proposals;
pub mod spatial;
pub mod survey;
pub mod survey_diff;
pub mod survey_register;
pub mod survey_tables;
pub mod tiles;

use std::sync::Arc;

use civmap_geo_core::Dataset;

pub use coverage::CoverageService;
pub use data::{DataService, StoreKind};
pub use doorplates::DoorplateService;
pub use error::ServiceError;
pub use identity::IdentityService;
pub use name_workflow::NameWorkflowService;
pub use survey_register::SurveyRegisterService;
pub use tiles::TileService;

/// The services of one running server.
#[derive(Debug)]
pub struct AppState {
    /// Records, indexes, gazetteer; the store's health.
    pub data: Arc<DataService>,
    /// The coverage engine, its caches and the scenarios.
    pub coverage: Arc<CoverageService>,
    /// Vector tiles: admin topology and tile cache.
    pub tiles: TileService,
    /// Logins, roles and the audit log.
    pub identity: Arc<IdentityService>,
    /// The boundary-marker register and validation exceptions (in the accounts store).
    pub register: Arc<SurveyRegisterService>,
    /// Doorplate pages, their aliases (in the accounts store) and the numbering check.
    pub doorplates: Arc<DoorplateService>,
    /// The name registry and the naming workflow (in the accounts store).
    pub names: Arc<NameWorkflowService>,
    /// Change proposals and their decisions (in the accounts store).
    pub proposals: civmap_data::proposals::ProposalStore,
}

/// The services as handlers receive them.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Indexes a dataset and sets up every service over it, with an empty in-memory
    /// accounts store (see [`AppState::with_identity`]).
    pub fn new(data: Dataset, store: StoreKind) -> Self {
        Self::build(
            data,
            store,
            IdentityService::in_memory(),
            coverage::Budgets::default(),
        )
    }

    /// [`AppState::new`] with the given accounts.
    pub fn with_identity(data: Dataset, store: StoreKind, identity: IdentityService) -> Self {
        Self::build(data, store, identity, coverage::Budgets::default())
    }

    /// [`Self::new`] with other time budgets for the heavy answers.
    pub fn with_budgets(data: Dataset, store: StoreKind, budgets: coverage::Budgets) -> Self {
        Self::build(data, store, IdentityService::in_memory(), budgets)
    }

    /// Every service over `data`, with these accounts and budgets.
    pub fn build(
        data: Dataset,
        store: StoreKind,
        identity: IdentityService,
        budgets: coverage::Budgets,
    ) -> Self {
        let tiles = TileService::new(&data);
        Self::over(
            tiles,
            Arc::new(DataService::new(data, store)),
            identity,
            budgets,
        )
    }

    /// Every service as a start builds them: without PostGIS the approved change
    /// proposals stored with `identity` are replayed onto `data` first (one that no longer
    /// fits is skipped whole and listed in `/health`); in every mode their former names
    /// are in the gazetteer from its first build (see [`proposal_replay`]). Fails only
    /// when the accounts store cannot be read.
    pub async fn restore(
        mut data: Dataset,
        store: StoreKind,
        identity: IdentityService,
    ) -> Result<Self, ServiceError> {
        let proposals = identity.proposals();
        let report = match store {
            StoreKind::Postgis => proposal_replay::ReplayReport::default(),
            _ => proposal_replay::replay_approved(&proposals, &mut data).await?,
        };
        let former = proposal_replay::former_name_aliases(&proposals, &report.skipped).await?;
        let tiles = TileService::new(&data);
        let data = Arc::new(DataService::with_former_names(data, store, former));
        data.set_not_replayed(report.skipped);
        Ok(Self::over(
            tiles,
            data,
            identity,
            coverage::Budgets::default(),
        ))
    }

    /// Every service over the data service `data`, with these tiles, accounts and budgets.
    fn over(
        tiles: TileService,
        data: Arc<DataService>,
        identity: IdentityService,
        budgets: coverage::Budgets,
    ) -> Self {
        let register = Arc::new(SurveyRegisterService::new(
            identity.register(),
            data.clone(),
        ));
        register.set_line_catalog(Arc::new(survey::ServedLines(data.clone())));
        let coverage = Arc::new(
            CoverageService::with_budgets(data.clone(), budgets)
                .with_scenario_store(identity.scenarios()),
        );
        Self {
            names: Arc::new(NameWorkflowService::new(
                identity.place_names(),
                data.clone(),
            )),
            doorplates: Arc::new(DoorplateService::new(
                identity.doorplate_aliases(),
                data.clone(),
                coverage.clone(),
            )),
            coverage,
            data,
            tiles,
            proposals: identity.proposals(),
            identity: Arc::new(identity),
            register,
        }
    }
}
