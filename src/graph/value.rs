//! Property values of desired and live resources: plain data that the planner compares and prints.

use std::collections::BTreeMap;
use std::fmt;

/// Properties of a resource, by field name, in a stable order.
pub type Props = BTreeMap<String, Value>;

/// A property value. `Ref` and `Unknown` exist only on the desired side. Serialised only inside a
/// saved plan (`plan --out`); `--json` output uses [`Value::to_json`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Value {
    String(String),
    Integer(i64),
    Bool(bool),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// An attribute of another resource (`id`, `arn`, ...), known once that resource exists.
    Ref {
        id: String,
        attribute: String,
    },
    /// Text made of parts joined end to end (`"rediss://" + address`); a plain string once every
    /// part is known.
    Join(Vec<Value>),
    /// A value that will only be known after apply.
    Unknown,
    /// A secret: compared by the hash in `digest`, never shown.
    Sensitive {
        digest: String,
    },
}

impl Value {
    pub fn string(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    /// A reference to another resource's `id` attribute.
    pub fn id_of(id: &str) -> Value {
        Value::Ref { id: id.to_string(), attribute: "id".to_string() }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(number) => Some(*number),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// Joins the parts of a `Join` whose parts are all strings into one string; anything else as is.
    pub fn joined(parts: Vec<Value>) -> Value {
        if parts.iter().all(|part| matches!(part, Value::String(_))) {
            Value::String(parts.iter().filter_map(Value::as_str).collect())
        } else {
            Value::Join(parts)
        }
    }

    /// Whether the value still holds a reference or an unknown part.
    pub fn is_known(&self) -> bool {
        match self {
            Value::Ref { .. } | Value::Unknown | Value::Join(_) => false,
            Value::List(items) => items.iter().all(Value::is_known),
            Value::Map(map) => map.values().all(Value::is_known),
            _ => true,
        }
    }

    /// Every resource id this value refers to.
    pub fn references(&self, into: &mut Vec<String>) {
        match self {
            Value::Ref { id, .. } => into.push(id.clone()),
            Value::List(items) | Value::Join(items) => items.iter().for_each(|item| item.references(into)),
            Value::Map(map) => map.values().for_each(|item| item.references(into)),
            _ => {}
        }
    }

    /// The value as JSON for `plan --json`; unknowns become null and secrets a marker.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::String(text) => serde_json::Value::String(text.clone()),
            Value::Integer(number) => serde_json::Value::from(*number),
            Value::Bool(flag) => serde_json::Value::Bool(*flag),
            Value::List(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(map) => serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Ref { .. } | Value::Unknown | Value::Join(_) => serde_json::Value::Null,
            Value::Sensitive { .. } => serde_json::Value::String("(sensitive)".to_string()),
        }
    }
}

impl fmt::Display for Value {
    /// The one-line form used in human plans.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(text) => write!(formatter, "{text:?}"),
            Value::Integer(number) => write!(formatter, "{number}"),
            Value::Bool(flag) => write!(formatter, "{flag}"),
            Value::List(items) => {
                formatter.write_str("[")?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        formatter.write_str(", ")?;
                    }
                    write!(formatter, "{item}")?;
                }
                formatter.write_str("]")
            }
            Value::Map(map) => {
                formatter.write_str("{ ")?;
                for (index, (key, item)) in map.iter().enumerate() {
                    if index > 0 {
                        formatter.write_str(", ")?;
                    }
                    write!(formatter, "{key} = {item}")?;
                }
                formatter.write_str(" }")
            }
            Value::Ref { .. } | Value::Unknown | Value::Join(_) => formatter.write_str("(known after apply)"),
            Value::Sensitive { .. } => formatter.write_str("(sensitive)"),
        }
    }
}
