//! The triangle's parameters and scene: text forms round-trip and refuse bad input with a
//! reason, the heat map at a vertex is that marginal's, and the particles carried along a path
//! arrive distributed as direct samples at its end.

use super::*;
use interplay_core::metrics::sliced_w2;

#[test]
fn alphas_parse_round_trip_and_refuse_bad_input() {
    let a = alpha("mix", &Value::String("0.2, 0.5,0.3".into())).expect("valid");
    assert_eq!(a, [0.2, 0.5, 0.3]);
    assert_eq!(encode_alpha(a), "0.2,0.5,0.3");
    // Rounding goes to α0; a sum within 0.002 of 1 is rescaled.
    assert_eq!(
        alpha("mix", &serde_json::json!([0.3334, 0.3333, 0.3334])).expect("valid"),
        [0.334, 0.333, 0.333]
    );
    // Two weights on a rounding tie still sum to 1, and no weight reads −0.
    let tie = alpha("mix", &Value::String("0,0.0005,0.9995".into())).expect("valid");
    assert!((tie.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{tie:?}");
    assert_eq!(encode_alpha(tie), "0,0.001,0.999");
    assert_eq!(encode_alpha(quantise([0.0, 0.064, 0.936])), "0,0.064,0.936");
    for bad in [
        "0.5,0.6",
        "0.5,0.6,0.1",
        "-0.1,0.6,0.5",
        "a,b,c",
        "NaN,0.5,0.5",
    ] {
        let e = alpha("mix", &Value::String(bad.into())).expect_err(bad);
        assert!(e.contains("three weights"), "{bad}: {e}");
    }
    let p = mix_path("mixPath", &Value::String("1,0,0;0.2,0.3,0.5;0,0,1".into())).expect("valid");
    assert_eq!(p.len(), 3);
    assert_eq!(encode_mix_path(&p), "1,0,0;0.2,0.3,0.5;0,0,1");
    assert!(
        mix_path("mixPath", &Value::String(String::new()))
            .expect("none")
            .is_empty()
    );
    let e = mix_path("mixPath", &Value::String("1,0,0".into())).expect_err("one point");
    assert!(e.contains("2 to 12"), "{e}");
}

#[test]
fn the_heat_map_at_a_vertex_is_that_marginal() {
    let scene = MixScene::new(&Target::Checkerboard, &Target::Rings, 0);
    let at_first = scene.density([0.0, 1.0, 0.0], 16);
    let board = histogram(
        &Grid::view(16),
        &ExactTarget::Checkerboard.sample(&mut Rng::stream(0, streams::X1), MIX_SAMPLES),
    );
    assert_eq!(at_first, board);
    // Halfway to the rings the picture is neither.
    let mid = scene.density([0.0, 0.5, 0.5], 16);
    assert_ne!(mid, board);
    assert!(scene.has_flow());
    assert!(!MixScene::new(&Target::Checkerboard, &Target::Gmm, 0).has_flow());
}

#[test]
fn particles_along_a_path_arrive_as_direct_samples() {
    let scene = MixScene::new(&Target::Checkerboard, &Target::Rings, 3);
    let path =
        TrianglePath::new(vec![[1.0, 0.0, 0.0], [0.3, 0.2, 0.5], [0.1, 0.8, 0.1]]).expect("a path");
    let frames = scene.flow(&path).expect("exact fields");
    assert_eq!(
        frames.len(),
        FLOW_STEPS + 1,
        "two legs of {} steps",
        FLOW_STEPS / 2
    );
    // Three legs: 14 steps each, none across a corner.
    let three = TrianglePath::new(vec![
        [1.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.2, 0.2, 0.6],
        [0.1, 0.8, 0.1],
    ])
    .expect("a path");
    let mut run = scene.flow_start(&three).expect("exact fields");
    assert_eq!(run.total(), 42);
    scene.flow_advance(&mut run, 5);
    assert!((run.progress() - 5.0 / 42.0).abs() < 1e-12);
    scene.flow_advance(&mut run, 100);
    assert_eq!(run.frames().len(), 43);
    assert!(frames.iter().all(|f| f.len() == FLOW_PARTICLES));
    let end = frames.last().expect("frames");
    assert!(end.iter().flatten().all(|v| v.is_finite()));
    // Against direct samples at the end (other draws than the particles').
    let direct =
        scene.samples([0.1, 0.8, 0.1], MIX_SAMPLES)[10_000..10_000 + FLOW_PARTICLES].to_vec();
    let w = |a: &[P2], b: &[P2]| sliced_w2(a, b, 32, &mut Rng::new(1));
    let (moved, still) = (w(end, &direct), w(&frames[0], &direct));
    let noise = w(
        &scene.samples([0.1, 0.8, 0.1], 2 * FLOW_PARTICLES)[FLOW_PARTICLES..],
        &direct,
    );
    assert!(
        moved < 0.2 * still && moved < 2.0 * noise,
        "carried {moved}, unmoved {still}, two direct samples {noise}"
    );
    let e = MixScene::new(&Target::Checkerboard, &Target::Gmm, 0)
        .flow(&path)
        .expect_err("no exact fields");
    assert!(e.contains("checkerboard with gmm"), "{e}");
}
