//! A horizontal bar chart of decode throughput, written as plain SVG.

use std::fmt::Write;

/// One bar: a label, a value in MB/s, and whether it is a baseline (drawn in grey).
pub struct Bar {
    /// What was measured.
    pub label: String,
    /// Throughput in MB/s.
    pub mb_per_s: f64,
    /// Baselines are drawn in grey, our paths in colour.
    pub baseline: bool,
}

/// Renders `bars` under `title` as a self-contained SVG document.
pub fn svg(title: &str, bars: &[Bar]) -> String {
    const LABEL_W: f64 = 330.0;
    const BAR_W: f64 = 420.0;
    const ROW_H: f64 = 26.0;
    const TOP: f64 = 40.0;
    let max = bars.iter().map(|b| b.mb_per_s).fold(1.0, f64::max);
    let height = TOP + ROW_H * bars.len() as f64 + 20.0;
    let width = LABEL_W + BAR_W + 110.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="10" y="24" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let w = (bar.mb_per_s / max * BAR_W).max(1.0);
        let fill = if bar.baseline { "#9e9e9e" } else { "#1f77b4" };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{}" y="{}" width="{w:.1}" height="{}" fill="{fill}"/><text x="{}" y="{}">{:.0} MB/s</text>"#,
            LABEL_W - 8.0,
            y + 15.0,
            escape(&bar.label),
            LABEL_W,
            y + 3.0,
            ROW_H - 8.0,
            LABEL_W + w + 6.0,
            y + 15.0,
            bar.mb_per_s
        );
    }
    out.push_str("</svg>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
