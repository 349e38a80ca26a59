//! Rows of a coming step's batch drawn ahead of it. A worker of a team that has sent its shard's
//! gradients waits for the others' before it can step; the next batch does not depend on the
//! step (its rows are named by the run's seed, the step's index and the row's), so the worker
//! draws its next rows then, and the next step finds them ready ([`Ahead::take`]). The split of
//! a batch between the workers moves a few rows from step to step, so the rows asked for need
//! not be the rows drawn: those drawn are used where they overlap, the rest drawn then.

use std::ops::Range;

use crate::batch::HostBatch;

/// Rows `from..from + batch.n` of the batch of step `step`.
pub(crate) struct Ahead {
    pub(crate) step: u64,
    pub(crate) from: usize,
    pub(crate) batch: HostBatch,
}

impl Ahead {
    /// Rows `rows` of step `step`'s batch: the ones `ahead` holds, if it holds that step's, and
    /// the others from `draw`. The same rows `draw` gives for all of `rows`, bit for bit.
    pub(crate) fn take(
        ahead: Option<Ahead>,
        step: u64,
        rows: Range<usize>,
        draw: impl Fn(Range<usize>) -> HostBatch,
    ) -> HostBatch {
        let Some(a) = ahead.filter(|a| a.step == step) else {
            return draw(rows);
        };
        let have = a.from..a.from + a.batch.n;
        if have == rows {
            return a.batch;
        }
        let (lo, hi) = (rows.start.max(have.start), rows.end.min(have.end));
        if lo >= hi {
            return draw(rows);
        }
        let mut parts = Vec::with_capacity(3);
        if rows.start < lo {
            parts.push(draw(rows.start..lo));
        }
        parts.push(a.batch.slice(lo - a.from..hi - a.from));
        if hi < rows.end {
            parts.push(draw(hi..rows.end));
        }
        HostBatch::join(parts)
    }
}

/// How many blocks of `n` rows a column of `len` values of width `width` holds: 1, or 2 for
/// the antithetic pairs' columns (the plus halves first).
fn halves(len: usize, n: usize, width: usize) -> usize {
    len / (n * width).max(1)
}

impl HostBatch {
    /// Rows `rows` of this batch (counted from its first) as a shard of the same whole.
    pub fn slice(&self, rows: Range<usize>) -> HostBatch {
        let n = self.n;
        let cols = self
            .cols
            .iter()
            .map(|(col, v, w)| {
                let per_half = n * w;
                let values = (0..halves(v.len(), n, *w))
                    .flat_map(|h| &v[h * per_half + rows.start * w..h * per_half + rows.end * w])
                    .copied()
                    .collect();
                (*col, values, *w)
            })
            .collect();
        HostBatch {
            n: rows.len(),
            total: self.total,
            cols,
        }
    }

    /// The rows of `parts`, one shard after the other, as one shard (of the same whole): the
    /// columns `parts[0]` has, in its order.
    pub fn join(parts: Vec<HostBatch>) -> HostBatch {
        let mut parts = parts.into_iter().filter(|p| p.n > 0);
        let Some(first) = parts.next() else {
            return HostBatch::default();
        };
        let rest: Vec<HostBatch> = parts.collect();
        if rest.is_empty() {
            return first;
        }
        let n = first.n + rest.iter().map(|p| p.n).sum::<usize>();
        let cols = first
            .cols
            .iter()
            .map(|(col, v, w)| {
                let blocks = halves(v.len(), first.n, *w);
                let mut values = Vec::with_capacity(blocks * n * w);
                for h in 0..blocks {
                    for p in std::iter::once(&first).chain(&rest) {
                        let (pv, _) = p.col(*col).expect("every part has the first's columns");
                        let per_half = p.n * w;
                        values.extend_from_slice(&pv[h * per_half..(h + 1) * per_half]);
                    }
                }
                (*col, values, *w)
            })
            .collect();
        HostBatch {
            n,
            total: first.total,
            cols,
        }
    }
}
