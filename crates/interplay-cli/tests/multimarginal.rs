//! `interplay train --objective multimarginal` and `interplay sample --alphas`, end to end on a
//! tiny network, and their errors.

mod common;
use common::{interplay, stderr, tmp};

const TINY: [&str; 8] = [
    "--width", "16", "--depth", "1", "--batch", "64", "--steps", "30",
];

fn refused(args: &[&str], says: &str) {
    let o = interplay(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
}

#[test]
fn train_a_multimarginal_model_and_carry_samples_along_a_path() {
    let ck = tmp("mm.ckpt");
    let ck_s = ck.to_str().expect("utf-8");
    let mut args = vec![
        "train",
        "--objective",
        "multimarginal",
        "--target",
        "checkerboard",
        "--second",
        "moons",
        "--out",
        ck_s,
    ];
    args.extend_from_slice(&TINY);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("trained 30 steps") && out.contains("loss_g"),
        "{out}"
    );
    let bytes = std::fs::read(&ck).expect("checkpoint written");
    assert!(bytes.starts_with(b"IPLYMULT"));

    let samples = tmp("mm.csv");
    let s = samples.to_str().expect("utf-8");
    let o = interplay(&[
        "sample",
        "--model",
        ck_s,
        "--alphas",
        "0.9,0.05,0.05; 0.333,0.333,0.333; 0.1,0.1,0.8",
        "--n",
        "200",
        "--steps",
        "5",
        "--out",
        s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&samples).expect("samples");
    assert_eq!(text.lines().count(), 201);
    assert!(text.lines().skip(1).all(|l| {
        l.split(',')
            .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
    }));

    // Resuming continues the run.
    let more = tmp("mm2.ckpt");
    let mut args = vec![
        "train",
        "--objective",
        "multimarginal",
        "--resume",
        ck_s,
        "--out",
        more.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(&TINY);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));

    // What goes wrong says so.
    let sample = |alphas: Option<&str>, extra: &[&str]| {
        let mut v = vec!["sample", "--model", ck_s, "--out", s];
        if let Some(a) = alphas {
            v.extend(["--alphas", a]);
        }
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |v: Vec<String>, says: &str| {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        refused(&refs, says);
    };
    run(sample(None, &[]), "give --alphas");
    run(sample(Some("1,0;0,1,0"), &[]), "not three numbers");
    run(
        sample(Some("0.5,0.6,0.1;0,0,1"), &[]),
        "not on the triangle",
    );
    run(sample(Some("1,0,0"), &[]), "at least two points");
    run(sample(Some("1,0,0;0,0,1"), &["--eps", "0.5"]), "drop");
    refused(
        &["sample", "--exact", "--alphas", "1,0,0;0,1,0", "--out", s],
        "multimarginal model",
    );
    let mut wrong = vec!["train", "--second", "rings", "--out", s];
    wrong.extend_from_slice(&TINY);
    refused(&wrong, "--second is the second target");
    let mut bad = vec![
        "train",
        "--objective",
        "multimarginal",
        "--second",
        "donut",
        "--out",
        s,
    ];
    bad.extend_from_slice(&TINY);
    refused(&bad, "--second 'donut' is not a target");
    let mut other = vec![
        "train",
        "--objective",
        "multimarginal",
        "--resume",
        ck_s,
        "--width",
        "32",
        "--out",
        s,
    ];
    other.extend_from_slice(&TINY[2..]);
    refused(&other, "the settings ask for 1×32");
}
