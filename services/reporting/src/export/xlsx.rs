//! A report as an XLSX workbook of one sheet: each table as its title row merged across its
//! columns, a bold header row and its rows, tables separated by an empty row. Counts, money and
//! rates are numbers (money in yuan with two decimals, rates as percentages); columns are as wide
//! as their longest text.

use chrono::{DateTime, Utc};
use relief_runtime::ApiError;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::table::{Cell, Table, display_width};

/// The media type of the file.
pub const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Column widths, in character widths, before padding.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 48;

/// The tables as a workbook whose one sheet is called `sheet` (at most 31 characters, no
/// `[]:*?/\`), dated `created` (the service clock, so a file does not depend on the host's).
pub fn render(sheet: &str, tables: &[Table], created: DateTime<Utc>) -> Result<Vec<u8>, ApiError> {
    write(sheet, tables, created).map_err(ApiError::internal)
}

/// The formats of the sheet.
struct Formats {
    title: Format,
    section: Format,
    header: Format,
    text: Format,
    count: Format,
    money: Format,
    percent: Format,
    decimal: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            section: Format::new().set_bold().set_font_size(12),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            // Long lists (units of a plan task) wrap within the column's width.
            text: cell.clone().set_text_wrap(),
            count: cell.clone().set_num_format("0"),
            money: cell.clone().set_num_format("#,##0.00"),
            percent: cell.clone().set_num_format("0.0%"),
            decimal: cell.set_num_format("0.0"),
        }
    }
}

fn write(sheet: &str, tables: &[Table], created: DateTime<Utc>) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let title = tables
        .first()
        .map(|table| table.title.as_str())
        .unwrap_or("");
    workbook.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_creation_datetime(&ExcelDateTime::from_timestamp(created.timestamp())?),
    );
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet)?;
    let mut row: u32 = 0;
    for (index, table) in tables.iter().enumerate() {
        if index > 0 {
            row += 1;
        }
        let style = if index == 0 {
            &formats.title
        } else {
            &formats.section
        };
        write_title(worksheet, row, table, style)?;
        if index == 0 {
            worksheet.set_row_height(row, 24)?;
        }
        row += 1;
        for (column, header) in table.headers.iter().enumerate() {
            worksheet.write_string_with_format(
                row,
                column_number(column)?,
                header,
                &formats.header,
            )?;
        }
        row += 1;
        for cells in &table.rows {
            for (column, cell) in cells.iter().enumerate() {
                write_cell(worksheet, row, column_number(column)?, cell, &formats)?;
            }
            row += 1;
        }
    }
    if tables.len() == 1 {
        // One table: its title and headers stay in view while scrolling.
        worksheet.set_freeze_panes(2, 0)?;
    }
    for (column, width) in widths(tables).into_iter().enumerate() {
        worksheet.set_column_width(column_number(column)?, width as f64)?;
    }
    workbook.save_to_buffer()
}

/// The title of `table` in `row`, merged across its columns.
fn write_title(
    worksheet: &mut Worksheet,
    row: u32,
    table: &Table,
    format: &Format,
) -> Result<(), XlsxError> {
    if table.width() > 1 {
        let last = column_number(table.width() - 1)?;
        worksheet.merge_range(row, 0, row, last, &table.title, format)?;
    } else {
        worksheet.write_string_with_format(row, 0, &table.title, format)?;
    }
    Ok(())
}

fn write_cell(
    worksheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(text) => worksheet.write_string_with_format(row, column, text, &formats.text)?,
        Cell::Count(count) => {
            worksheet.write_number_with_format(row, column, *count as f64, &formats.count)?
        }
        Cell::Money(fen) => {
            worksheet.write_number_with_format(row, column, *fen as f64 / 100.0, &formats.money)?
        }
        Cell::Percent(fraction) => {
            worksheet.write_number_with_format(row, column, *fraction, &formats.percent)?
        }
        Cell::Decimal(value) => {
            worksheet.write_number_with_format(row, column, *value, &formats.decimal)?
        }
        Cell::Empty => worksheet.write_blank(row, column, &formats.text)?,
    };
    Ok(())
}

/// A column index as the sheet counts them (at most 16,384 columns).
fn column_number(column: usize) -> Result<u16, XlsxError> {
    u16::try_from(column).map_err(|_| XlsxError::RowColumnLimitError)
}

/// Each column's width: its widest header or cell (titles excluded: they are merged), padded.
fn widths(tables: &[Table]) -> Vec<usize> {
    let columns = tables.iter().map(Table::width).max().unwrap_or(0);
    let mut widths = vec![MIN_WIDTH; columns];
    for table in tables {
        let texts = std::iter::once(table.headers.clone()).chain(
            table
                .rows
                .iter()
                .map(|row| row.iter().map(Cell::display).collect()),
        );
        for texts in texts {
            for (column, text) in texts.iter().enumerate() {
                if let Some(width) = widths.get_mut(column) {
                    *width = (*width).max(display_width(text));
                }
            }
        }
    }
    widths
        .into_iter()
        .map(|width| width.min(MAX_WIDTH) + 2)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    use super::*;

    #[test]
    fn a_workbook_has_the_title_headers_numbers_and_money() {
        let mut table = Table::new(
            "盘锦市流浪乞讨人员救助管理资金报表（2026年3月，盘锦市）",
            &["地区", "托养天数", "托养费用（元）", "比率"],
        );
        table.push(vec![
            Cell::text("兴隆台区"),
            Cell::Count(31),
            Cell::Money(123_456),
            Cell::rate(1, 4),
        ]);
        let mut second = Table::new("问责情形", &["情形"]);
        second.push(vec![Cell::text("滞留未安置")]);
        let created = DateTime::from_timestamp(1_775_000_000, 0).expect("a time");
        let bytes = render("资金报表", &[table, second], created).expect("xlsx");

        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("opens");
        let range = workbook.worksheet_range("资金报表").expect("the sheet");
        let at = |row: u32, column: u32| range.get_value((row, column)).cloned();
        assert_eq!(
            at(0, 0),
            Some(Data::String(
                "盘锦市流浪乞讨人员救助管理资金报表（2026年3月，盘锦市）".to_owned()
            ))
        );
        assert_eq!(at(1, 0), Some(Data::String("地区".to_owned())));
        assert_eq!(at(1, 2), Some(Data::String("托养费用（元）".to_owned())));
        assert_eq!(at(2, 0), Some(Data::String("兴隆台区".to_owned())));
        assert_eq!(at(2, 1), Some(Data::Float(31.0)));
        assert_eq!(at(2, 2), Some(Data::Float(1234.56)));
        assert_eq!(at(2, 3), Some(Data::Float(0.25)));
        assert_eq!(at(4, 0), Some(Data::String("问责情形".to_owned())));
        assert_eq!(at(6, 0), Some(Data::String("滞留未安置".to_owned())));
        let merged = workbook
            .merge_cells_by_sheet_name("资金报表")
            .expect("merge cells");
        assert_eq!(
            merged.len(),
            1,
            "only the report title is merged: {merged:?}"
        );
        assert_eq!((merged[0].start, merged[0].end), ((0, 0), (0, 3)));
    }
}
