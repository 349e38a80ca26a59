//! A value kept with the key it was computed for, recomputed only when the key changes: the
//! views' caches (the heat map's samples, the space–time figure, the picks).

/// A value and the key it was made for, or nothing.
pub(crate) struct Keyed<T>(Option<(String, T)>);

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T> Keyed<T> {
    /// The value if it was made for `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&T> {
        self.0.as_ref().filter(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value made for `key`, made by `make` first when it is missing or was made for
    /// another key.
    pub(crate) fn get_or_make(&mut self, key: String, make: impl FnOnce() -> T) -> &mut T {
        if self.get(&key).is_none() {
            self.0 = Some((key, make()));
        }
        match &mut self.0 {
            Some((_, v)) => v,
            None => unreachable!("made above"),
        }
    }

    /// Keeps `value` for `key`.
    pub(crate) fn set(&mut self, key: String, value: T) {
        self.0 = Some((key, value));
    }

    /// Forgets the value.
    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }

    /// The value and its key, whatever the key.
    pub(crate) fn any(&self) -> Option<(&str, &T)> {
        self.0.as_ref().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_made_once_per_key() {
        let mut c = Keyed::default();
        let mut made = 0;
        for key in ["a", "a", "b", "b", "a"] {
            c.get_or_make(key.to_owned(), || {
                made += 1;
                key.len()
            });
        }
        assert_eq!(made, 3);
        assert_eq!(c.get("a"), Some(&1));
        assert_eq!(c.get("b"), None);
        c.clear();
        assert!(c.any().is_none());
    }
}
