//! What the fused operations (the step, `op.rs`, and the forward pass, `forward.rs`) share to
//! launch their kernels: buffers from burn's pool, a kernel's grid, and the input-feature and
//! hidden-layer kernels they both run.

use burn::tensor::DType;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use cubecl::{CubeCount, calculate_cube_count_elemwise};

use super::kernels::{self, TILE};

/// A network's shapes as the kernels read them.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shapes {
    /// Rows of the batch.
    pub(super) rows: usize,
    /// Input features.
    pub(super) nin: usize,
    /// Units per hidden layer.
    pub(super) width: usize,
    /// The hidden units' activation (`kernels::SILU`, …).
    pub(super) activation: u32,
}

/// Where the tangents along x₁ and x₂ go (a forward pass with the divergence), or none.
#[derive(Clone, Copy)]
pub(super) struct Tangents<'a> {
    /// The buffer (1 number when there are none: bound all the same, never touched).
    pub(super) buffer: &'a CubeTensor,
    /// Where those along x₂ start.
    pub(super) half: usize,
    /// Whether they are computed.
    pub(super) on: bool,
}

pub(super) fn buffer(t: &CubeTensor) -> BufferArg {
    t.clone().into_buffer_arg()
}

/// Launches kernels on the client and device of an operation's input.
pub(super) struct Launcher {
    client: Client,
    device: cubecl::Device,
}

impl Launcher {
    /// On the client and device of `t`.
    pub(super) fn of(t: &CubeTensor) -> Self {
        Self {
            client: t.client.clone(),
            device: t.device.clone(),
        }
    }

    /// A new f32 tensor of `shape` from the pool.
    pub(super) fn tensor(&self, shape: &[usize]) -> CubeTensor {
        let len: usize = shape.iter().product();
        CubeTensor::new_contiguous(
            self.client.clone(),
            self.device.clone(),
            shape.to_vec().into(),
            self.client.empty(len * 4),
            DType::F32,
        )
    }

    /// The grid of a kernel of `units` units.
    pub(super) fn grid(&self, units: usize) -> (CubeCount, CubeDim) {
        let dim = CubeDim::new(&self.client, units);
        (calculate_cube_count_elemwise(&self.client, units, dim), dim)
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// The input features of every row of `inputs` (rows of `stride` numbers starting u, x₁,
    /// x₂) into `acts`, and their tangents where asked.
    pub(super) fn features(
        &self,
        s: Shapes,
        inputs: &CubeTensor,
        stride: u32,
        table: &CubeTensor,
        acts: &CubeTensor,
        tan: Tangents<'_>,
    ) {
        let (count, dim) = self.grid(s.rows * s.nin);
        kernels::features::launch(
            &self.client,
            count,
            dim,
            buffer(inputs),
            buffer(table),
            buffer(acts),
            buffer(tan.buffer),
            s.rows as u32,
            s.nin as u32,
            stride,
            tan.half as u32,
            tan.on,
        );
    }

    /// Hidden layer `layer` of the network `params` (its first numbers), from and into `acts`,
    /// its slope into `slope`, and the tangents where asked.
    pub(super) fn hidden_forward(
        &self,
        s: Shapes,
        layer: usize,
        params: &CubeTensor,
        acts: &CubeTensor,
        slope: &CubeTensor,
        tan: Tangents<'_>,
    ) {
        let (count, dim) = self.grid(s.rows.div_ceil(TILE) * s.width.div_ceil(TILE));
        kernels::hidden_forward::launch(
            &self.client,
            count,
            dim,
            buffer(params),
            buffer(acts),
            buffer(slope),
            buffer(tan.buffer),
            s.rows as u32,
            s.nin as u32,
            s.width as u32,
            layer as u32,
            tan.half as u32,
            tan.on,
            s.activation,
        );
    }
}
