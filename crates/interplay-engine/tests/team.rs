//! Training on several workers through the engine's requests: engines that each take a shard's
//! gradients and apply the sum hold the model one engine trains alone.

mod common;

use common::{ask, configured, floats, schedule, trained};
use interplay_engine::Response;
use serde_json::json;

fn gradients(r: Result<Response, interplay_engine::EngineError>) -> (Vec<f32>, Vec<f32>) {
    match r {
        Ok(Response::Gradients(g)) => (g.grads, g.losses),
        other => panic!("gradients: {other:?}"),
    }
}

#[test]
fn two_engines_sharing_each_batch_train_the_model_one_engine_trains() {
    for objective in ["schedule-free", "velocity-score"] {
        let solo = configured(objective);
        trained(&solo, 3);
        let team = [configured(objective), configured(objective)];
        for step in 0..3 {
            let shards: Vec<_> = team
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    // Unequal shards: the rows, not their split, make the step.
                    let rows = [[0, 40], [40, 64]][i];
                    gradients(ask(s, "gradients", json!({"from": rows[0], "to": rows[1]})))
                })
                .collect();
            let grads: Vec<f32> = shards[0]
                .0
                .iter()
                .zip(&shards[1].0)
                .map(|(a, b)| a + b)
                .collect();
            let losses: Vec<f32> = shards[0]
                .1
                .iter()
                .zip(&shards[1].1)
                .map(|(a, b)| a + b)
                .collect();
            for (i, s) in team.iter().enumerate() {
                // Each draws rows of the next batch while it would wait for the sum: rows that
                // the next split moves (it asks for 0..40 and 40..64 again), which it must use
                // where they overlap and draw again where not.
                let rows = [[0, 37], [37, 64]][i];
                let next = json!({"step": step + 1, "from": rows[0], "to": rows[1]});
                match ask(s, "draw", next) {
                    Ok(Response::Started { .. }) => {}
                    other => panic!("draw: {other:?}"),
                }
                match ask(s, "apply", json!({"grads": grads, "losses": losses})) {
                    Ok(Response::Trained(r)) => {
                        assert_eq!((r.steps, r.done), (step + 1, 1));
                        assert_eq!(r.losses.len(), losses.len());
                    }
                    other => panic!("apply: {other:?}"),
                }
            }
        }
        let sample = json!({"n": 50, "steps": 6, "eps": 0.0, "seed": 3, "schedule": schedule()});
        let want = floats(ask(&solo, "sample", sample.clone()));
        let got: Vec<Vec<f32>> = team
            .iter()
            .map(|s| floats(ask(s, "sample", sample.clone())))
            .collect();
        assert_eq!(got[0], got[1], "{objective}: the two engines drifted apart");
        let worst = want
            .iter()
            .zip(&got[0])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-4,
            "{objective}: the team's samples differ from one engine's by {worst}"
        );
    }
}

#[test]
fn shards_outside_the_batch_and_flow_maps_are_refused() {
    let s = configured("velocity-score");
    let e = ask(&s, "gradients", json!({"from": 10, "to": 10})).expect_err("no rows");
    assert!(e.to_string().contains("rows 10..10 are not a shard"), "{e}");
    let e = ask(&s, "gradients", json!({"from": 0, "to": 65})).expect_err("past the batch");
    assert!(e.to_string().contains("a batch of 64 rows"), "{e}");
    let e = ask(&s, "draw", json!({"step": 1, "from": 60, "to": 70})).expect_err("past it");
    assert!(e.to_string().contains("rows 60..70 are not a shard"), "{e}");
    let map = configured("flow-map");
    let e = ask(&map, "gradients", json!({"from": 0, "to": 32})).expect_err("a flow map");
    assert!(e.to_string().contains("flow map"), "{e}");
    let e = ask(&map, "draw", json!({"step": 1, "from": 0, "to": 32})).expect_err("a flow map");
    assert!(e.to_string().contains("flow map"), "{e}");
}
