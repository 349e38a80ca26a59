//! Point CSV files: header `x,y` in; `x,y[,…]` out, written atomically so that a failed command
//! never leaves a partial file.

use std::fs;
use std::io::Write;
use std::path::Path;

use interplay_core::P2;

use crate::error::CliError;

/// Reads a CSV with header `x,y` (whitespace and CRLF tolerated, blank lines skipped).
///
/// Errors name the line: `line 7: expected two numbers "x,y", found "1.0;2.0"`.
pub fn read_points(path: &Path) -> Result<Vec<P2>, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_points(&text)
}

/// Parses the text of a point CSV.
pub fn parse_points(text: &str) -> Result<Vec<P2>, String> {
    parse_weighted(text).map(|(xs, _)| xs)
}

/// Reads a CSV with header `x,y` and, if the header names one, a `log_w` column of log-weights
/// (as `interplay sample-energy` writes): the points, and their weights (e^{log_w}, scaled so
/// the largest is 1) if there are any.
pub fn read_weighted(path: &Path) -> Result<(Vec<P2>, Option<Vec<f64>>), String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_weighted(&text)
}

/// Parses the text of a point CSV, with the weights of its `log_w` column if the header names
/// one (each log-weight a number below +∞; −inf is a weight of zero).
pub fn parse_weighted(text: &str) -> Result<(Vec<P2>, Option<Vec<f64>>), String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("the file is empty; expected the header \"x,y\"".into());
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    if cols.len() < 2 || cols[0] != "x" || cols[1] != "y" {
        return Err(format!(
            "line 1: expected the header \"x,y\", found \"{}\"",
            header.trim()
        ));
    }
    let weight_col = cols.iter().position(|c| *c == "log_w");
    let mut out = Vec::new();
    let mut weights = Vec::new();
    for (i, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed = (fields.len() == cols.len())
            .then(|| (fields[0].parse::<f64>(), fields[1].parse::<f64>()))
            .and_then(|(a, b)| Some([a.ok()?, b.ok()?]));
        match parsed {
            Some(p) if p[0].is_finite() && p[1].is_finite() => out.push(p),
            Some(_) => {
                return Err(format!(
                    "line {}: the point \"{}\" is not finite",
                    i + 1,
                    line.trim()
                ));
            }
            None => {
                return Err(format!(
                    "line {}: expected {} comma-separated numbers, found \"{}\"",
                    i + 1,
                    cols.len(),
                    line.trim()
                ));
            }
        }
        if let Some(k) = weight_col {
            match fields[k].parse::<f64>() {
                Ok(a) if !a.is_nan() && a < f64::INFINITY => weights.push(a),
                _ => {
                    return Err(format!(
                        "line {}: the log-weight \"{}\" is not a number below +inf",
                        i + 1,
                        fields[k]
                    ));
                }
            }
        }
    }
    let top = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !weights.is_empty() && top == f64::NEG_INFINITY {
        return Err("every log-weight is -inf: there is nothing to weigh".into());
    }
    let weights = weights.into_iter().map(|a| (a - top).exp()).collect();
    Ok((out, weight_col.map(|_| weights)))
}

/// Writes rows under `header` to `path` atomically (a temporary file, then a rename).
pub fn write_rows(path: &Path, header: &str, rows: &[Vec<f64>]) -> Result<(), CliError> {
    let mut text = String::with_capacity(rows.len() * 40);
    text.push_str(header);
    text.push('\n');
    for r in rows {
        let cells: Vec<String> = r.iter().map(|v| format!("{v}")).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    write_bytes(path, text.as_bytes())
}

/// Writes samples as an `x,y` CSV, refusing (and writing nothing) if any is not finite: then
/// the integration blew up, and `hint` tells the reader what to change.
pub fn write_samples(path: &Path, xs: &[P2], hint: &str) -> Result<(), CliError> {
    if let Some(bad) = first_non_finite(xs) {
        return Err(CliError::failed(format!(
            "sample {bad} is not finite: the flow blew up; {hint} (nothing was written)"
        )));
    }
    let rows: Vec<Vec<f64>> = xs.iter().map(|x| vec![x[0], x[1]]).collect();
    write_rows(path, "x,y", &rows)
}

/// The index of the first point with a non-finite coordinate.
fn first_non_finite(xs: &[P2]) -> Option<usize> {
    xs.iter()
        .position(|x| !(x[0].is_finite() && x[1].is_finite()))
}

/// Writes `bytes` to `path` atomically (a temporary file, then a rename).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CliError::failed(format!("cannot write {}: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_bad_lines() {
        assert_eq!(
            parse_points("x,y\n1,2\r\n\n 3.5 , -4\n").unwrap_or_default(),
            vec![[1.0, 2.0], [3.5, -4.0]]
        );
        assert_eq!(
            parse_points("x, y, w\n1,2,3\n").unwrap_or_default(),
            vec![[1.0, 2.0]]
        );
        let e = parse_points("x,y\n1,2\n1;2\n").err().unwrap_or_default();
        assert!(e.starts_with("line 3:"), "{e}");
        let e = parse_points("a,b\n1,2\n").err().unwrap_or_default();
        assert!(e.contains("header"), "{e}");
        let e = parse_points("x,y\nnan,2\n").err().unwrap_or_default();
        assert!(e.contains("line 2") && e.contains("not finite"), "{e}");
        assert!(parse_points("").is_err());
    }

    #[test]
    fn reads_log_weights_where_the_header_names_them() {
        let text = format!("x,y,log_w\n1,2,{}\n3,4,-inf\n5,6,0\n", 0.5f64.ln());
        let (xs, w) = parse_weighted(&text).unwrap_or_default();
        assert_eq!(xs, vec![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        let w = w.unwrap_or_default();
        assert!(
            (w[0] - 0.5).abs() < 1e-15 && w[1] == 0.0 && w[2] == 1.0,
            "{w:?}"
        );
        assert_eq!(parse_weighted("x,y\n1,2\n").unwrap_or_default().1, None);
        let e = parse_weighted("x,y,log_w\n1,2,inf\n")
            .err()
            .unwrap_or_default();
        assert!(e.contains("line 2") && e.contains("log-weight"), "{e}");
        let e = parse_weighted("x,y,log_w\n1,2,-inf\n")
            .err()
            .unwrap_or_default();
        assert!(e.contains("nothing to weigh"), "{e}");
    }

    #[test]
    fn refuses_non_finite_samples_and_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("interplay-csvio-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("s.csv");
        let e = write_samples(&path, &[[0.0, 1.0], [f64::NAN, 0.0]], "try more --steps");
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("sample 1") && msg.contains("try more --steps"),
            "{msg}"
        );
        assert!(!path.exists());
        assert!(write_samples(&path, &[[0.5, -1.0]], "").is_ok());
        let text = fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(parse_points(&text).unwrap_or_default(), vec![[0.5, -1.0]]);
        let _ = fs::remove_dir_all(&dir);
    }
}
