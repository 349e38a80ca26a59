//! The repository explains itself: every "math §N" or "math.md §N" reference in the code, the
//! scripts and the docs names a section of docs/math.md that exists.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files a reference may sit in: sources, scripts, web code and Markdown, outside build
/// output and installed packages.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if ![
                "target",
                "node_modules",
                "dist",
                "site",
                ".git",
                "artifacts",
                "blog-site",
            ]
            .contains(&name.as_str())
                && !name.starts_with('.')
            {
                files(&p, out);
            }
        } else if ["rs", "js", "mjs", "md", "py", "sh", "html"]
            .iter()
            .any(|ext| name.ends_with(&format!(".{ext}")))
        {
            out.push(p);
        }
    }
}

#[test]
fn every_math_reference_names_a_section_of_docs_math() {
    let root = root();
    let math = std::fs::read_to_string(root.join("docs/math.md")).expect("docs/math.md");
    let sections: Vec<String> = math
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .map(|s| s.trim_end_matches('.').to_owned())
        .collect();
    let mut all = Vec::new();
    for dir in ["crates", "web", "benches", "tests", "docs", "scripts"] {
        files(&root.join(dir), &mut all);
    }
    all.push(root.join("README.md"));
    let mut refs = 0;
    let mut missing = Vec::new();
    for f in &all {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (i, _) in text.match_indices(" §") {
            // Eight bytes back, moved to the start of a character (a letter before "math" may
            // take several bytes).
            let mut from = i.saturating_sub(8);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let before = &text[from..i];
            if !before.ends_with("math") && !before.ends_with("math.md") {
                continue;
            }
            let num: String = text[i + " §".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let num = num.trim_end_matches('.');
            if num.is_empty() {
                continue; // "§N": the form itself, as the docs describe it
            }
            refs += 1;
            if !sections.iter().any(|s| s == num) {
                missing.push(format!("{}: §{num}", f.display()));
            }
        }
    }
    assert!(
        refs > 20,
        "found only {refs} references: is the walk right?"
    );
    assert!(
        missing.is_empty(),
        "references to no section of docs/math.md: {missing:?}"
    );
}
