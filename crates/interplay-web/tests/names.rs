//! One list of keys and names, checked everywhere a person reads them: the README's key list,
//! the Jekyll include's parameters and the widget's controls (built from the viewer's control
//! list) all name exactly what the viewer's parameters accept. A key or a name added in Rust
//! and forgotten there fails here.

use std::path::Path as FsPath;

use interplay_core::{GammaFamily, Path, Target};
use interplay_web::controls::{Input, controls};
use interplay_web::params::{
    ARROWS, DIRECTIONS, ENERGIES, EULERIAN, LINES, PRESETS, Params, SOURCES, T_RANGE, TARGETS,
};

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
        ("line", LINES),
        ("energy", ENERGIES),
    ] {
        let listed = format!("`{name}` (`{}`)", list.join("|"));
        assert!(keys.contains(&listed), "README should list {listed}");
    }
}

/// The menu of `key` in the viewer's control list, as (value, label) pairs.
fn menu(key: &str) -> Vec<(String, String)> {
    match controls()
        .into_iter()
        .find(|c| c.key == key)
        .map(|c| c.input)
    {
        Some(Input::Menu { options, .. }) => options,
        other => panic!("{key} has no menu: {other:?}"),
    }
}

#[test]
fn the_menus_offer_every_name_the_parameters_accept() {
    let names = |key: &str| -> Vec<String> { menu(key).into_iter().map(|(v, _)| v).collect() };
    let owned = |list: &[&str]| -> Vec<String> { list.iter().map(|s| (*s).to_owned()).collect() };
    let paths: Vec<&str> = Path::ALL.iter().map(|p| p.name()).collect();
    let gammas: Vec<&str> = GammaFamily::ALL.iter().map(|g| g.name()).collect();
    for (key, want) in [
        ("path", paths),
        ("gamma", gammas),
        ("target", TARGETS.to_vec()),
        ("source", SOURCES.to_vec()),
        ("eulerian", EULERIAN.to_vec()),
        ("arrows", ARROWS.to_vec()),
        ("direction", DIRECTIONS.to_vec()),
        ("line", LINES.to_vec()),
        ("energy", ENERGIES.to_vec()),
    ] {
        assert_eq!(names(key), owned(&want), "the {key} menu");
        assert!(
            menu(key).iter().all(|(_, l)| !l.is_empty()),
            "a {key} entry has no label"
        );
    }
    // The viewer's targets are core's named ones and a drawing.
    assert_eq!(&TARGETS[..5], &Target::NAMES[..]);
    assert_eq!(TARGETS[5], "drawn");
    // The line's targets are core's named ones and a drawing.
    assert_eq!(&LINES[..3], &interplay_core::line::LineTarget::NAMES[..]);
    assert_eq!(LINES[3], "drawn");
}

#[test]
fn the_widget_builds_its_controls_from_the_list_and_holds_none_of_its_own() {
    let js = read("web/controls.js");
    // Every control of the template is described by the list, and every entry has a control.
    let in_js: Vec<&str> = js
        .split("data-param=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap_or(0)])
        .chain(js.split("row(\"").skip(1).map(|s| {
            let s = &s[s.find(", \"").map_or(0, |i| i + 3)..];
            &s[..s.find('"').unwrap_or(0)]
        }))
        .chain(js.split("slider(\"").skip(1).map(|s| {
            let s = &s[s.find(", \"").map_or(0, |i| i + 3)..];
            &s[..s.find('"').unwrap_or(0)]
        }))
        .filter(|k| !k.is_empty() && !k.starts_with('$'))
        .collect();
    let listed: Vec<&str> = controls().iter().map(|c| c.key).collect();
    for key in &listed {
        assert!(
            in_js.contains(key),
            "web/controls.js has no control for {key}"
        );
    }
    for key in &in_js {
        assert!(
            listed.contains(key),
            "the control list lacks {key}, which web/controls.js has"
        );
    }
    // No menu entries, ranges or labels of the list written again in the JavaScript (the export
    // menu picks a picture, not a parameter).
    let export = js.find("ip-export-view").expect("the export menu");
    let js = format!(
        "{}{}",
        &js[..export],
        &js[export + js[export..].find("</select>").unwrap_or(0)..]
    );
    for needle in ["<option", " min=\"", " max=\"", " step=\""] {
        assert!(
            !js.contains(needle),
            "web/controls.js writes {needle} itself"
        );
    }
    for c in controls() {
        assert!(
            !js.contains(&format!(">{}<", c.label)),
            "web/controls.js repeats the label '{}'",
            c.label
        );
    }
}

#[test]
fn the_sliders_span_the_ranges_the_parameters_accept() {
    use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
    for (key, want) in [
        ("t", T_RANGE),
        ("alphaExp", EXP_RANGE),
        ("betaExp", EXP_RANGE),
        ("gammaScale", GAMMA_SCALE_RANGE),
        ("eps", EPS_RANGE),
    ] {
        let got = match controls()
            .into_iter()
            .find(|c| c.key == key)
            .map(|c| c.input)
        {
            Some(Input::Range { min, max, .. }) => (min, max),
            other => panic!("{key} is not a slider: {other:?}"),
        };
        assert_eq!(got, want, "the {key} slider's range");
    }
}
