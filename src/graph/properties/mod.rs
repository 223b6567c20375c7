//! Each kind's typed properties, shared by the graph (which builds them) and the kind's driver
//! (which decodes them and reads them back from AWS). Pure: plain data and serde.
//!
//! One `properties!` definition per kind makes three things that cannot drift apart:
//! - `XProps`: the properties as the driver decodes them (resolved, every field concrete) and as
//!   discovery reads them from AWS;
//! - `XFields<T>`: one `T` per field. `XFields<Value>` is what the graph fills in (a field may be a
//!   reference to another resource's id), so a misspelt or forgotten field is a compile error;
//! - `XProps::NAMES`: an `XFields<&str>` of the field names, for the kind registry's
//!   `replace_fields` and for a driver asking which fields an update changes.

pub mod compute;
pub mod data;
pub mod edge;
pub mod monitoring;
pub mod network;

use super::{Kind, Value};

/// The tags of a resource, by key.
pub type Tags = std::collections::BTreeMap<String, String>;

/// What a field of `XFields<T>` is when the field may be left out: `Option<Value>` when the graph
/// fills it in, the plain name in `NAMES`.
pub trait FieldOf {
    type Optional;
}

impl FieldOf for Value {
    type Optional = Option<Value>;
}

impl FieldOf for &'static str {
    type Optional = &'static str;
}

/// A field's name from its identifier: serde names `r#type` "type".
pub const fn field_name(identifier: &'static str) -> &'static str {
    match identifier.as_bytes() {
        [b'r', b'#', ..] => match std::str::from_utf8(identifier.as_bytes().split_at(2).1) {
            Ok(name) => name,
            Err(_) => identifier,
        },
        _ => identifier,
    }
}

/// The desired fields of one kind's resource, as the graph builds them.
pub trait DesiredFields {
    /// The kind these fields belong to: the graph cannot give a subnet a VPC's fields.
    const KIND: Kind;
    /// Whether the kind's resources carry the stack's tags (some kinds AWS cannot tag).
    const TAGGED: bool;
    /// Each field set, by its name.
    fn into_fields(self) -> Vec<(&'static str, Value)>;
}

/// Defines a kind's `XProps`, `XFields<T>` and `XProps::NAMES` from one list of fields.
///
/// - `Kind: XProps, XFields, tagged { ... }`: a kind whose `XProps` also hold the `tags` the graph
///   adds to every resource of a kind AWS can tag (`untagged` for the others);
/// - `shared [KindA => AFields, KindB => BFields]: XProps, XFields, tagged { ... }`: one set of
///   properties two kinds share; the graph wraps the fields in the kind's own type;
/// - `nested XProps, XFields { ... }`: a value inside a kind's properties (a route, a rule), which
///   the graph builds as a map that may hold references;
/// - a field written `name [optional]: Option<Type>` may be left out (`None`) by the graph; left
///   out, it is absent from the properties (`aws::props::encode` drops it on the live side).
///
/// The caller writes the struct's `#[derive]` (serde's is added, with `deny_unknown_fields`).
macro_rules! properties {
    (
        $(#[$struct_meta:meta])*
        $kind:ident: $props:ident, $fields:ident, $tagging:ident {
            $( $(#[$field_meta:meta])* $field:ident $([$optional:ident])? : $ty:ty ),* $(,)?
        }
    ) => {
        $crate::graph::properties::properties!(@struct $tagging [$(#[$struct_meta])*] $props {
            $( [$(#[$field_meta])*] $field: $ty ),*
        });
        $crate::graph::properties::properties!(@fields $props, $fields { $( $field $([$optional])? ),* });
        $crate::graph::properties::properties!(@kind $kind, $fields<$crate::graph::Value>, $tagging, |fields| {
            $fields::into_fields(fields)
        });
    };
    (
        $(#[$struct_meta:meta])*
        shared [$( $kind:ident => $wrapper:ident ),*]: $props:ident, $fields:ident, $tagging:ident {
            $( $(#[$field_meta:meta])* $field:ident $([$optional:ident])? : $ty:ty ),* $(,)?
        }
    ) => {
        $crate::graph::properties::properties!(@struct $tagging [$(#[$struct_meta])*] $props {
            $( [$(#[$field_meta])*] $field: $ty ),*
        });
        $crate::graph::properties::properties!(@fields $props, $fields { $( $field $([$optional])? ),* });
        $(
            #[doc = concat!("The fields of a `", stringify!($kind), "` (", stringify!($fields), "), as the graph builds them.")]
            pub struct $wrapper(pub $fields<$crate::graph::Value>);

            $crate::graph::properties::properties!(@kind $kind, $wrapper, $tagging, |wrapper| {
                wrapper.0.into_fields()
            });
        )*
    };
    (
        $(#[$struct_meta:meta])*
        nested $props:ident, $fields:ident {
            $( $(#[$field_meta:meta])* $field:ident $([$optional:ident])? : $ty:ty ),* $(,)?
        }
    ) => {
        $crate::graph::properties::properties!(@struct untagged [$(#[$struct_meta])*] $props {
            $( [$(#[$field_meta])*] $field: $ty ),*
        });
        $crate::graph::properties::properties!(@fields $props, $fields { $( $field $([$optional])? ),* });

        impl From<$fields<$crate::graph::Value>> for $crate::graph::Value {
            fn from(fields: $fields<$crate::graph::Value>) -> $crate::graph::Value {
                $crate::graph::Value::Map(
                    fields.into_fields().into_iter().map(|(name, value)| (name.to_string(), value)).collect(),
                )
            }
        }
    };
    (@struct tagged [$(#[$struct_meta:meta])*] $props:ident { $( [$(#[$field_meta:meta])*] $field:ident: $ty:ty ),* }) => {
        $(#[$struct_meta])*
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $props {
            $( $(#[$field_meta])* pub $field: $ty, )*
            pub tags: $crate::graph::properties::Tags,
        }
    };
    (@struct untagged [$(#[$struct_meta:meta])*] $props:ident { $( [$(#[$field_meta:meta])*] $field:ident: $ty:ty ),* }) => {
        $(#[$struct_meta])*
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $props {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }
    };
    (@fields $props:ident, $fields:ident { $( $field:ident $([$optional:ident])? ),* }) => {
        #[doc = concat!("One `T` per field of [`", stringify!($props), "`] (but its tags): its desired value or its name.")]
        pub struct $fields<T: $crate::graph::properties::FieldOf> {
            $( pub $field: $crate::graph::properties::properties!(@field_type T $($optional)?), )*
        }

        impl $props {
            /// The name of each field, as it is keyed in the properties.
            pub const NAMES: $fields<&'static str> =
                $fields { $( $field: $crate::graph::properties::field_name(stringify!($field)), )* };
        }

        impl $fields<$crate::graph::Value> {
            /// Each field set, by its name.
            #[allow(clippy::vec_init_then_push)]
            pub fn into_fields(self) -> Vec<(&'static str, $crate::graph::Value)> {
                #[allow(unused_mut)]
                let mut fields = Vec::new();
                $( $crate::graph::properties::properties!(@push fields, $field, self.$field $(, $optional)?); )*
                fields
            }
        }
    };
    (@kind $kind:ident, $type:ty, $tagging:ident, |$value:ident| $into_fields:block) => {
        impl $crate::graph::properties::DesiredFields for $type {
            const KIND: $crate::graph::Kind = $crate::graph::Kind::$kind;
            const TAGGED: bool = $crate::graph::properties::properties!(@tagged $tagging);

            fn into_fields(self) -> Vec<(&'static str, $crate::graph::Value)> {
                let $value = self;
                $into_fields
            }
        }
    };
    (@tagged tagged) => { true };
    (@tagged untagged) => { false };
    (@field_type $t:ident) => { $t };
    (@field_type $t:ident optional) => { <$t as $crate::graph::properties::FieldOf>::Optional };
    (@push $fields:ident, $field:ident, $value:expr) => {
        $fields.push(($crate::graph::properties::field_name(stringify!($field)), $value))
    };
    (@push $fields:ident, $field:ident, $value:expr, optional) => {
        if let Some(value) = $value {
            $fields.push(($crate::graph::properties::field_name(stringify!($field)), value));
        }
    };
}

pub(crate) use properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_identifier_is_named_as_serde_names_it() {
        assert_eq!(field_name("r#type"), "type");
        assert_eq!(field_name("route"), "route");
        assert_eq!(compute::LoadBalancerProps::NAMES.r#type, "type");
    }
}
