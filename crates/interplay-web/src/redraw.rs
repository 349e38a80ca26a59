//! What a change of parameters touches, by key: the one table the page reads after every change
//! (`Viewer::touched`) to know which views to redraw, so that no list of keys lives in the
//! JavaScript beside the parameters it describes.

use serde::Serialize;

/// The keys that move the schedule's plot (its curves, or the marker at t).
const SCHEDULE: [&str; 6] = ["path", "gamma", "alphaExp", "betaExp", "gammaScale", "t"];
/// The keys that change the triangle of three marginals.
const MIX: [&str; 6] = ["target", "drawn", "seed", "second", "mix", "mixPath"];
/// The keys only the triangle reads: a change of these alone leaves every other view, the
/// training run and the panels as they are.
const TRIANGLE_ONLY: [&str; 3] = ["second", "mix", "mixPath"];
/// The keys only the flow-map figure reads.
const FLOW_MAP_ONLY: [&str; 1] = ["jumps"];
/// The keys only the "no data" figure reads.
const NO_DATA_ONLY: [&str; 2] = ["energy", "walkerEps"];

/// What a change touches beyond the views every change redraws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Touched {
    /// Only the triangle: nothing else is redrawn or reset.
    pub only_triangle: bool,
    /// Only the flow-map figure: nothing else is redrawn or reset.
    pub only_flow_map: bool,
    /// Only the "no data" figure: nothing else is redrawn or reset.
    pub only_no_data: bool,
    /// The schedule's plot.
    pub schedule: bool,
    /// The triangle of three marginals.
    pub mix: bool,
    /// The space–time figure on the line.
    pub line: bool,
    /// The loss curves (a whole new state: parameters loaded at once).
    pub losses: bool,
}

/// What the keys `changed` touch; `None` (a whole new state) touches everything.
pub fn touched(changed: Option<&[String]>) -> Touched {
    let Some(keys) = changed else {
        return Touched {
            only_triangle: false,
            only_flow_map: false,
            only_no_data: false,
            schedule: true,
            mix: true,
            line: true,
            losses: true,
        };
    };
    let any = |list: &[&str]| keys.iter().any(|k| list.contains(&k.as_str()));
    Touched {
        only_triangle: keys.iter().all(|k| TRIANGLE_ONLY.contains(&k.as_str())),
        only_flow_map: keys.iter().all(|k| FLOW_MAP_ONLY.contains(&k.as_str())),
        only_no_data: keys.iter().all(|k| NO_DATA_ONLY.contains(&k.as_str())),
        schedule: any(&SCHEDULE),
        mix: any(&MIX),
        line: keys.iter().any(|k| k == "line"),
        losses: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    fn of(keys: &[&str]) -> Touched {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        touched(Some(&keys))
    }

    #[test]
    fn every_key_in_the_table_is_a_parameter() {
        for key in SCHEDULE
            .iter()
            .chain(&MIX)
            .chain(&TRIANGLE_ONLY)
            .chain(&FLOW_MAP_ONLY)
            .chain(&NO_DATA_ONLY)
        {
            assert!(Params::KEYS.contains(key), "{key} is not a parameter");
        }
        assert!(TRIANGLE_ONLY.iter().all(|k| MIX.contains(k)));
    }

    #[test]
    fn a_change_touches_what_reads_its_keys() {
        assert_eq!(
            of(&["mix"]),
            Touched {
                only_triangle: true,
                mix: true,
                ..Touched::default()
            }
        );
        let t = of(&["alphaExp", "eps"]);
        assert!(t.schedule && !t.mix && !t.only_triangle && !t.line);
        let t = of(&["seed", "line"]);
        assert!(t.mix && t.line && !t.schedule && !t.only_triangle);
        assert_eq!(
            of(&["jumps"]),
            Touched {
                only_flow_map: true,
                ..Touched::default()
            }
        );
        assert!(!of(&["jumps", "seed"]).only_flow_map);
        assert_eq!(
            of(&["energy", "walkerEps"]),
            Touched {
                only_no_data: true,
                ..Touched::default()
            }
        );
        assert!(!of(&["energy", "seed"]).only_no_data);
        let all = touched(None);
        assert!(all.schedule && all.mix && all.line && all.losses && !all.only_triangle);
        assert!(!all.only_flow_map && !all.only_no_data);
    }
}
