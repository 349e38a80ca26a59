//! The learned flow lines of a run on the line, for the space–time view's dashed lines
//! (`interplay_nn::line_flow`), with the error of the learned b.

use std::cell::RefCell;

use interplay_core::line::LineTarget;
use interplay_core::sampling::streams;
use interplay_core::{ExactField, Target};
use interplay_nn::spec::ScheduleSpec;

use crate::protocol::LineFlow;
use crate::session::{EngineError, Outcome, Session};

/// The model's flow lines on the line under `schedule`: `lines` holds `count` curves of
/// `times.len()` positions each (a curve the stability rule stopped ends in NaN), and `b_error`
/// the relative L2(ρ(t)) error of the learned b at `interplay_nn::quality::ERROR_TIMES`.
/// Refused with a message unless the run's target is on the line.
pub(crate) async fn line_flow(
    cell: &RefCell<Session>,
    schedule: &ScheduleSpec,
) -> Outcome<LineFlow> {
    let (field, line, exact, generation, model_steps) = {
        let st = cell.borrow();
        let tr = st.trainer()?;
        let Target::Line(code) = &tr.target else {
            return Err(EngineError::refused(
                "the flow lines on the line need a run on a target on the line",
            ));
        };
        let line = LineTarget::parse(code).map_err(EngineError::refused)?;
        let field = st.field(schedule)?;
        let exact = ExactField::new(field.schedule, &tr.target);
        (field, line, exact, st.generation, tr.steps())
    };
    let flow = interplay_nn::line_flow::flow_lines(&field, &line)
        .await
        .map_err(EngineError::refused)?;
    let errors = interplay_nn::quality::field_errors(
        &field,
        &exact,
        &interplay_nn::quality::ERROR_TIMES,
        1000,
        streams::LINE_ERRORS_SEED,
    )
    .await
    .map_err(EngineError::refused)?;
    let n = flow.times.len();
    let mut lines = vec![f32::NAN; flow.lines.len() * n];
    for (out, line) in lines.chunks_mut(n).zip(&flow.lines) {
        for (o, x) in out.iter_mut().zip(line) {
            *o = *x as f32;
        }
    }
    Ok(LineFlow {
        times: flow.times.iter().map(|&t| t as f32).collect(),
        lines,
        count: flow.lines.len() as u32,
        b_error: errors.iter().map(|e| e.b).collect(),
        error_times: interplay_nn::quality::ERROR_TIMES.to_vec(),
        generation,
        model_steps,
    })
}
