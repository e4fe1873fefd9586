//! Reading values as WeChat writes them, not only as its docs do ([`Lenient`]).

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::Value;
use std::fmt;

/// How a field's value is read: as WeChat writes it, not only as its docs do.
///
/// `null` is "absent"; integers may come as numeric strings ("finally passed as
/// strings", say the card tables) and strings as numbers; flags as `0`/`1` or
/// `"true"`/`"false"`. Anything else that does not fit is an error naming the field.
/// Generated models and enums implement it through their own `Deserialize`.
pub trait Lenient: DeserializeOwned {
    /// Reads a value, `None` for `null`.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        Option::<Self>::deserialize(deserializer)
    }
}

/// A field's value as [`Lenient`] reads it; the generated `Deserialize` impls take
/// `.0` out.
pub struct Read<T>(pub Option<T>);

impl<'de, T: Lenient> Deserialize<'de> for Read<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(Read)
    }
}

impl Lenient for Value {
    /// `null` is kept: for an untyped field it is a value like any other.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        Value::deserialize(deserializer).map(Some)
    }
}

impl Lenient for crate::FilePart {}

/// Nested objects (stored boxed): an object, or — WeChat's way of writing an empty
/// one — `""` or `[]`, read as absent.
impl<T: Lenient> Lenient for Box<T> {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for Object<T> {
            type Value = Option<Box<T>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                blank_is_absent(s, &self)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                match seq.next_element::<de::IgnoredAny>()? {
                    None => Ok(None),
                    Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
                }
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let value = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Some(Box::new(value)))
            }
        }
        deserializer.deserialize_any(Object(std::marker::PhantomData))
    }
}

impl<T: Lenient> Lenient for Vec<T> {
    /// Elements are read leniently too; a `null` element is left out.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        struct Items<T>(std::marker::PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for Items<T> {
            type Value = Option<Vec<T>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            /// `{}` or `""` where a list was documented: an empty container in the
            /// wrong shape, read as absent.
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                match map.next_key::<de::IgnoredAny>()? {
                    None => Ok(None),
                    Some(_) => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
                }
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                blank_is_absent(s, &self)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(Read(item)) = seq.next_element::<Read<T>>()? {
                    out.extend(item);
                }
                Ok(Some(out))
            }
        }
        deserializer.deserialize_any(Items(std::marker::PhantomData))
    }
}

/// One visitor for the scalars: what each accepts is in its `visit_*` methods.
struct Scalar<T>(std::marker::PhantomData<T>);

/// What a lenient reader makes of a scalar: a value, "absent" (`Some(None)`: a blank
/// string where a number or flag was expected) or nothing it can use (`None`: an
/// error naming the field).
type Conversion<T> = Option<Option<T>>;

macro_rules! lenient_scalar {
    ($t:ty, $expecting:literal, |$v:ident: Scalar| $convert:expr) => {
        impl Lenient for $t {
            fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
                d.deserialize_any(Scalar::<$t>(std::marker::PhantomData))
            }
        }
        impl<'de> Visitor<'de> for Scalar<$t> {
            type Value = Option<$t>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str($expecting)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                <$t as Lenient>::read(d)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
                let $v = ScalarValue::Bool(b);
                let converted: Conversion<$t> = $convert;
                converted.ok_or_else(|| E::invalid_type(de::Unexpected::Bool(b), &self))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
                let $v = ScalarValue::Int(n);
                let converted: Conversion<$t> = $convert;
                converted.ok_or_else(|| E::invalid_type(de::Unexpected::Signed(n), &self))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                let $v = match i64::try_from(n) {
                    Ok(i) => ScalarValue::Int(i),
                    Err(_) => ScalarValue::Unsigned(n),
                };
                let converted: Conversion<$t> = $convert;
                converted.ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(n), &self))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
                let $v = ScalarValue::Float(x);
                let converted: Conversion<$t> = $convert;
                converted.ok_or_else(|| E::invalid_type(de::Unexpected::Float(x), &self))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                let $v = ScalarValue::Str(s);
                let converted: Conversion<$t> = $convert;
                converted.ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
            }
        }
    };
}

/// A JSON scalar as the lenient readers see it.
enum ScalarValue<'a> {
    Bool(bool),
    Int(i64),
    /// Above `i64::MAX`.
    Unsigned(u64),
    Float(f64),
    Str(&'a str),
}

/// Below 2^53 a float holds every integer exactly; above, its digits are made up.
const EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// An integer, also when written as a numeric string or an integral float; a blank
/// string is absent.
fn as_int(v: ScalarValue<'_>) -> Conversion<i64> {
    match v {
        ScalarValue::Int(n) => Some(Some(n)),
        ScalarValue::Float(x) if x.fract() == 0.0 && x.abs() < EXACT_FLOAT => Some(Some(x as i64)),
        ScalarValue::Str(s) if s.trim().is_empty() => Some(None),
        ScalarValue::Str(s) => s.trim().parse().ok().map(Some),
        _ => None,
    }
}

lenient_scalar!(
    i64,
    "an integer (or one written as a string)",
    |v: Scalar| as_int(v)
);
// A number where text was documented (a code sent as 123456): its exact digits, or
// nothing rather than digits a float made up.
lenient_scalar!(String, "a string", |v: Scalar| match v {
    ScalarValue::Str(s) => Some(Some(s.to_owned())),
    ScalarValue::Int(n) => Some(Some(n.to_string())),
    ScalarValue::Unsigned(n) => Some(Some(n.to_string())),
    ScalarValue::Float(x) if x.abs() < EXACT_FLOAT => Some(Some(x.to_string())),
    ScalarValue::Float(_) | ScalarValue::Bool(_) => None,
});
lenient_scalar!(bool, "true or false", |v: Scalar| match v {
    ScalarValue::Bool(b) => Some(Some(b)),
    ScalarValue::Int(0) => Some(Some(false)),
    ScalarValue::Int(1) => Some(Some(true)),
    ScalarValue::Str("true" | "1") => Some(Some(true)),
    ScalarValue::Str("false" | "0") => Some(Some(false)),
    ScalarValue::Str(s) if s.trim().is_empty() => Some(None),
    _ => None,
});

/// Reads a string enum: its text, or a number WeChat (or an old doc) wrote instead,
/// read by its decimal text (`1` and `"1"` name the same value).
pub fn deserialize_str_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct StrVisitor<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> Visitor<'_> for StrVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
            Ok(T::from(&n.to_string()))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
            Ok(T::from(&n.to_string()))
        }
    }
    deserializer.deserialize_any(StrVisitor(std::marker::PhantomData))
}

/// Reads an integer enum: a number, or a numeric string.
pub fn deserialize_int_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: From<i64>,
{
    match i64::read(deserializer)? {
        Some(n) => Ok(T::from(n)),
        None => Err(de::Error::invalid_type(de::Unexpected::Unit, &"an integer")),
    }
}

/// `""` where a list or an object was documented is WeChat's empty value: absent.
/// Any other text is not the value.
fn blank_is_absent<T, E: de::Error>(s: &str, expected: &dyn de::Expected) -> Result<Option<T>, E> {
    match s.trim().is_empty() {
        true => Ok(None),
        false => Err(E::invalid_type(de::Unexpected::Str(s), expected)),
    }
}
