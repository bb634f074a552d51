//! Reading editions of the division list (`civmap history import FILE.csv --edition NAME
//! --date YYYY-MM-DD`) for [`civmap_geo_core::history::History::build`].
//!
//! The CSV has a header row with at least `code12`, `level`, `name`, `parent_code12` and
//! `kind` (the columns of the NBS files in `data/hangzhou/divisions/`); other columns are
//! ignored. A bad row is an error naming the file, the line and the column.
//!
//! ```
//! use civmap_data::history::read_edition;
//! use civmap_geo_core::history::Date;
//! let csv = "code12,level,name,parent_code12,district_adcode,kind\n\
//!            330100000000,city,杭州市,330000000000,,city\n";
//! let e = read_edition("demo.csv", csv.as_bytes(), "NBS2020", Date::parse("2020-06-30").unwrap())?;
//! assert_eq!(e.rows[0].name, "杭州市");
//! # Ok::<(), civmap_data::DataError>(())
//! ```

pub mod store;

use std::io::Read;
use std::path::Path;

use civmap_geo_core::history::{Date, DivisionRow, Edition};
use civmap_geo_core::{AdminCode, AdminLevel};

use crate::DataError;

/// Reads division rows from CSV; `file` names the input in errors.
pub fn read_division_rows(file: &str, reader: impl Read) -> Result<Vec<DivisionRow>, DataError> {
    let mut rdr = csv::Reader::from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| DataError::invalid(file, "line 1", None, e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| DataError::invalid(file, "line 1", Some(name), "missing column"))
    };
    let (c_code, c_level, c_name, c_parent, c_kind) = (
        column("code12")?,
        column("level")?,
        column("name")?,
        column("parent_code12")?,
        column("kind")?,
    );
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = format!("line {}", i + 2);
        let rec = rec.map_err(|e| DataError::invalid(file, line.clone(), None, e.to_string()))?;
        let get = |k: usize| rec.get(k).unwrap_or("").trim();
        let at =
            |field: &str, msg: String| DataError::invalid(file, line.clone(), Some(field), msg);
        let code = AdminCode::parse(get(c_code)).map_err(|e| at("code12", e.to_string()))?;
        let level = AdminLevel::parse(get(c_level)).map_err(|e| at("level", e.to_string()))?;
        let parent =
            AdminCode::parse(get(c_parent)).map_err(|e| at("parent_code12", e.to_string()))?;
        let name = get(c_name);
        if name.is_empty() {
            return Err(at("name", "empty".into()));
        }
        out.push(DivisionRow {
            code,
            level,
            name: name.to_owned(),
            parent,
            kind: get(c_kind).to_owned(),
        });
    }
    Ok(out)
}

/// Reads one edition from CSV text or a reader.
pub fn read_edition(
    file: &str,
    reader: impl Read,
    id: &str,
    date: Date,
) -> Result<Edition, DataError> {
    if id.trim().is_empty() {
        return Err(DataError::invalid(
            file,
            "file",
            Some("edition"),
            "empty edition id",
        ));
    }
    Ok(Edition {
        id: id.trim().to_owned(),
        date,
        rows: read_division_rows(file, reader)?,
    })
}

/// Reads one edition from a CSV file.
pub fn read_edition_file(path: &Path, id: &str, date: Date) -> Result<Edition, DataError> {
    let f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    read_edition(
        &path.display().to_string(),
        std::io::BufReader::new(f),
        id,
        date,
    )
}
