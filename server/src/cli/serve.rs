//! `civmap serve`: the HTTP server over the default city, a data directory or PostGIS.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use civmap_data::postgis::PgStore;

mod listener;

use super::dataset::{load, runtime};
use super::CityArgs;
use crate::service::{AppState, IdentityService, StoreKind};

/// How long `serve --db` waits for the first load from PostGIS.
const FIRST_LOAD_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = super::parse::listen)]
    listen: SocketAddr,
    /// Serve this data directory (written by `civmap import` or `civmap generate`).
    #[arg(long, conflicts_with = "db")]
    data: Option<PathBuf>,
    /// Serve from PostGIS (`postgres://user:password@host:port/db`), following edits live.
    #[arg(long)]
    db: Option<String>,
    /// With --db naming a hot standby: its primary. The server LISTENs here (a standby
    /// refuses LISTEN), reads each change from the standby once the standby has replayed
    /// it, and writes (accounts, sessions, audit, survey register) go here.
    #[arg(long, requires = "db")]
    notify_db: Option<String>,
    /// Where the embedded default keeps its accounts and audit log (default:
    /// $CIVMAP_STATE_DIR, $XDG_STATE_HOME/civmap or ~/.local/state/civmap). With --data
    /// they are in the data directory, with --db in PostGIS.
    #[arg(long, conflicts_with_all = ["data", "db"])]
    state: Option<PathBuf>,
    /// How long a sign-in lasts (bearer tokens and session cookies), hours.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
    token_hours: u32,
    /// Seconds a client has to send a complete request head; also the idle timeout of
    /// keep-alive connections (slow or silent clients are cut off after it).
    #[arg(long, default_value_t = listener::HEADER_READ_TIMEOUT_S, value_parser = clap::value_parser!(u64).range(1..=3600), hide = true)]
    header_read_timeout_s: u64,
    /// The base of the doorplate pages' absolute URLs, which their QR codes hold (e.g.
    /// https://civmap.example.cn); default: each request's Host header (https when the
    /// proxy sends X-Forwarded-Proto: https).
    #[arg(long, value_parser = super::parse::public_url)]
    public_url: Option<String>,
    /// Memory for cached vector tiles, in MiB (0 turns the tile cache off).
    #[arg(long, default_value_t = crate::service::tiles::DEFAULT_CACHE_MB)]
    tile_cache_mb: usize,
    #[command(flatten)]
    city: CityArgs,
}

/// The accounts for the chosen store (and the division history kept there).
fn identity(a: &ServeArgs, rt: &tokio::runtime::Runtime) -> anyhow::Result<IdentityService> {
    let at = super::user::AccountsArgs {
        data: a.data.clone(),
        // writes go to the primary when the data is read from a standby
        db: a.notify_db.clone().or_else(|| a.db.clone()),
        state: a.state.clone(),
    };
    let store = rt.block_on(at.open())?;
    // the division history stored there (civmap history import), else the bundled editions
    if rt.block_on(crate::service::history::load_stored(&store)) {
        tracing::info!("division history: the editions stored in {}", store.shown());
    }
    Ok(IdentityService::new(
        store,
        super::user::token_ttl(a.token_hours),
    ))
}

/// The services over the chosen store (for `--db`: once the first load is in).
fn state(a: &ServeArgs, rt: &tokio::runtime::Runtime) -> anyhow::Result<Arc<AppState>> {
    let identity = identity(a, rt)?;
    tracing::info!("accounts and audit log: {}", identity.shown());
    Ok(match &a.db {
        Some(url) => {
            // Listen first, then load (the follower's first message is a full reload), so
            // no edit can fall between the load and LISTEN; serve once that load is in.
            rt.block_on(PgStore::connect(url))?;
            // the former names of approved proposals (the rows are PostGIS's already)
            let state = Arc::new(rt.block_on(AppState::restore(
                Default::default(),
                StoreKind::Postgis,
                identity,
            ))?);
            let from = crate::service::follow::FollowFrom::new(url, a.notify_db.as_deref());
            rt.spawn(crate::service::follow::follow(state.clone(), from));
            rt.block_on(async {
                tokio::time::timeout(FIRST_LOAD_TIMEOUT, state.data.first_load.notified()).await
            })
            .map_err(|_| anyhow::anyhow!("--db: no data loaded within {FIRST_LOAD_TIMEOUT:?}"))?;
            state
        }
        // the approved change proposals replayed onto the data, their former names in
        // the gazetteer
        None if a.data.is_some() => Arc::new(rt.block_on(AppState::restore(
            load(a.data.as_deref(), &a.city)?,
            StoreKind::DataDir,
            identity,
        ))?),
        None => Arc::new(rt.block_on(AppState::restore(
            load(None, &a.city)?,
            StoreKind::Embedded,
            identity,
        ))?),
    })
}

/// Serves until SIGTERM or SIGINT, then drains (at most [`DRAIN`]) and returns.
pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let rt = runtime()?;
    let state = state(&a, &rt)?;
    state.tiles.set_cache_bytes(a.tile_cache_mb << 20);
    state.doorplates.set_public_url(a.public_url.clone());
    // the names approvals stored: served records renamed, old names searchable at once
    if let Err(e) = rt.block_on(state.names.warm()) {
        tracing::warn!("name registry: {e} (built on first use instead)");
    }
    let counts = state.data.read().data.data().counts();
    // the surveyors' products (measures, lines, validation) in the background, so the
    // first surveyor request and marker check find them built
    let data = state.data.clone();
    std::thread::spawn(move || {
        if let Err(e) = data.survey_products() {
            tracing::warn!("survey products: {e}");
        }
    });
    let app = crate::http::router(state.clone());
    let listen = a.listen;
    let header_read_timeout = Duration::from_secs(a.header_read_timeout_s);
    rt.block_on(async move {
        let tcp = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("--listen {listen}: cannot bind"))?;
        // listening: build the coverage engine in the background (coverage routes wait for it)
        state.coverage.start_build();
        tracing::info!(
            "serving {} admin units, {} facilities, {} doorplates, {} network nodes on http://{} (ready in {:.2} s)",
            counts.admin,
            counts.facilities,
            counts.doorplates,
            counts.network_nodes,
            tcp.local_addr()?,
            t.elapsed().as_secs_f64()
        );
        let limits = listener::ConnLimits {
            header_read_timeout,
            drain_timeout: DRAIN,
        };
        listener::serve(tcp, app, limits, async {
            let signal = shutdown_signal().await;
            tracing::info!("{signal}: draining in-flight requests (at most {DRAIN:?})");
        })
        .await;
        Ok(())
    })
}

/// Longest wait for in-flight requests after SIGTERM or SIGINT.
const DRAIN: Duration = Duration::from_secs(10);

/// Waits for SIGINT (Ctrl-C) or SIGTERM (what `kill`, systemd and container runtimes send);
/// names the one that came.
async fn shutdown_signal() -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        () = term => "SIGTERM",
    }
}
