//! The network's exact divergence against finite differences.
#![allow(clippy::disallowed_methods)]

mod common;

use burn::tensor::Tensor;
use common::{cpu, read2};
use interplay_core::Rng;
use interplay_nn::net::{Activation, NetConfig};

#[test]
fn tangent_divergence_matches_finite_differences() {
    let device = cpu();
    for act in [
        Activation::Silu,
        Activation::Tanh,
        Activation::Gelu,
        Activation::Relu,
    ] {
        for (depth, spatial) in [(1, 0), (3, 0), (2, 3)] {
            let cfg = NetConfig {
                width: 24,
                depth,
                activation: act,
                fourier: 2,
                spatial,
            };
            let net = cfg.init(&device, &mut Rng::new(4));
            let pts: Vec<[f32; 2]> = (0..16)
                .map(|i| [0.3 * i as f32 - 2.0, 1.1 - 0.17 * i as f32])
                .collect();
            let u = Tensor::<2>::full([16, 1], 0.4, &device);
            let x = Tensor::<2>::from_data(
                burn::tensor::TensorData::new(pts.concat(), [16, 2]),
                &device,
            );
            let (y, div) = net.forward_div(u.clone(), x.clone());
            let (y0, y1) = (read2(net.forward(u.clone(), x.clone())), read2(y));
            assert_eq!(y0, y1, "forward_div's value must equal forward");
            let div: Vec<f32> = div.into_data().try_to_vec().expect("f32");
            let h = 1e-2f32;
            let shift = |dx: f32, dy: f32| {
                let p: Vec<f32> = pts.iter().flat_map(|p| [p[0] + dx, p[1] + dy]).collect();
                read2(net.forward(
                    u.clone(),
                    Tensor::from_data(burn::tensor::TensorData::new(p, [16, 2]), &device),
                ))
            };
            let (xp, xm, yp, ym) = (shift(h, 0.0), shift(-h, 0.0), shift(0.0, h), shift(0.0, -h));
            for i in 0..16 {
                let fd = (xp[i][0] - xm[i][0] + yp[i][1] - ym[i][1]) / (2.0 * f64::from(h));
                let tol = if act == Activation::Relu { 0.05 } else { 2e-3 };
                assert!(
                    (fd - f64::from(div[i])).abs() < tol * (1.0 + fd.abs()),
                    "{act:?} depth {depth} spatial {spatial} point {i}: fd {fd} vs {}",
                    div[i]
                );
            }
        }
    }
}
