//! Parameter value sets for the OpenAPI document, generated from the model's own lists
//! (categories, levels, place kinds, tile sets), so property-based clients (schemathesis)
//! send values the routes accept and reach the logic behind the parsing.

use std::borrow::Cow;

use civmap_geo_core::{AdminLevel, FacilityCategory};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

fn strings(values: Vec<String>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

macro_rules! value_set {
    ($name:ident, $doc:literal, $values:expr) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name;
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                strings($values, $doc)
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

value_set!(
    CategoryId,
    "A facility category id.",
    FacilityCategory::ids()
        .into_iter()
        .map(str::to_owned)
        .collect()
);
value_set!(
    LevelName,
    "An administrative level.",
    AdminLevel::ALL
        .iter()
        .map(|l| l.as_str().to_owned())
        .collect()
);
value_set!(
    ModeName,
    "`walk` (along the walking network) or `straight` (geodesic).",
    vec!["walk".into(), "straight".into()]
);
value_set!(
    ProfileName,
    "`standard` (1.0 m/s) or `elderly` (0.8 m/s).",
    vec!["standard".into(), "elderly".into()]
);
value_set!(
    PlaceKindName,
    "A gazetteer kind.",
    ["admin", "road", "facility", "doorplate", "landmark"]
        .map(str::to_owned)
        .to_vec()
);
value_set!(
    NameKindName,
    "What a place name names.",
    civmap_geo_core::names::NameKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect()
);
value_set!(
    NamedLayerName,
    "The names compared for duplicates: unit names of a level, or roads.",
    ["district", "township", "community", "road"]
        .map(str::to_owned)
        .to_vec()
);
value_set!(
    TileSetName,
    "A tile set.",
    civmap_tiles::TileSet::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect()
);
value_set!(
    CrsName,
    "CRS of lon/lat.",
    ["wgs84", "cgcs2000", "gcj02", "bd09"]
        .map(str::to_owned)
        .to_vec()
);
value_set!(
    FormatName,
    "`json` (default) or `csv` (UTF-8 with BOM).",
    vec!["json".into(), "csv".into()]
);

/// A day, `YYYY-MM-DD`: the `as_of` parameter of the read routes.
#[derive(Debug)]
pub struct AsOfDay;

impl PartialSchema for AsOfDay {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Date,
            )))
            .description(Some(
                "YYYY-MM-DD: the answer as it stood that day (the edition of the division list in force; a day on or after the newest edition is today's data; before the first edition, 422)",
            ))
            .into()
    }
}

impl ToSchema for AsOfDay {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AsOfDay")
    }
}

value_set!(
    ChangeFormatName,
    "`json` (the typed answer), `csv` (one row per change) or `geojson` (the change layer).",
    ["json", "csv", "geojson"].map(str::to_owned).to_vec()
);
