//! End-to-end tests of the `interplay` binary: flags, files, exit codes and numbers.

use std::process::Output;

mod common;
use common::{interplay, stderr, tmp};

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("eval prints JSON")
}

#[test]
fn exact_samples_land_on_the_checkerboard() {
    let out = tmp("samples.csv");
    let o = interplay(&[
        "sample",
        "--exact",
        "--target",
        "checkerboard",
        "--n",
        "20000",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).expect("samples written");
    assert!(text.starts_with("x,y\n"));
    assert_eq!(text.lines().count(), 20_001);
    let m = json(&interplay(&[
        "eval",
        out.to_str().expect("utf-8"),
        "--target",
        "checkerboard",
    ]));
    let inside = m["in_support"].as_f64().expect("in_support");
    assert!(inside >= 0.999, "{m}");
    assert!(m["tv"].as_f64().expect("tv") < 0.05, "{m}");
    // The SDE with ε = 0.5 as well.
    let o = interplay(&[
        "sample",
        "--exact",
        "--n",
        "5000",
        "--solver",
        "em",
        "--eps",
        "0.5",
        "--steps",
        "200",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = json(&interplay(&["eval", out.to_str().expect("utf-8")]));
    assert!(
        m["in_support"].as_f64().expect("in_support") >= 0.995,
        "{m}"
    );
}

#[test]
fn field_matches_the_golden_table() {
    let pts = tmp("pts.csv");
    std::fs::write(&pts, "x,y\n0.3,-0.7\n").expect("write");
    let out = tmp("field.csv");
    let run = |kind: &str, extra: &[&str]| {
        let mut args = vec![
            "field",
            "--kind",
            kind,
            "--t",
            "0.5",
            "--points",
            pts.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        let o = interplay(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(&out).expect("field written");
        let mut lines = text.lines();
        let header = lines.next().expect("header").to_owned();
        let row: Vec<f64> = lines
            .next()
            .expect("row")
            .split(',')
            .map(|v| v.parse().expect("number"))
            .collect();
        (header, row)
    };
    let (h, r) = run("velocity", &[]);
    assert_eq!(h, "x,y,fx,fy");
    assert!(
        (r[2] - 0.5421586314).abs() < 1e-8 && (r[3] + 1.275836829).abs() < 1e-8,
        "{r:?}"
    );
    let (_, r) = run("score", &["--path", "one-sided-linear"]);
    assert!(
        (r[2] + 0.2249052216).abs() < 1e-8 && (r[3] + 0.205304199).abs() < 1e-8,
        "{r:?}"
    );
    let (h, r) = run("density", &[]);
    assert_eq!(h, "x,y,log_rho");
    assert!((r[2] + 2.819570684).abs() < 1e-8, "{r:?}");
    let (_, r) = run("posterior-mean", &[]);
    assert!((r[2] - 0.5614390876).abs() < 1e-8, "{r:?}");
}

#[test]
fn bad_input_names_the_flag_or_line_and_writes_nothing() {
    let out = tmp("never.csv");
    let o_str = out.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["sample", "--exact", "--path", "spline", "--out", o_str],
            "--path",
        ),
        (
            vec!["sample", "--exact", "--alpha-exp", "7", "--out", o_str],
            "--alpha-exp",
        ),
        (
            vec!["sample", "--exact", "--eps", "nan", "--out", o_str],
            "--eps",
        ),
        (
            vec!["sample", "--exact", "--target", "donut", "--out", o_str],
            "--target",
        ),
        (
            vec![
                "sample", "--exact", "--solver", "rk4", "--eps", "0.5", "--out", o_str,
            ],
            "--solver",
        ),
        (
            vec![
                "sample",
                "--exact",
                "--path",
                "trig",
                "--gamma",
                "sin2",
                "--gamma-scale",
                "1.2",
                "--out",
                o_str,
            ],
            "γ(t) < 1",
        ),
        (
            vec![
                "sample", "--exact", "--path", "enc-dec", "--gamma", "zero", "--out", o_str,
            ],
            "t = 0.500",
        ),
        (
            vec![
                "field", "--kind", "velocity", "--t", "1.5", "--points", o_str, "--out", o_str,
            ],
            "--t",
        ),
    ];
    for (args, needle) in cases {
        let o = interplay(&args);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(
            stderr(&o).contains(needle),
            "{args:?}: stderr {:?} lacks {needle:?}",
            stderr(&o)
        );
        assert!(!out.exists(), "{args:?} left a file behind");
    }
    // A malformed CSV names its line; no output appears.
    let bad = tmp("bad.csv");
    std::fs::write(&bad, "x,y\n1,2\n3;4\n").expect("write");
    let o = interplay(&[
        "field",
        "--kind",
        "score",
        "--t",
        "0.5",
        "--points",
        bad.to_str().expect("utf-8"),
        "--out",
        o_str,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));
    assert!(!out.exists());
    let o = interplay(&["eval", bad.to_str().expect("utf-8")]);
    assert!(
        !o.status.success() && stderr(&o).contains("line 3"),
        "{}",
        stderr(&o)
    );
    // A singular time is refused with the reason.
    std::fs::write(&bad, "x,y\n0.5,-0.5\n").expect("write");
    let o = interplay(&[
        "field",
        "--kind",
        "score",
        "--t",
        "1",
        "--points",
        bad.to_str().expect("utf-8"),
        "--out",
        o_str,
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("singular"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

/// `interplay sample --exact` of `n` points of `target` into `out`, then `interplay eval` of them.
fn exact_sample_metrics(target: &str, n: usize, out: &std::path::Path) -> serde_json::Value {
    let out = out.to_str().expect("utf-8");
    let n = n.to_string();
    let o = interplay(&[
        "sample", "--exact", "--target", target, "--n", &n, "--out", out,
    ]);
    assert!(o.status.success(), "{target}: {}", stderr(&o));
    json(&interplay(&["eval", out, "--target", target]))
}

#[test]
fn points_target_and_other_targets() {
    let pts = tmp("target.csv");
    std::fs::write(&pts, "x,y\n-2,0\n2,0\n").expect("write");
    let out = tmp("pts-samples.csv");
    let m = exact_sample_metrics(&format!("points:{}", pts.display()), 500, &out);
    assert!(m["in_support"].as_f64().expect("in_support") > 0.99, "{m}");
    // A drawing: Gaussians along the points (here a short line), sampled exactly and evaluated.
    let line = tmp("drawn.csv");
    std::fs::write(&line, "x,y\n-1,1\n-0.7,1\n-0.4,1\n-0.1,1\n0.2,1\n").expect("write");
    let m = exact_sample_metrics(&format!("drawn:{}", line.display()), 1000, &out);
    assert!(m["in_support"].as_f64().expect("in_support") > 0.95, "{m}");
    let o = interplay(&[
        "sample",
        "--exact",
        "--target",
        "drawn:/no/such.csv",
        "--n",
        "5",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--target drawn:/no/such.csv"),
        "{}",
        stderr(&o)
    );
    for t in ["gmm", "rings", "moons", "spirals"] {
        let m = exact_sample_metrics(t, 2000, &out);
        let (got, reference) = (
            m["in_support"].as_f64().expect("f"),
            m["in_support_reference"].as_f64().expect("f"),
        );
        assert!(got > reference - 0.03, "{t}: {m}");
    }
}

#[test]
fn bench_quick_prints_a_table() {
    let o = interplay(&["bench", "--quick"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("| ODE RK4, checkerboard") && text.contains("particle-steps/s"),
        "{text}"
    );
}

#[test]
fn bench_times_training_and_names_where_it_ran() {
    let o = interplay(&["bench", "--quick", "--train", "32", "--train-steps", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for net in [
        "reference MLP 4×256 ReLU, b and s",
        "default network 3×128 SiLU, schedule-free D",
    ] {
        assert!(
            text.contains(&format!(
                "| train {net}, CPU backend | batch 32 × 1 steps |"
            )),
            "{text}"
        );
    }
    assert!(
        stderr(&o).contains("device: cpu"),
        "the device is named once: {}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).matches("device:").count(), 1, "{}", stderr(&o));
    // Kernel times are a GPU's: on the CPU backend the flag says what it needs.
    let o = interplay(&["bench", "--quick", "--train", "32", "--kernel-times"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("add --train-device wgpu"),
        "{}",
        stderr(&o)
    );
}

/// Decodes a PNG written by `interplay figure`: (width, height, RGB bytes).
fn read_png(path: &std::path::Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("open the figure"),
    ));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

#[test]
fn figure_draws_the_density_and_the_particles_at_each_time() {
    let out = tmp("figure.png");
    let o = interplay(&[
        "figure",
        "--times",
        "0,0.5,1",
        "--size",
        "64",
        "--n",
        "2000",
        "--bare",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (w, h, rgb) = read_png(&out);
    // 3 columns and 2 rows of 64-pixel panels with 8-pixel margins.
    assert_eq!((w, h), (3 * 64 + 4 * 8, 2 * 64 + 3 * 8));
    let px = |x: usize, y: usize| {
        let i = 3 * (y * w + x);
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // Panel (row r, column c), pixel at the view point (vx, vy) ∈ [−5, 5]².
    let at = |r: usize, c: usize, vx: f64, vy: f64| {
        let x = 8 + c * 72 + ((vx + 5.0) / 10.0 * 64.0) as usize;
        let y = 8 + r * 72 + ((5.0 - vy) / 10.0 * 64.0) as usize;
        px(x, y)
    };
    let bright = |c: [u8; 3]| c[0] as u32 + c[1] as u32 + c[2] as u32;
    assert_eq!(px(2, 2), [255, 255, 255], "white margins");
    // t = 0: the Gaussian peaks at the centre; t = 1: an occupied square is the top colour and an
    // empty one the bottom colour.
    assert!(bright(at(0, 0, 0.0, 0.0)) > bright(at(0, 0, 3.0, 3.0)) + 200);
    assert_eq!(at(0, 2, 0.9, 0.9), [0xfd, 0xe7, 0x25]);
    assert_eq!(at(0, 2, 0.9, -0.9), [0x44, 0x01, 0x54]);
    // t = 1: the particles sit on the squares (count coloured pixels on each side).
    let (mut on, mut off) = (0, 0);
    for y in 0..64 {
        for x in 0..64 {
            // The pixel's centre; pixels astride a square's edge count as off.
            let (vx, vy) = ((x as f64 + 0.5) / 6.4 - 5.0, 5.0 - (y as f64 + 0.5) / 6.4);
            let c = px(8 + 2 * 72 + x, 8 + 72 + y);
            if bright(c) > 150 {
                if interplay_core::checker::in_support([vx, vy]) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
    }
    assert!(
        on > 20 * off.max(1),
        "particles at t = 1: {on} on the board, {off} off it"
    );
    // One row with --view eulerian; bad flags are named and leave no file.
    let o = interplay(&[
        "figure",
        "--view",
        "eulerian",
        "--times",
        "0.3",
        "--size",
        "40",
        "--bare",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_png(&out).1, 40 + 2 * 8);
    let bad = tmp("figure-bad.png");
    for (flags, says) in [
        (vec!["--times", "0.5,0.2"], "--times must be increasing"),
        (vec!["--times", "1.5"], "--times: 1.5 is outside [0, 1]"),
        (vec!["--size", "8"], "--size 8 is outside [32, 2048]"),
        (vec!["--times", "x"], "--times"),
    ] {
        let mut args = vec!["figure", "--out", bad.to_str().expect("utf-8")];
        args.extend(flags);
        let o = interplay(&args);
        assert!(
            !o.status.success() && stderr(&o).contains(says),
            "{says}: {}",
            stderr(&o)
        );
        assert!(!bad.exists());
    }
}

#[test]
fn a_png_figure_has_the_svgs_layout_with_its_text_painted() {
    let (png, svg) = (tmp("axes.png"), tmp("axes.svg"));
    for out in [&png, &svg] {
        let o = interplay(&[
            "figure",
            "--times",
            "0,1",
            "--view",
            "eulerian",
            "--size",
            "96",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // The same size as the SVG's.
    let text = std::fs::read_to_string(&svg).expect("the SVG");
    let attr = |name: &str| -> f64 {
        let from = text.find(&format!("{name}=\"")).expect("an attribute") + name.len() + 2;
        text[from..from + text[from..].find('"').expect("closed")]
            .parse()
            .expect("a number")
    };
    let (w, h, rgb) = read_png(&png);
    assert_eq!(
        (w, h),
        (
            attr("width").ceil() as usize,
            attr("height").ceil() as usize
        )
    );
    let px = |x: usize, y: usize| {
        let i = 3 * (y * w + x);
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // Panels at the SVG's places (56, 30) and (56 + 96 + 28 + 56, 30): ρ(0) bright in its
    // centre; ρ(1) the top colour on a square, the bottom colour off it.
    let bright = |c: [u8; 3]| u32::from(c[0]) + u32::from(c[1]) + u32::from(c[2]);
    assert!(
        bright(px(56 + 48, 30 + 48)) > 500,
        "{:?}",
        px(56 + 48, 30 + 48)
    );
    let x1 = 56 + 96 + 28 + 56;
    assert_eq!(px(x1 + 48 + 5, 30 + 48 - 5), [0xfd, 0xe7, 0x25]);
    assert_eq!(px(x1 + 48 + 5, 30 + 48 + 5), [0x44, 0x01, 0x54]);
    // The colour bar right of the panels: the top colour at its top, the bottom at its foot.
    let bar = x1 + 96 + 28 + 7;
    let top = px(bar, 31);
    assert!(top[0] > 0xe0 && top[1] > 0xd8 && top[2] < 0x40, "{top:?}");
    assert!(bright(px(bar, 30 + 94)) < 250, "{:?}", px(bar, 30 + 94));
    // Text: tick labels under each panel and the caption below, in dark ink on white.
    let ink = |y0: usize, y1: usize| {
        (y0..y1)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| bright(px(x, y)) < 300)
            .count()
    };
    assert!(ink(30 + 96 + 8, 30 + 96 + 22) > 40, "tick labels");
    assert!(ink(h - 20, h) > 150, "the caption");
    assert!(ink(0, 24) > 100, "the titles");
}

#[test]
fn noise_without_a_solver_integrates_the_sde_and_says_so() {
    // `--eps 0.5` alone used to stop with "--solver rk4 integrates the ODE only".
    let out = tmp("sde-default.csv");
    let o = interplay(&[
        "sample",
        "--exact",
        "--n",
        "3000",
        "--steps",
        "60",
        "--eps",
        "0.5",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("stochastic Heun"), "{}", stderr(&o));
    let m = json(&interplay(&["eval", out.to_str().expect("utf-8")]));
    assert!(m["in_support"].as_f64().expect("in_support") > 0.95, "{m}");
    // Without noise the default stays RK4 and says nothing.
    let o = interplay(&[
        "sample",
        "--exact",
        "--n",
        "100",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(
        o.status.success() && !stderr(&o).contains("Heun"),
        "{}",
        stderr(&o)
    );
}
