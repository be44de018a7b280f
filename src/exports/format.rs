//! The two export formats, one line per message: JSON Lines (the message object as the API
//! gives it) and CSV (`id,author,created_at,body`, quoted per RFC 4180, lines ending CRLF).

use crate::chat::domain::Message;
use crate::error::AppError;

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// `jsonl` or `csv`.
    ///
    /// # Errors
    /// `Invalid` for anything else.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        match text {
            "jsonl" => Ok(Self::JsonLines),
            "csv" => Ok(Self::Csv),
            other => Err(AppError::Invalid(format!(
                "{other:?} is not an export format: use \"jsonl\" or \"csv\""
            ))),
        }
    }

    /// Its name, as stored and asked for.
    pub fn name(self) -> &'static str {
        match self {
            Self::JsonLines => "jsonl",
            Self::Csv => "csv",
        }
    }

    /// What the download is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::JsonLines => "application/jsonl; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What the file starts with.
    pub fn header(self) -> &'static str {
        match self {
            Self::JsonLines => "",
            Self::Csv => "id,author,created_at,body\r\n",
        }
    }

    /// Appends `message` as one line (or CSV record) to `out`.
    pub fn write(self, message: &Message, out: &mut String) {
        match self {
            Self::JsonLines => {
                out.push_str(&serde_json::to_string(message).expect("messages serialize"));
                out.push('\n');
            }
            Self::Csv => {
                let created_at = message.created_at.to_string();
                let fields = [&message.id.to_string(), &message.author, &created_at];
                for field in fields {
                    csv_field(field, out);
                    out.push(',');
                }
                csv_field(&message.body, out);
                out.push_str("\r\n");
            }
        }
    }
}

/// A CSV field: as it is, or in double quotes (with its quotes doubled) if it holds a comma,
/// a quote or a line break.
fn csv_field(text: &str, out: &mut String) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn message(body: &str) -> Message {
        Message {
            id: 7,
            room: "lobby".into(),
            author: "ada".into(),
            body: body.into(),
            created_at: Timestamp(0),
            edited_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn csv_quotes_only_fields_with_commas_quotes_or_line_breaks() {
        let mut out = String::new();
        Format::Csv.write(&message("plain"), &mut out);
        Format::Csv.write(&message("a, \"b\"\nc"), &mut out);
        assert_eq!(
            out,
            "7,ada,1970-01-01T00:00:00.000Z,plain\r\n7,ada,1970-01-01T00:00:00.000Z,\"a, \"\"b\"\"\nc\"\r\n"
        );
    }

    #[test]
    fn json_lines_hold_one_message_object_per_line() {
        let mut out = String::new();
        Format::JsonLines.write(&message("two\nlines ☃"), &mut out);
        assert_eq!(out.matches('\n').count(), 1);
        let back: Message = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(back, message("two\nlines ☃"));
    }

    #[test]
    fn only_jsonl_and_csv_are_formats() {
        assert_eq!(Format::parse("csv"), Ok(Format::Csv));
        assert!(Format::parse("xml").is_err());
    }
}
