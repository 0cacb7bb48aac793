//! Inline SVG charts for the console: drawn on the server, so a page needs no script and no
//! chart library, and prints as it shows. Every label is escaped here.

use std::fmt::Write as _;

/// Escapes text for SVG/HTML (minijinja's escaper, as the templates use).
pub fn escape(s: &str) -> String {
    minijinja::HtmlEscape(s).to_string()
}

/// A radar of levels 0–100, one spoke per labelled axis; a missing level is drawn at the
/// centre and its label greyed.
pub fn radar(title: &str, axes: &[(String, Option<f64>)]) -> String {
    // Wide enough for the longest English axis label on either side.
    let (cx, cy, r) = (335.0, 170.0, 115.0);
    let n = axes.len().max(3) as f64;
    let at = |i: usize, level: f64| {
        let a = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
        (
            cx + r * level / 100.0 * a.cos(),
            cy + r * level / 100.0 * a.sin(),
        )
    };
    let mut svg = format!(
        r#"<svg class="chart radar" viewBox="0 0 670 340" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    for ring in [25.0, 50.0, 75.0, 100.0] {
        let pts: Vec<String> = (0..axes.len())
            .map(|i| {
                let (x, y) = at(i, ring);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(svg, r#"<polygon class="grid" points="{}"/>"#, pts.join(" "));
    }
    let pts: Vec<String> = axes
        .iter()
        .enumerate()
        .map(|(i, (_, level))| {
            let (x, y) = at(i, level.unwrap_or(0.0).clamp(0.0, 100.0));
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(svg, r#"<polygon class="area" points="{}"/>"#, pts.join(" "));
    for (i, (label, level)) in axes.iter().enumerate() {
        let (x, y) = at(i, 118.0);
        let anchor = if (x - cx).abs() < 5.0 {
            "middle"
        } else if x > cx {
            "start"
        } else {
            "end"
        };
        let shown = match level {
            Some(l) => format!("{} {l:.0}", escape(label)),
            None => format!("{} –", escape(label)),
        };
        let class = if level.is_some() {
            "axis"
        } else {
            "axis muted"
        };
        let _ = write!(
            svg,
            r#"<text class="{class}" x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{shown}</text>"#,
            y + 4.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line of values over labelled points (oldest first), with its first and last labels.
pub fn line(title: &str, points: &[(String, f64)]) -> String {
    let (w, h, pad) = (640.0, 200.0, 36.0);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    if points.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi - lo < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let x = |i: usize| {
        if points.len() == 1 {
            w / 2.0
        } else {
            pad + (w - 2.0 * pad) * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v - lo) / (hi - lo);
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1)))
        .collect();
    let _ = write!(
        svg,
        r#"<line class="grid" x1="{pad}" y1="{0}" x2="{1}" y2="{0}"/><polyline class="series" points="{2}"/>"#,
        h - pad,
        w - pad,
        path.join(" ")
    );
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="3"><title>{} {:.1}</title></circle>"#,
            x(i),
            y(p.1),
            escape(&p.0),
            p.1
        );
    }
    let last = points.len() - 1;
    let _ = write!(
        svg,
        r#"<text class="axis" x="{pad}" y="{0}" text-anchor="start">{1}</text><text class="axis" x="{2}" y="{0}" text-anchor="end">{3}</text><text class="axis" x="4" y="{4:.1}">{5:.0}</text><text class="axis" x="4" y="{6:.1}">{7:.0}</text>"#,
        h - 10.0,
        escape(&points[0].0),
        w - pad,
        escape(&points[last].0),
        y(hi) + 4.0,
        hi,
        y(lo) + 4.0,
        lo
    );
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars of counts with their labels and a class each (for the level colours).
pub fn bars(title: &str, rows: &[(String, &str, u64)]) -> String {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1) as f64;
    let h = 30.0 * rows.len() as f64 + 10.0;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 420 {h}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    for (i, (label, class, n)) in rows.iter().enumerate() {
        let y = 10.0 + 30.0 * i as f64;
        let width = 260.0 * *n as f64 / max;
        let _ = write!(
            svg,
            r#"<text class="axis" x="90" y="{:.1}" text-anchor="end">{}</text><rect class="bar {}" x="100" y="{y:.1}" width="{width:.1}" height="20"/><text class="axis" x="{:.1}" y="{:.1}">{}</text>"#,
            y + 15.0,
            escape(label),
            escape(class),
            106.0 + width,
            y + 15.0,
            super::format::group(&n.to_string())
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Columns over time, each a total with a flagged part stacked on top in red (a loan book's
/// principal and its non-performing part), the total written above and the label below.
pub fn columns(title: &str, points: &[(String, f64, f64)]) -> String {
    let max = points
        .iter()
        .map(|p| p.1)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let (left, width, base) = (10.0, 600.0, 170.0);
    let step = width / points.len().max(1) as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 620 210" role="img" aria-label="{}"><title>{}</title><line class="mark" x1="{left}" y1="{base}" x2="{:.1}" y2="{base}"/>"#,
        escape(title),
        escape(title),
        left + width
    );
    for (i, (label, total, flagged)) in points.iter().enumerate() {
        let x = left + step * i as f64 + step * 0.15;
        let w = step * 0.7;
        let h = 140.0 * total.max(0.0) / max;
        let hf = 140.0 * flagged.clamp(0.0, *total) / max;
        let centre = x + w / 2.0;
        let _ = write!(
            svg,
            r#"<rect class="bar blue" x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}"/><rect class="bar red" x="{x:.1}" y="{:.1}" width="{w:.1}" height="{hf:.1}"/><text class="axis" x="{centre:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis" x="{centre:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            base - h,
            h - hf,
            base - hf,
            base + 16.0,
            escape(label),
            base - h - 4.0,
            compact(*total),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A number in few characters: 1.2M, 35k, 950.
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// A rate against its warning level and cap (a guarantor's compensation rate): the bar fills
/// to the rate, with marks at the warning level and the cap; the scale ends at 1.5 × the cap.
pub fn gauge(title: &str, rate: f64, warning: f64, cap: f64) -> String {
    let end = (cap * 1.5).max(rate).max(1e-9);
    let x = |v: f64| 10.0 + 380.0 * (v / end).clamp(0.0, 1.0);
    let class = if rate >= cap {
        "red"
    } else if rate >= warning {
        "yellow"
    } else {
        "green"
    };
    format!(
        r#"<svg class="chart gauge" viewBox="0 0 400 60" role="img" aria-label="{t}"><title>{t}</title><rect class="track" x="10" y="14" width="380" height="18"/><rect class="bar {class}" x="10" y="14" width="{w:.1}" height="18"/><line class="mark" x1="{wx:.1}" y1="8" x2="{wx:.1}" y2="38"/><line class="mark cap" x1="{cx:.1}" y1="8" x2="{cx:.1}" y2="38"/><text class="axis" x="{wx:.1}" y="52" text-anchor="middle">{wl:.1}%</text><text class="axis" x="{cx:.1}" y="52" text-anchor="middle">{cl:.1}%</text></svg>"#,
        t = escape(title),
        w = x(rate) - 10.0,
        wx = x(warning),
        cx = x(cap),
        wl = warning * 100.0,
        cl = cap * 100.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_levels_kept_in_range() {
        let svg = radar(
            "t<",
            &[
                ("<script>".into(), Some(140.0)),
                ("b".into(), None),
                ("c".into(), Some(50.0)),
            ],
        );
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("axis muted"), "a missing level is greyed");
        let chart = line("s", &[("2024-01".into(), 500.0)]);
        assert!(chart.contains("<circle") && !chart.contains("NaN"));
        let b = bars("a", &[("red".into(), "red", 0), ("blue".into(), "blue", 3)]);
        assert!(b.contains(r#"width="0.0""#) && b.contains(r#"width="260.0""#));
        let big = bars("a", &[("A".into(), "blue", 1_234_567)]);
        assert!(big.contains(">1,234,567</text>"), "{big}");
    }
}
