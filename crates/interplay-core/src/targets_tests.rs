use super::*;

#[test]
fn drawing_codes_round_trip_and_bad_codes_say_why() {
    let mut r = Rng::new(8);
    let pts: Vec<P2> = (0..DRAWN_MAX_POINTS)
        .map(|_| [r.uniform() * 10.0 - 5.0, r.uniform() * 10.0 - 5.0])
        .collect();
    let code = encode_points(&pts);
    assert_eq!(code.len(), 4 * pts.len());
    let back = decode_points(&code).expect("decodes");
    for (a, b) in pts.iter().zip(&back) {
        assert!((a[0] - b[0]).abs() <= 1.3e-3 && (a[1] - b[1]).abs() <= 1.3e-3);
    }
    // Decoding then encoding is exact.
    assert_eq!(encode_points(&back), code);
    for (bad, says) in [
        ("", "empty"),
        ("AAA", "multiple of 4"),
        ("AA A", "character ' '"),
        ("AAé_", "character 'é'"),
    ] {
        let e = decode_points(bad).expect_err(bad);
        assert!(e.contains(says), "{bad:?}: {e}");
    }
    let long = "AAAA".repeat(DRAWN_MAX_POINTS + 1);
    assert!(
        decode_points(&long)
            .expect_err("long")
            .contains("more than")
    );
}

#[test]
fn strokes_become_evenly_spaced_points_inside_the_view() {
    // A 3-unit stroke and a dot; a stroke running off the view is clamped to it.
    let (pts, cut) = drawn_points(&[
        vec![[0.0, 0.0], [3.0, 0.0]],
        vec![[1.0, 1.0]],
        vec![[4.0, 4.0], [9.0, 4.0]],
        vec![],
        vec![[f64::NAN, 0.0]],
    ]);
    assert!(!cut);
    // 10 or 11 points on the first stroke (rounding at its end), 1 dot, 3 on the clamped one.
    assert!((14..=15).contains(&pts.len()), "{}", pts.len());
    assert!(
        pts.iter()
            .all(|p| p[0].abs() <= DRAWN_EXTENT && p[1].abs() <= DRAWN_EXTENT)
    );
    let (many, cut) = drawn_points(&vec![
        vec![[-4.0, 0.0], [4.0, 0.0], [4.0, 4.0], [-4.0, 4.0]];
        3
    ]);
    assert!(cut && many.len() == DRAWN_MAX_POINTS);
    let heart = default_drawing();
    assert!(
        heart.len() > 40 && heart.len() < DRAWN_MAX_POINTS,
        "{}",
        heart.len()
    );
    let t = Target::Drawn(heart);
    assert_eq!(t.name(), "drawn");
    let xs = t.sample(&mut Rng::new(1), 1000);
    // Closed curves do not repeat their start (no bright bead where they close).
    // (The inner ring: 7.85 long, so its 27th point would sit 0.05 before the start.)
    let ring = along(&[(0..=256)
        .map(|k| polar(1.25, 2.0 * PI * k as f64 / 256.0))
        .collect()]);
    let gap = |a: P2, b: P2| libm::hypot(a[0] - b[0], a[1] - b[1]);
    assert!(
        gap(ring[0], ring[ring.len() - 1]) > 0.5 * CURVE_STEP,
        "{}",
        ring.len()
    );
    assert!(xs.iter().all(|x| x[0].abs() < 6.0 && x[1].abs() < 6.0));
}

#[test]
fn a_target_on_the_line_is_the_planes_x_axis() {
    use crate::line::{LineField, LineTarget};
    use crate::{ExactField, Schedule};
    assert_eq!(
        Target::from_name("line:gmm"),
        Some(Target::Line("gmm".into()))
    );
    assert_eq!(Target::line("bars").map(|t| t.name()), Ok("line"));
    let e = Target::line("donut").expect_err("not a line target");
    assert!(
        e.contains("a target on the line is one of checkerboard, gmm, bars"),
        "{e}"
    );
    assert_eq!(Target::from_name("line:donut"), None);

    // Samples, base and noise all lie on the x-axis, with the plane's first coordinates.
    let exact = ExactTarget::new(&Target::Line("gmm".into()));
    assert!(exact.on_line() && !ExactTarget::new(&Target::Gmm).on_line());
    let xs = exact.sample(&mut Rng::new(3), 500);
    let line = LineTarget::from_name("gmm").expect("named");
    let want = line.sample(&mut Rng::new(3), 500);
    assert!(xs.iter().zip(&want).all(|(p, w)| p[1] == 0.0 && p[0] == *w));
    let base = exact.base_normals(&mut Rng::new(4), 50);
    let plane = Rng::new(4).normals(50);
    assert!(
        base.iter()
            .zip(&plane)
            .all(|(b, p)| b[1] == 0.0 && b[0] == p[0])
    );
    assert_eq!(exact.base_normal(&mut Rng::new(5))[1], 0.0);

    // The plane's exact fields on the axis are the line's (LineField, tested on its own
    // against finite differences and Monte Carlo), and off it only the Gaussian factor in y.
    let schedule = Schedule::default();
    let plane = ExactField::new(schedule, &Target::Line("gmm".into()));
    let line_field = LineField::new(schedule, line.clone());
    for t in [0.1, 0.4, 0.8] {
        let at = plane.at(t);
        let s2 = at.st.sigma2();
        for x in [-3.0, -0.7, 0.2, 2.9] {
            let want = line_field.point(t, x);
            let (b, s) = at.velocity_score([x, 0.0]);
            assert!(
                (b[0] - want.b).abs() < 1e-12 && b[1] == 0.0,
                "t {t} x {x}: {b:?} vs {want:?}"
            );
            assert!((s[0] - want.s).abs() < 1e-12 && s[1] == 0.0);
            let off = at.posterior([x, 0.5], false);
            assert!((off.score[1] + 0.5 / s2).abs() < 1e-12);
            let gauss = -0.125 / s2 - 0.5 * (2.0 * PI * s2).ln();
            assert!((off.log_rho - want.log_rho - gauss).abs() < 1e-10);
        }
    }

    // The reference masses of the TV metric lie on the row of bins holding y = 0 and sum to
    // one; the target's samples are in its support.
    let r = crate::metrics::tv_reference(&exact);
    assert!(
        (r.iter().sum::<f64>() - 1.0).abs() < 1e-6,
        "{}",
        r.iter().sum::<f64>()
    );
    let inside = xs
        .iter()
        .filter(|x| crate::metrics::in_support(&exact, **x))
        .count();
    assert!(inside >= 495, "{inside}");
}

#[test]
fn exact_moments_match_the_samples() {
    // The batch posterior's control variate needs E[x1] exactly, and the schedule-free skip
    // Cov(x1): each target's closed forms against its own sampler (means within 5 standard
    // errors, covariances within 2 % of the scale).
    let mut targets: Vec<Target> = Target::NAMES
        .iter()
        .map(|n| Target::from_name(n).expect("named"))
        .collect();
    targets.extend(
        ["line:checkerboard", "line:gmm", "line:bars"]
            .map(|n| Target::from_name(n).expect("line target")),
    );
    targets.push(Target::Drawn(drawn_points(&[default_drawing()]).0));
    for target in targets {
        let exact = ExactTarget::new(&target);
        let xs = exact.sample(&mut Rng::new(11), 200_000);
        let (m, c) = crate::metrics::moments(&xs);
        let want = exact.mean();
        for d in 0..2 {
            let se = (c[2 * d] / xs.len() as f64).sqrt();
            assert!(
                (m[d] - want[d]).abs() <= 5.0 * se + 1e-12,
                "{}: coordinate {d}: samples {} against {}",
                target.name(),
                m[d],
                want[d]
            );
        }
        let cov = exact.covariance();
        let scale = c[0] + c[2];
        for k in 0..3 {
            assert!(
                (cov[k] - c[k]).abs() <= 0.02 * scale,
                "{}: covariance {k}: samples {} against {}",
                target.name(),
                c[k],
                cov[k]
            );
        }
        if exact.on_line() {
            assert_eq!(want[1], 0.0);
            assert_eq!(cov[1..], [0.0, 0.0]);
        }
    }
}
