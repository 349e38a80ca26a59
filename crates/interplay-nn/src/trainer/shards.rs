//! Training on several workers (data parallel): each worker's trainer takes the gradients of its
//! shard of a step's batch, the sum of every shard's is applied on each, and, while a worker
//! waits for that sum, it draws its rows of the next batch ahead.

use std::ops::Range;

use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};

use super::{ShardGradients, Trainer, net_loss};
use crate::NnError;
use crate::ahead::Ahead;

impl Trainer {
    /// Why a fused trainer takes no shards.
    fn shards_refused(&self) -> Result<(), NnError> {
        match self.fused {
            Some(_) => Err(NnError::Config(
                "training on several workers takes the CPU backend: this run trains on a GPU"
                    .into(),
            )),
            None => Ok(()),
        }
    }

    /// The gradients of the next step's loss on rows `rows` of its batch (a shard's share of the
    /// whole batch's mean), without stepping: every network's, flattened in the order
    /// [`Trainer::apply`] takes them (layer by layer, weight then bias), and the shard's losses.
    /// K workers that each take one shard and sum what they get have the whole batch's gradient.
    /// Rows drawn ahead for this step ([`Trainer::draw_ahead`]) are used where they are asked for.
    pub fn shard_gradients(&mut self, rows: Range<usize>) -> Result<ShardGradients, NnError> {
        self.shards_refused()?;
        let batch = self.next_rows(rows);
        let (mut grads, mut losses) = (Vec::new(), Vec::new());
        for (k, net) in self.nets.iter().enumerate() {
            let loss = net_loss(&self.objective, k, net, &batch, &self.device);
            let mut g = loss.backward();
            let g = GradientsParams::from_module(&mut g, net);
            for layer in &net.layers {
                let w = g
                    .get::<2>(layer.weight.id)
                    .expect("every weight has a gradient");
                grads.push(w.flatten::<1>(0, 1));
                if let Some(b) = &layer.bias {
                    grads.push(g.get::<1>(b.id).expect("every bias has a gradient"));
                }
            }
            losses.push(loss.inner());
        }
        Ok(ShardGradients {
            grads: Tensor::cat(grads, 0),
            losses: Tensor::cat(losses, 0),
        })
    }

    /// One optimisation step with the gradient `flat` (the sum of every shard's
    /// [`Trainer::shard_gradients`]): the same Adam step on every worker that applies the same
    /// sum, so their networks stay the same without being sent.
    pub fn apply(&mut self, flat: &[f32]) -> Result<(), NnError> {
        self.shards_refused()?;
        let want = self.nets.len() * self.config.net.num_params();
        if flat.len() != want {
            return Err(NnError::Config(format!(
                "a gradient of {} numbers given, this run's networks have {want}",
                flat.len()
            )));
        }
        let lr = self.lr_at(self.step);
        let inner = self.device.clone().without_autodiff();
        let mut at = 0;
        let mut take = |len: usize| {
            at += len;
            flat[at - len..at].to_vec()
        };
        let nets = std::mem::take(&mut self.nets);
        for (net, opt) in nets.into_iter().zip(self.optims.iter_mut()) {
            let mut g = GradientsParams::new();
            for layer in &net.layers {
                let [d_in, d_out] = layer.weight.dims();
                let w = take(d_in * d_out);
                g.register(
                    layer.weight.id,
                    Tensor::<2>::from_data(TensorData::new(w, [d_in, d_out]), &inner),
                );
                if let Some(b) = &layer.bias {
                    let v = take(d_out);
                    g.register(
                        b.id,
                        Tensor::<1>::from_data(TensorData::new(v, [d_out]), &inner),
                    );
                }
            }
            self.nets.push(opt.step(lr, net, g));
        }
        self.finish_step();
        Ok(())
    }

    /// Draws rows `rows` of step `step`'s batch ahead of it (the step after the next, for a
    /// worker that has sent its shard's gradients and waits for the sum), for the shard of that
    /// step to use ([`Trainer::shard_gradients`]). Only the last rows drawn ahead are kept, and
    /// only until that step is taken; a step or rows outside the batch draw nothing.
    pub fn draw_ahead(&mut self, step: u64, rows: Range<usize>) -> Result<(), NnError> {
        self.shards_refused()?;
        let rows = rows.start..rows.end.min(self.config.batch);
        if step < self.step || rows.is_empty() {
            self.ahead = None;
            return Ok(());
        }
        let from = rows.start;
        let batch = self.batch_rows_at(step, rows);
        self.ahead = Some(Ahead { step, from, batch });
        Ok(())
    }
}
