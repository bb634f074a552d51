//! The server's layering, checked from its source: no module imports another that imports
//! it back (directly or through others), the service layer never reaches into the HTTP or
//! CLI layers, and route handlers stay short (parse, call one service, render).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `crate::a::b` module path of every source file under `src/` (tests excluded).
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if parts
                .last()
                .is_some_and(|l| l == "mod" || l == "main" || l == "lib")
            {
                parts.pop();
            }
            if parts.first().is_some_and(|p| p == "tests") {
                return None;
            }
            Some((
                std::iter::once("crate".to_owned())
                    .chain(parts)
                    .collect::<Vec<_>>()
                    .join("::"),
                f,
            ))
        })
        .collect()
}

/// The modules a file names through `crate::…` or `super::…` paths (to the deepest module
/// that exists), outside `#[cfg(test)]` code.
fn uses(module: &str, file: &Path, all: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let is_dir_module = file
        .file_name()
        .is_some_and(|n| n == "mod.rs" || n == "main.rs" || n == "lib.rs");
    let parent = if is_dir_module {
        module.to_owned()
    } else {
        module
            .rsplit_once("::")
            .map(|(p, _)| p.to_owned())
            .unwrap_or_default()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let tail: String = code[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let path = match tail.strip_prefix("super::") {
            Some(rest) => {
                let up = parent
                    .rsplit_once("::")
                    .map(|(p, _)| p.to_owned())
                    .unwrap_or(parent.clone());
                format!("{up}::{rest}")
            }
            None => tail,
        };
        let segs: Vec<&str> = path.trim_end_matches(':').split("::").collect();
        if let Some(m) = (1..=segs.len())
            .rev()
            .map(|n| segs[..n].join("::"))
            .find(|m| all.contains_key(m))
        {
            // a module naming its own descendants is structure, not a dependency cycle
            if m != module && !m.starts_with(&format!("{module}::")) {
                out.insert(m);
            }
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let all = modules();
    all.iter()
        .map(|(m, f)| (m.clone(), uses(m, f, &all)))
        .collect()
}

/// A cycle through the graph, if any (depth-first search with colours).
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            // a child naming its ancestor module's items (e.g. `crate::service::ServiceError`)
            // depends on that module file only for re-exports: skip ancestors
            if n.starts_with(&format!("{m}::")) {
                continue;
            }
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, g, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_module_of_the_server_imports_itself_back() {
    let g = graph();
    assert!(g.len() > 20, "too few modules found: {:?}", g.keys());
    // the reader sees real edges (else a cycle-free answer would mean nothing)
    assert!(
        g["crate::service::tiles"].contains("crate::service::coverage"),
        "{g:?}"
    );
    assert!(
        g["crate::http::routes::tiles"].contains("crate::http::routes::coverage"),
        "{g:?}"
    );
    if let Some(c) = find_cycle(&g) {
        panic!("import cycle: {}", c.join(" → "));
    }
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut g = graph();
    g.entry("crate::service::data".into())
        .or_default()
        .insert("crate::service::tiles".into());
    assert!(find_cycle(&g).is_some());
}

#[test]
fn the_service_layer_knows_nothing_of_http_or_the_cli() {
    for (m, deps) in graph() {
        if m.starts_with("crate::service") {
            let bad: Vec<_> = deps
                .iter()
                .filter(|d| d.starts_with("crate::http") || d.starts_with("crate::cli"))
                .collect();
            assert!(bad.is_empty(), "{m} uses {bad:?}");
        }
    }
}

#[test]
fn route_handlers_are_short() {
    const MAX_LINES: usize = 40;
    let mut long = Vec::new();
    for (m, f) in modules() {
        if !m.starts_with("crate::http::routes::") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.starts_with("pub async fn ") {
                let end = (i..lines.len()).find(|&j| lines[j] == "}").unwrap();
                if end - i + 1 > MAX_LINES {
                    long.push(format!("{}:{} ({} lines)", f.display(), i + 1, end - i + 1));
                }
            }
        }
    }
    assert!(long.is_empty(), "handlers over {MAX_LINES} lines: {long:?}");
}
