//! Typed properties: each driver decodes the resolved properties of its step into its own struct,
//! once, at this boundary (a missing or mistyped key is an error here, not an empty string), and
//! builds the live side's properties from the same struct, so both sides use the same names.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::AwsError;
use crate::graph::{Props, Value};

pub use crate::graph::properties::Tags;

/// Decodes resolved properties into `T`. References are resolved before a step runs, so one left
/// is a bug; so is a key `T` does not know or one it needs and lacks.
pub fn decode<T: DeserializeOwned>(resource: &str, props: &Props) -> Result<T, AwsError> {
    check::<T>(props).and_then(|()| from_props(props)).map_err(|error| {
        AwsError::refused(resource, format!("its properties do not fit its driver: {error}; this is a bug in wl-infra"))
    })
}

/// Whether `props` decode into `T` (the graph's names and the driver's agree).
pub fn check<T: DeserializeOwned>(props: &Props) -> Result<(), String> {
    from_props::<T>(props).map(|_| ())
}

fn from_props<T: DeserializeOwned>(props: &Props) -> Result<T, String> {
    let json = serde_json::Value::Object(
        props.iter().map(|(key, value)| Ok((key.clone(), to_json(value)?))).collect::<Result<_, String>>()?,
    );
    serde_json::from_value(json).map_err(|error| error.to_string())
}

/// The properties of a live resource, from its driver's struct. A field without a value (`None`)
/// is left out, as the graph leaves out an optional field it does not set.
pub fn encode<T: Serialize>(value: &T) -> Props {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => fields_of(map),
        // Every driver's properties are a struct of plain fields: nothing else reaches here.
        _ => Props::new(),
    }
}

fn to_json(value: &Value) -> Result<serde_json::Value, String> {
    Ok(match value {
        Value::String(text) => serde_json::Value::String(text.clone()),
        Value::Integer(number) => serde_json::Value::from(*number),
        Value::Bool(flag) => serde_json::Value::Bool(*flag),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(map) => serde_json::Value::Object(
            map.iter().map(|(key, value)| Ok((key.clone(), to_json(value)?))).collect::<Result<_, String>>()?,
        ),
        Value::Sensitive { digest } => serde_json::json!({ "sensitive": digest }),
        Value::Ref { id, attribute } => return Err(format!("the {attribute} of {id} is not resolved")),
        Value::Join(_) | Value::Unknown => return Err("a value is not resolved".to_string()),
    })
}

fn fields_of(map: serde_json::Map<String, serde_json::Value>) -> Props {
    map.into_iter().filter(|(_, value)| !value.is_null()).map(|(key, value)| (key, from_json(value))).collect()
}

fn from_json(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::String(text) => Value::String(text),
        serde_json::Value::Number(number) => Value::Integer(number.as_i64().unwrap_or_default()),
        serde_json::Value::Bool(flag) => Value::Bool(flag),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Value::Map(fields_of(map)),
        serde_json::Value::Null => Value::Unknown,
    }
}

/// The live side's tags as a `tags` map: AWS's own `aws:` tags are left out.
pub fn tags_of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tags {
    pairs.into_iter().filter(|(key, _)| !key.starts_with("aws:")).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Example {
        name: String,
        port: u16,
        public: bool,
        subnets: Vec<String>,
        tags: Tags,
        /// Left out of `props()`: decoded as `None`, and left out again by `encode`.
        read_only: Option<String>,
    }

    fn props() -> Props {
        let mut props = Props::new();
        props.insert("name".into(), Value::string("web"));
        props.insert("port".into(), Value::Integer(8001));
        props.insert("public".into(), Value::Bool(false));
        props.insert("subnets".into(), Value::List(vec![Value::string("subnet-1")]));
        props.insert("tags".into(), Value::Map([("wl:id".to_string(), Value::string("web"))].into()));
        props
    }

    #[test]
    fn properties_round_trip_through_the_driver_s_struct() {
        let decoded: Example = decode("example", &props()).expect("decodes");
        assert_eq!(decoded.port, 8001);
        assert_eq!(encode(&decoded), props());
    }

    #[test]
    fn a_typo_a_missing_key_a_wrong_type_and_a_reference_are_errors_at_the_boundary() {
        let mut typo = props();
        let port = typo.remove("port").expect("port");
        typo.insert("prot".into(), port);
        assert!(check::<Example>(&typo).is_err_and(|e| e.contains("prot")));
        let mut wrong = props();
        wrong.insert("port".into(), Value::string("8001"));
        assert!(check::<Example>(&wrong).is_err());
        let mut unresolved = props();
        unresolved.insert("name".into(), Value::id_of("vpc"));
        let error = decode::<Example>("example", &unresolved).expect_err("a bug");
        assert!(error.to_string().contains("the id of vpc is not resolved"), "{error}");
    }
}
