//! A report as CSV (RFC 4180 line ends): UTF-8 with a byte-order mark (so spreadsheet programs read
//! the Chinese), each table as its title row, its header row and its rows, tables separated by an
//! empty line. Money is written in yuan with two decimals, rates as percentages.

use relief_runtime::ApiError;

use super::table::{Cell, Table};

/// The UTF-8 byte-order mark every file starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The media type of the file.
pub const MEDIA_TYPE: &str = "text/csv; charset=utf-8";

/// The tables as one CSV file.
pub fn render(tables: &[Table]) -> Result<Vec<u8>, ApiError> {
    let mut bytes = BOM.to_vec();
    for (index, table) in tables.iter().enumerate() {
        if index > 0 {
            // An empty line between tables (the writer would write a record of no fields as one
            // empty field, `""`).
            bytes.extend_from_slice(b"\r\n");
        }
        bytes = write_table(bytes, table).map_err(ApiError::internal)?;
    }
    Ok(bytes)
}

/// Appends `table` to `bytes`: its title row, its header row, its rows.
fn write_table(bytes: Vec<u8>, table: &Table) -> Result<Vec<u8>, ::csv::Error> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(bytes);
    // The title fills the row's first cell and the others are empty, so every row of a table has
    // the same number of fields.
    let width = table.width().max(1);
    writer.write_record(
        std::iter::once(table.title.as_str()).chain(std::iter::repeat_n("", width - 1)),
    )?;
    writer.write_record(&table.headers)?;
    for row in &table.rows {
        writer.write_record(row.iter().map(csv_text))?;
    }
    writer
        .into_inner()
        .map_err(|error| ::csv::Error::from(error.into_error()))
}

/// A cell as CSV text. A text cell that a spreadsheet would read as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, so opening the file never
/// runs what a unit or institution name contains; numbers (negative amounts too) stay numbers.
fn csv_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            format!("'{text}")
        }
        other => other.display(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_a_bom_then_title_headers_and_rows() {
        let mut table = Table::new(
            "统计报表（2026年3月，兴隆台区）",
            &["地区", "金额（元）", "比率"],
        );
        table.push(vec![
            Cell::text("兴隆台区, 南"),
            Cell::Money(120_050),
            Cell::rate(1, 3),
        ]);
        let mut second = Table::new("重复流浪乞讨", &["流出地"]);
        second.push(vec![Cell::text("大洼区")]);
        let bytes = render(&[table, second]).expect("csv");
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[BOM.len()..]).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "统计报表（2026年3月，兴隆台区）,,",
                "地区,金额（元）,比率",
                "\"兴隆台区, 南\",1200.50,33.3%",
                "",
                "重复流浪乞讨",
                "流出地",
                "大洼区",
            ]
        );
    }

    #[test]
    fn a_text_cell_is_never_a_formula() {
        assert_eq!(
            csv_text(&Cell::Text("=HYPERLINK(\"x\")".to_owned())),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(csv_text(&Cell::Text("@SUM(A1)".to_owned())), "'@SUM(A1)");
        assert_eq!(csv_text(&Cell::Text("兴隆台区".to_owned())), "兴隆台区");
        assert_eq!(csv_text(&Cell::Money(-1234)), "-12.34");
    }
}
