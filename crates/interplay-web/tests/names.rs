//! One list of keys and names, checked everywhere a person reads them: the README's key list,
//! the Jekyll include's parameters and the widget's controls all name exactly what the viewer's
//! parameters accept. A key or a name added in Rust and forgotten there fails here.

use std::path::Path as FsPath;

use interplay_core::{GammaFamily, Path, Target};
use interplay_web::params::{ARROWS, DIRECTIONS, EULERIAN, PRESETS, Params, SOURCES, TARGETS};

fn read(rel: &str) -> String {
    let root = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `alphaExp` → `alpha-exp` (the data-* attribute of a key).
fn kebab(key: &str) -> String {
    key.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['-', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

#[test]
fn the_readme_and_the_jekyll_include_name_every_key() {
    let readme = read("README.md");
    let start = readme.find("Keys: `t`").expect("the README's key list");
    let keys = &readme[start..start + readme[start..].find("widget options").expect("its end")];
    let include = read("web/jekyll/_includes/interplay.html");
    for key in Params::KEYS {
        assert!(
            keys.contains(&format!("`{key}`")),
            "README's key list lacks `{key}`"
        );
        assert!(
            include.contains(&format!("include.{key} %}} data-{}=", kebab(key))),
            "the Jekyll include lacks {key} (data-{})",
            kebab(key)
        );
    }
    for preset in PRESETS {
        assert!(
            keys.contains(&format!("`{preset}`")),
            "README lacks the preset `{preset}`"
        );
    }
    for (name, list) in [
        ("target", TARGETS),
        ("source", SOURCES),
        ("eulerian", EULERIAN),
        ("arrows", ARROWS),
    ] {
        let listed = format!("`{name}` (`{}`)", list.join("|"));
        assert!(keys.contains(&listed), "README should list {listed}");
    }
}

#[test]
fn the_controls_offer_every_name_the_parameters_accept() {
    let controls = read("web/controls.js");
    let offered = |v: &str| {
        controls.contains(&format!("[\"{v}\", ")) || controls.contains(&format!("value=\"{v}\""))
    };
    let names: Vec<String> = Path::ALL
        .iter()
        .map(|p| p.name().to_owned())
        .chain(GammaFamily::ALL.iter().map(|g| g.name().to_owned()))
        .chain(TARGETS.iter().map(|s| (*s).to_owned()))
        .chain(SOURCES.iter().map(|s| (*s).to_owned()))
        .chain(EULERIAN.iter().map(|s| (*s).to_owned()))
        .chain(ARROWS.iter().map(|s| (*s).to_owned()))
        .chain(DIRECTIONS.iter().map(|s| (*s).to_owned()))
        .collect();
    for name in &names {
        assert!(
            offered(name),
            "web/controls.js offers no control for '{name}'"
        );
    }
    // The viewer's targets are core's named ones and a drawing.
    assert_eq!(&TARGETS[..5], &Target::NAMES[..]);
    assert_eq!(TARGETS[5], "drawn");
}

#[test]
fn the_sliders_span_the_ranges_the_parameters_accept() {
    use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
    let controls = read("web/controls.js");
    // `${slider("ip-…", "label", "key", min, max, step, …)}`: the key's slider and its range.
    let range = |key: &str| -> (f64, f64) {
        let at = controls
            .find(&format!("\"{key}\", "))
            .unwrap_or_else(|| panic!("no slider for {key}"));
        let nums: Vec<f64> = controls[at + key.len() + 4..]
            .split(',')
            .take(2)
            .map(|s| s.trim().parse().unwrap_or(f64::NAN))
            .collect();
        (nums[0], nums[1])
    };
    for (key, want) in [
        ("alphaExp", EXP_RANGE),
        ("betaExp", EXP_RANGE),
        ("gammaScale", GAMMA_SCALE_RANGE),
        ("eps", EPS_RANGE),
    ] {
        assert_eq!(range(key), want, "the {key} slider's range");
    }
}
