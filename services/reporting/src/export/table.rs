//! The one table model every exported report is converted into, so the CSV and the XLSX file of a
//! report cannot drift apart: a title, Chinese column headers and rows of typed cells. A report is
//! one or more tables, one below the other; the first table's title is the report's title row.

/// A cell: what it holds decides how each format writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as is.
    Text(String),
    /// A count, written as a number.
    Count(i64),
    /// An amount of money in fen, written in yuan with two decimals (a number in XLSX).
    Money(i64),
    /// A fraction (0.875), written as a percentage with one decimal (87.5%).
    Percent(f64),
    /// A number written with one decimal (a median of days).
    Decimal(f64),
    /// Nothing (a rate of nothing due, an instant not reached).
    Empty,
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    /// A count cell.
    pub fn count(count: impl Into<i64>) -> Cell {
        Cell::Count(count.into())
    }

    /// The rate `on_time / due` as a percentage, empty when nothing was due.
    pub fn rate(on_time: i32, due: i32) -> Cell {
        if due <= 0 {
            Cell::Empty
        } else {
            Cell::Percent(f64::from(on_time) / f64::from(due))
        }
    }

    /// The cell as CSV text (and as the text whose width sizes an XLSX column).
    pub fn display(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Count(count) => count.to_string(),
            Cell::Money(fen) => yuan(*fen),
            Cell::Percent(fraction) => format!("{:.1}%", fraction * 100.0),
            Cell::Decimal(value) => format!("{value:.1}"),
            Cell::Empty => String::new(),
        }
    }
}

/// An amount in fen as yuan with exactly two decimals, e.g. `-1234.05`; exact for every i64.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let magnitude = fen.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// A titled table with Chinese column headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The title row, e.g. "盘锦市流浪乞讨人员救助管理统计报表（2026年3月，兴隆台区）".
    pub title: String,
    /// One Chinese header per column.
    pub headers: Vec<String>,
    /// The rows, each with one cell per header.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these headers and no rows yet.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Table {
        Table {
            title: title.into(),
            headers: headers.iter().map(|header| (*header).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have one cell per header (a converter bug otherwise).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.headers.len(), "{}", self.title);
        self.rows.push(row);
    }

    /// The number of columns.
    pub fn width(&self) -> usize {
        self.headers.len()
    }
}

/// How wide `text` shows in a spreadsheet, in character widths: CJK and other wide characters
/// count two, others one.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|character| if character.is_ascii() { 1 } else { 2 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_yuan_with_two_decimals() {
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(-1_205), "-12.05");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn rates_show_as_percentages_and_nothing_due_as_empty() {
        assert_eq!(Cell::rate(7, 8).display(), "87.5%");
        assert_eq!(Cell::rate(0, 0), Cell::Empty);
        assert_eq!(Cell::Decimal(2.5).display(), "2.5");
        assert_eq!(display_width("兴隆台区 ok"), 11);
    }
}
