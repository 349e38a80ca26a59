//! Splitting batch work over the machine's cores natively (rayon's pool, started once; wasm32
//! runs the same work on its one thread).

#[cfg(not(target_family = "wasm"))]
/// Batches smaller than this (in points of work) stay on the calling thread.
const MIN_PARALLEL: usize = 4096;
#[cfg(not(target_family = "wasm"))]
/// Items per piece of work handed to the pool, at least (a batch is split into one piece per
/// thread).
const PIECE: usize = 1024;

/// Fills `a[i], b[i] = f(&xs[i])`, split over the cores for large batches (`work_per_item` says
/// how many points of work one item is, for the size threshold).
pub(crate) fn fill2<X: Sync, A: Send, B: Send>(
    xs: &[X],
    a: &mut [A],
    b: &mut [B],
    work_per_item: usize,
    f: &(impl Fn(&X) -> (A, B) + Sync),
) {
    let serial = |xs: &[X], a: &mut [A], b: &mut [B]| {
        for ((x, a), b) in xs.iter().zip(a.iter_mut()).zip(b.iter_mut()) {
            (*a, *b) = f(x);
        }
    };
    #[cfg(not(target_family = "wasm"))]
    if xs.len() * work_per_item >= MIN_PARALLEL && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        let piece = xs
            .len()
            .div_ceil(rayon::current_num_threads())
            .max(PIECE.div_ceil(work_per_item));
        xs.par_chunks(piece)
            .zip(a.par_chunks_mut(piece))
            .zip(b.par_chunks_mut(piece))
            .for_each(|((xs, a), b)| serial(xs, a, b));
        return;
    }
    #[cfg(target_family = "wasm")]
    let _ = work_per_item; // one thread: there is nothing to split
    serial(xs, a, b);
}
