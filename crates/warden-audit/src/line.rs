//! A strict, allocation-light reading of one sealed line, for verification.
//!
//! It checks that the line is one JSON object whose members are exactly the
//! record's fields, in the record's order, with values of the record's types;
//! it keeps only what the chain needs (seq, checkpoint, prev, hash) and skips
//! the request without building it.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::kind::is_valid_kind;
use crate::{Capability, Decision, Kind, Outcome};

/// The fields of a record that verification needs.
#[derive(Debug)]
pub(crate) struct LineView<'a> {
    pub(crate) seq: u64,
    pub(crate) checkpoint: Option<CheckpointView<'a>>,
    pub(crate) prev: Cow<'a, str>,
    pub(crate) hash: Cow<'a, str>,
}

/// The checkpoint member of a checkpoint record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckpointView<'a> {
    pub(crate) covers: u64,
    #[serde(borrow)]
    pub(crate) key_id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) signature: Cow<'a, str>,
}

/// A JSON string, borrowed from the line where it has no escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// The record's members, in their one allowed order.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Seq,
    Time,
    Kind,
    Session,
    Identity,
    Task,
    Request,
    Decision,
    Capability,
    Outcome,
    Checkpoint,
    Prev,
    Hash,
}

/// The names of [`Field`], by position.
const NAMES: [&str; 13] = [
    "seq",
    "time",
    "kind",
    "session",
    "identity",
    "task",
    "request",
    "decision",
    "capability",
    "outcome",
    "checkpoint",
    "prev",
    "hash",
];

/// Reads a line (without its newline), or says why it is not a record.
pub(crate) fn parse_line(line: &[u8]) -> Result<LineView<'_>, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let view = deserializer
        .deserialize_map(LineVisitor)
        .and_then(|view| deserializer.end().map(|()| view))
        .map_err(|e| e.to_string())?;
    Ok(view)
}

/// Visits the members of a record in order.
struct LineVisitor;

/// What the visitor has read so far.
#[derive(Default)]
struct Seen<'a> {
    seq: Option<u64>,
    checkpoint_kind: bool,
    checkpoint: Option<CheckpointView<'a>>,
    prev: Option<Cow<'a, str>>,
    hash: Option<Cow<'a, str>>,
}

impl<'de> Visitor<'de> for LineVisitor {
    type Value = LineView<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an audit record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LineView<'de>, A::Error> {
        let mut seen = Seen::default();
        let mut next = 0;
        while let Some(field) = map.next_key::<Field>()? {
            next = in_order(field, next).map_err(de::Error::custom)?;
            read_member(field, &mut map, &mut seen)?;
        }

        if next != NAMES.len() {
            let missing = if next == Field::Checkpoint as usize {
                "prev"
            } else {
                NAMES[next]
            };
            return Err(de::Error::custom(format_args!("missing field `{missing}`")));
        }
        finish(seen).map_err(de::Error::custom)
    }
}

/// Checks that `field` may come when `next` is expected; gives the new `next`.
fn in_order(field: Field, next: usize) -> Result<usize, String> {
    let at = field as usize;
    let skips_checkpoint = next == Field::Checkpoint as usize && at == Field::Prev as usize;
    if at == next || skips_checkpoint {
        return Ok(at + 1);
    }

    Err(match NAMES.get(next) {
        Some(expected) => format!("field `{}` where `{expected}` was expected", NAMES[at]),
        None => format!("field `{}` after `hash`", NAMES[at]),
    })
}

/// Reads the value of one member, checking its type.
fn read_member<'de, A: MapAccess<'de>>(
    field: Field,
    map: &mut A,
    seen: &mut Seen<'de>,
) -> Result<(), A::Error> {
    match field {
        Field::Seq => seen.seq = Some(map.next_value()?),
        Field::Time => check_time(&map.next_value::<Text<'de>>()?.0)?,
        Field::Kind => seen.checkpoint_kind = check_kind(&map.next_value::<Text<'de>>()?.0)?,
        Field::Session | Field::Identity | Field::Task => {
            map.next_value::<Option<Text<'de>>>()?;
        }
        Field::Request => {
            map.next_value::<IgnoredAny>()?;
        }
        Field::Decision => {
            map.next_value::<Option<Decision>>()?;
        }
        Field::Capability => {
            map.next_value::<Option<Capability>>()?;
        }
        Field::Outcome => {
            map.next_value::<Option<Outcome>>()?;
        }
        Field::Checkpoint => seen.checkpoint = Some(map.next_value()?),
        Field::Prev => seen.prev = Some(map.next_value::<Text<'de>>()?.0),
        Field::Hash => seen.hash = Some(map.next_value::<Text<'de>>()?.0),
    }
    Ok(())
}

/// Checks a `time` value.
fn check_time<E: de::Error>(text: &str) -> Result<(), E> {
    humantime::parse_rfc3339(text)
        .map(|_| ())
        .map_err(|e| E::custom(format_args!("time `{text}` is not RFC 3339 UTC: {e}")))
}

/// Checks a `kind` value; tells whether it is the checkpoint kind.
fn check_kind<E: de::Error>(text: &str) -> Result<bool, E> {
    if text == Kind::CHECKPOINT.as_str() {
        return Ok(true);
    }
    if is_valid_kind(text) {
        Ok(false)
    } else {
        Err(E::custom(format_args!("kind `{text}` is not `noun.verb`")))
    }
}

/// Assembles the view once every member was seen.
fn finish(seen: Seen<'_>) -> Result<LineView<'_>, &'static str> {
    if seen.checkpoint_kind != seen.checkpoint.is_some() {
        return Err("kind `checkpoint` and the checkpoint field must come together");
    }

    match (seen.seq, seen.prev, seen.hash) {
        (Some(seq), Some(prev), Some(hash)) => Ok(LineView {
            seq,
            checkpoint: seen.checkpoint,
            prev,
            hash,
        }),
        _ => Err("missing field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = concat!(
        r#"{"seq":1,"time":"2026-01-02T03:04:05.000006Z","kind":"tool.call","session":null,"#,
        r#""identity":"spiffe://example.org/a","task":null,"request":{"a":[1,2]},"#,
        r#""decision":null,"capability":null,"outcome":null,"prev":"00","hash":"ab"}"#
    );

    #[test]
    fn a_well_formed_line_is_read() {
        let view = parse_line(LINE.as_bytes()).map_err(|e| e.to_string());
        let view = view
            .as_ref()
            .map(|v| (v.seq, v.prev.as_ref(), v.hash.as_ref()));
        assert_eq!(view, Ok((1, "00", "ab")));
    }

    #[test]
    fn members_out_of_order_are_refused() {
        let swapped = LINE.replace(r#""session":null,"identity""#, r#""identity""#);
        let swapped = swapped.replace(r#""task":null"#, r#""task":null,"session":null"#);
        let error = parse_line(swapped.as_bytes()).err().unwrap_or_default();
        assert!(
            error.contains("field `identity` where `session` was expected"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_member_is_refused() {
        let missing = LINE.replace(r#""outcome":null,"#, "");
        let error = parse_line(missing.as_bytes()).err().unwrap_or_default();
        assert!(
            error.contains("`prev` where `outcome` was expected"),
            "{error}"
        );
    }
}
