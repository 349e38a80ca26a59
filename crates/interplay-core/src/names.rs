//! Serde for the schedule's families and the objectives by their stable short names
//! ([`Path::name`], [`GammaFamily::name`], [`ObjectiveKind::name`]): the names the CLI, the URL,
//! run configurations and checkpoints use. An unknown name is
//! refused with the list of known ones. Behind the `serde` feature.

use core::fmt;

use serde::de::{Error, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::objective_kind::ObjectiveKind;
use crate::schedule::{GammaFamily, Path};

macro_rules! by_name {
    ($ty:ty, $what:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Name;
                impl Visitor<'_> for Name {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "the name of a {}", $what)
                    }
                    fn visit_str<E: Error>(self, s: &str) -> Result<$ty, E> {
                        <$ty>::from_name(s).ok_or_else(|| {
                            let names: Vec<&str> = <$ty>::ALL.iter().map(|v| v.name()).collect();
                            E::custom(format!(
                                "{} '{s}' is unknown; use one of {}",
                                $what,
                                names.join(", ")
                            ))
                        })
                    }
                }
                d.deserialize_str(Name)
            }
        }
    };
}

by_name!(Path, "path");
by_name!(GammaFamily, "γ family");
by_name!(ObjectiveKind, "objective");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_go_by_their_names_and_unknown_names_list_the_known_ones() {
        for p in Path::ALL {
            let json = serde_json::to_string(&p).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", p.name()));
            assert_eq!(serde_json::from_str::<Path>(&json).ok(), Some(p));
        }
        for g in GammaFamily::ALL {
            let json = serde_json::to_string(&g).unwrap_or_default();
            assert_eq!(serde_json::from_str::<GammaFamily>(&json).ok(), Some(g));
        }
        let e = serde_json::from_str::<Path>("\"spline\"").map_err(|e| e.to_string());
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("path 'spline' is unknown; use one of linear, trig")),
            "{e:?}"
        );
    }
}
