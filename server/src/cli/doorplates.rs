//! `civmap doorplates check`: the numbering validator over every doorplate of the default
//! city or a data directory — the report `GET /api/v1/doorplates/check` serves.

use std::path::PathBuf;
use std::time::Instant;

use civmap_geo_core::numbering::{check_numbering, NumberingRule};

use super::dataset::load;
use super::CityArgs;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Check this data directory instead of the default city.
    #[arg(long)]
    data: Option<PathBuf>,
    /// `text` (totals and the first findings of each rule) or `json` (the whole report).
    #[arg(long, value_enum, default_value = "text")]
    format: CheckFormat,
    /// Findings of each rule listed in text output.
    #[arg(long, default_value_t = 5)]
    examples: usize,
    #[command(flatten)]
    city: CityArgs,
}

/// Output formats of `civmap doorplates check`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CheckFormat {
    /// Totals and examples, for people.
    Text,
    /// The full report as JSON.
    Json,
}

/// Runs the check and prints its report to stdout.
pub fn check(a: CheckArgs) -> anyhow::Result<()> {
    let ds = load(a.data.as_deref(), &a.city)?;
    let t = Instant::now();
    let r = check_numbering(&ds.doorplates, &ds.network);
    let took_s = t.elapsed().as_secs_f64();
    match a.format {
        CheckFormat::Json => println!("{}", serde_json::to_string_pretty(&r)?),
        CheckFormat::Text => {
            println!(
                "{} doorplates on {} roads ({} segments); {} unplaced (road not in the network), {} on the centreline; checked in {took_s:.2} s",
                r.plates, r.roads, r.segments, r.unplaced, r.on_centreline
            );
            let c = &r.counts;
            println!(
                "wrong side: {}\nout of sequence: {}\nduplicates: {} numbers ({} extra plates)\ngaps: {} ({} numbers missing)",
                c.wrong_side, c.out_of_sequence, c.duplicate_numbers, c.duplicate_plates, c.gaps, c.missing_numbers
            );
            for rule in [
                NumberingRule::WrongSide,
                NumberingRule::OutOfSequence,
                NumberingRule::Duplicate,
                NumberingRule::Gap,
            ] {
                for f in r
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule)
                    .take(a.examples)
                {
                    println!(
                        "  {} {} segment {:?}: plates {:?} numbers {:?}",
                        rule.as_str(),
                        f.road,
                        f.segment,
                        f.doorplates,
                        f.numbers
                    );
                }
            }
        }
    }
    Ok(())
}
