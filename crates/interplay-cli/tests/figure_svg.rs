//! `interplay figure` as SVG: the file parses as XML, has axes with tick labels, a colour bar, a
//! caption and the curves it promises; bad flags are named and leave no file.

use std::path::PathBuf;

mod common;
use common::{interplay, stderr, tmp};

use xml::reader::{EventReader, XmlEvent};

/// The SVG's elements by name (parsed with a real XML parser) and its text contents.
fn parse(path: &PathBuf) -> (Vec<String>, Vec<String>) {
    let file = std::fs::File::open(path).expect("the figure exists");
    let (mut names, mut texts) = (Vec::new(), Vec::new());
    for e in EventReader::new(std::io::BufReader::new(file)) {
        match e.expect("well-formed XML") {
            XmlEvent::StartElement { name, .. } => names.push(name.local_name),
            XmlEvent::Characters(s) => texts.push(s),
            _ => {}
        }
    }
    (names, texts)
}

fn count(names: &[String], n: &str) -> usize {
    names.iter().filter(|x| *x == n).count()
}

#[test]
fn the_space_time_figure_is_an_svg_with_axes_flow_lines_and_a_colour_bar() {
    let out = tmp("spacetime.svg");
    let o = interplay(&[
        "figure",
        "--view",
        "spacetime",
        "--line",
        "bars",
        "--eps",
        "0.5",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (names, texts) = parse(&out);
    assert_eq!(names.first().map(String::as_str), Some("svg"));
    assert_eq!(count(&names, "image"), 1, "the heat map");
    // 17 flow lines and 10 SDE paths.
    assert_eq!(count(&names, "polyline"), 27);
    assert!(count(&names, "linearGradient") == 1, "a colour bar");
    for want in [
        "time t", "x", "0", "0.2", "0.4", "0.6", "0.8", "1", "−4", "4",
    ] {
        assert!(
            texts.iter().any(|t| t == want),
            "no label '{want}' in {texts:?}"
        );
    }
    // The caption may wrap over several lines.
    let all = texts.join(" ");
    assert!(
        all.contains("orange: paths of the SDE with ε = 0.5"),
        "{all}"
    );
    assert!(all.contains("target bars"), "{all}");
}

#[test]
fn the_posts_opening_pictures_come_from_the_cli() {
    // rho0.svg and rho1.svg: one panel each, the density with axes and its colour bar.
    for (t, name) in [("0", "rho0.svg"), ("1", "rho1.svg")] {
        let out = tmp(name);
        let o = interplay(&[
            "figure",
            "--times",
            t,
            "--view",
            "eulerian",
            "--size",
            "64",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let (names, texts) = parse(&out);
        assert_eq!(count(&names, "image"), 1);
        assert!(
            texts.iter().any(|s| s == &format!("density ρ at t = {t}")),
            "{texts:?}"
        );
        assert!(texts.iter().any(|s| s == "x₁") && texts.iter().any(|s| s == "x₂"));
        assert!(
            texts.join(" ").contains("Exact density ρ"),
            "the written caption"
        );
    }
    // --caption replaces it; "" leaves none.
    let out = tmp("captioned.svg");
    for (caption, want) in [("My own words", Some("My own words")), ("", None)] {
        let o = interplay(&[
            "figure",
            "--times",
            "0",
            "--view",
            "eulerian",
            "--size",
            "32",
            "--caption",
            caption,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let (_, texts) = parse(&out);
        let all = texts.join(" ");
        assert!(!all.contains("Exact density"), "{all}");
        if let Some(w) = want {
            assert!(all.contains(w), "{all}");
        }
    }
}

#[test]
fn a_trained_model_is_drawn_with_its_own_caption() {
    let ck = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/checkerboard.ckpt"
    );
    let out = tmp("model.svg");
    let o = interplay(&[
        "figure",
        "--model",
        ck,
        "--times",
        "0.5,1",
        "--size",
        "48",
        "--n",
        "300",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (names, texts) = parse(&out);
    assert_eq!(
        count(&names, "image"),
        4,
        "density and particles at two times"
    );
    let all = texts.join(" ");
    assert!(all.contains("Learned (schedule-free model, "), "{all}");
    assert!(texts.iter().any(|s| s == "particles at t = 1"), "{texts:?}");
    // A model of the plane has no flow lines on the line: refused by name, nothing written.
    let bad = tmp("model-line.svg");
    let o = interplay(&[
        "figure",
        "--model",
        ck,
        "--view",
        "spacetime",
        "--out",
        bad.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success()
            && stderr(&o).contains("--model needs a model trained on a target on the line")
    );
    assert!(!bad.exists());
}

#[test]
fn a_model_trained_on_the_line_draws_its_flow_lines_over_the_exact_ones() {
    let ck = tmp("line.ckpt");
    let o = interplay(&[
        "train",
        "--target",
        "line:bars",
        "--objective",
        "velocity-score",
        "--width",
        "32",
        "--depth",
        "2",
        "--spatial",
        "4",
        "--batch",
        "256",
        "--steps",
        "300",
        "--out",
        ck.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = tmp("line-model.svg");
    let o = interplay(&[
        "figure",
        "--view",
        "spacetime",
        "--model",
        ck.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (names, texts) = parse(&out);
    let svg = std::fs::read_to_string(&out).expect("the figure");
    // 17 exact flow lines and the model's 17, dashed.
    assert_eq!(count(&names, "polyline"), 34);
    assert_eq!(svg.matches("stroke-dasharray").count(), 17);
    let all = texts.join(" ");
    assert!(
        all.contains("Dashed pink: flow lines of the learned b (velocity-score model, 300 steps)"),
        "{all}"
    );
    // A bad target on the line is named, and nothing is trained.
    let bad = tmp("line-bad.ckpt");
    let o = interplay(&[
        "train",
        "--target",
        "line:donut",
        "--steps",
        "1",
        "--out",
        bad.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success()
            && stderr(&o).contains("--target line:donut: a target on the line is one of")
    );
    assert!(!bad.exists());
    // Minibatch OT pairs x0 with x1: refused by name for an objective that needs them independent.
    let o = interplay(&[
        "train",
        "--coupling",
        "ot",
        "--objective",
        "velocity-score",
        "--steps",
        "1",
        "--out",
        bad.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--coupling: coupling 'ot' pairs x0 with x1"),
        "{}",
        stderr(&o)
    );
    assert!(!bad.exists());
}

#[test]
fn bad_figure_flags_are_named_and_write_nothing() {
    let bad = tmp("bad.svg");
    for (flags, says) in [
        (
            vec!["--view", "sideways"],
            "invalid value 'sideways' for '--view",
        ),
        (
            vec!["--view", "spacetime", "--line", "donut"],
            "--line 'donut' is unknown; use one of checkerboard, gmm, bars",
        ),
    ] {
        let mut args = vec!["figure", "--out", bad.to_str().expect("utf-8")];
        args.extend(flags);
        let o = interplay(&args);
        let err = stderr(&o);
        assert!(!o.status.success() && err.contains(says), "{says}: {err}");
        assert!(!bad.exists());
    }
    let pdf = tmp("figure.pdf");
    let o = interplay(&["figure", "--out", pdf.to_str().expect("utf-8")]);
    assert!(stderr(&o).contains("must end in .svg or .png"));
    assert!(!o.status.success() && !pdf.exists());
}
