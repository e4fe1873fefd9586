//! What every generated model shares.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A generated model: reports what it holds that the spec does not describe.
///
/// WeChat documents fewer fields than it sends, so replies are never rejected for an
/// unknown field or enum value: unknown fields land in each struct's `extra`, unknown
/// enum values in the enum's `Unknown` variant. [`Model::unknown_fields`] lists them,
/// for logging or to spot that the spec needs an update.
pub trait Model {
    /// `false` for scalars: nothing below them for the walks to look at (so they skip
    /// building the scalar's path).
    const WALKED: bool = true;

    /// Appends the path of every unknown field or enum value below `path`.
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>);

    /// Paths of every unknown field or enum value (`card.discount.base_info.new_field`).
    fn unknown_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_unknown("", &mut out);
        out
    }

    /// Appends the path of every field below `path` that the docs require but the
    /// value lacks (a reply WeChat sent without it).
    fn collect_missing(&self, _path: &str, _out: &mut Vec<String>) {}

    /// Paths of the fields the docs require that this value lacks
    /// (`card.member_card.prerogative`).
    ///
    /// A reply is handed back whatever it lacks (WeChat omits fields routinely): the
    /// field is `None`, nothing is made up, and this lists what was left out. The
    /// clients also log it as a `tracing` warning.
    fn missing_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_missing("", &mut out);
        out
    }

    /// Whether the value is an absent field (`None`).
    fn is_absent(&self) -> bool {
        false
    }
}

/// A generated struct, with its `extra` map of undocumented fields.
pub trait Object: Model {
    /// The struct's name, for messages.
    const NAME: &'static str;
    fn extra(&self) -> &Map<String, Value>;
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
}

macro_rules! opaque_model {
    ($($t:ty),*) => { $(impl Model for $t {
        const WALKED: bool = false;
        fn collect_unknown(&self, _: &str, _: &mut Vec<String>) {}
    })* };
}
// `Value` is the spec's `json` type: untyped on purpose, so nothing in it is unknown.
opaque_model!(String, i64, bool, Value);

impl<T: Model> Model for Option<T> {
    const WALKED: bool = T::WALKED;

    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.collect_unknown(path, out);
        }
    }

    fn collect_missing(&self, path: &str, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.collect_missing(path, out);
        }
    }

    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: Model> Model for Box<T> {
    const WALKED: bool = T::WALKED;

    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        (**self).collect_unknown(path, out);
    }

    fn collect_missing(&self, path: &str, out: &mut Vec<String>) {
        (**self).collect_missing(path, out);
    }
}

impl<T: Model> Model for Vec<T> {
    const WALKED: bool = T::WALKED;

    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        for (i, v) in self.iter().enumerate() {
            v.collect_unknown(&format!("{path}[{i}]"), out);
        }
    }

    fn collect_missing(&self, path: &str, out: &mut Vec<String>) {
        for (i, v) in self.iter().enumerate() {
            v.collect_missing(&format!("{path}[{i}]"), out);
        }
    }
}

/// A struct's `extra`: the fields the spec does not describe. Kept from replies as
/// WeChat sent them, and sent as they are in requests; a described field's name here
/// is refused by validation (set the field instead).
pub type Extra = Map<String, Value>;

/// `path.key`, or `key` at the root.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// What is shown each described field of a generated struct, in spec order
/// ([`Fields::visit`]): the walks that list unknown and missing fields, and the
/// check that no described field hides in `extra`, are visitors.
pub trait Visit {
    /// A field, by its wire name.
    fn field<T: Model + Serialize>(&mut self, key: &'static str, value: &T);

    /// A field the docs require (when it is sent): absent from a reply, it is missing.
    fn required<T: Model + Serialize>(&mut self, key: &'static str, value: &T) {
        self.field(key, value);
    }
}

/// Writes a struct as WeChat reads it: the described fields that are set, in spec
/// order, then `extra` as it is (a described key cannot be in `extra` too: reading
/// puts it in its field, validation refuses it there).
pub fn serialize_object<T: Fields + Object, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    struct Entries<M: SerializeMap> {
        map: M,
        error: Option<M::Error>,
    }
    impl<M: SerializeMap> Visit for Entries<M> {
        fn field<T: Model + Serialize>(&mut self, key: &'static str, value: &T) {
            if self.error.is_none() && !value.is_absent() {
                self.error = self.map.serialize_entry(key, value).err();
            }
        }
    }
    let mut entries = Entries {
        map: serializer.serialize_map(None)?,
        error: None,
    };
    value.visit(&mut entries);
    if let Some(error) = entries.error {
        return Err(error);
    }
    for (key, value) in value.extra() {
        entries.map.serialize_entry(key, value)?;
    }
    entries.map.end()
}

/// Lists the unknown fields and enum values of a struct: its `extra` keys, then
/// whatever its fields hold.
pub fn unknown_in<T: Fields + Object>(value: &T, path: &str, out: &mut Vec<String>) {
    struct Unknown<'a> {
        path: &'a str,
        out: &'a mut Vec<String>,
    }
    impl Visit for Unknown<'_> {
        fn field<T: Model + Serialize>(&mut self, key: &'static str, value: &T) {
            if T::WALKED {
                value.collect_unknown(&join(self.path, key), self.out);
            }
        }
    }
    out.extend(value.extra().keys().map(|k| join(path, k)));
    value.visit(&mut Unknown { path, out });
}

/// Lists the required fields a struct (and what it holds) lacks.
pub fn missing_in<T: Fields>(value: &T, path: &str, out: &mut Vec<String>) {
    struct Missing<'a> {
        path: &'a str,
        out: &'a mut Vec<String>,
    }
    impl Visit for Missing<'_> {
        fn field<T: Model + Serialize>(&mut self, key: &'static str, value: &T) {
            if T::WALKED && !value.is_absent() {
                value.collect_missing(&join(self.path, key), self.out);
            }
        }
        fn required<T: Model + Serialize>(&mut self, key: &'static str, value: &T) {
            match value.is_absent() {
                true => self.out.push(join(self.path, key)),
                false => self.field(key, value),
            }
        }
    }
    value.visit(&mut Missing { path, out });
}

/// The impls every generated struct shares, written once: [`Model`] (walking what
/// [`Fields::visit`] shows), [`Object`], [`Lenient`], `Serialize`
/// ([`serialize_object`]) and `Deserialize` (the one loop of [`deserialize_object`]). Generated code says `object!(Name);` under the struct.
macro_rules! object {
    // A struct the spec describes no field of: everything is in `extra`.
    ($name:ident, only_extra) => {
        impl $crate::model::Fields for $name {
            type Slots = ();
            fn slots() {}
            fn read(_: &mut (), _: &mut impl $crate::model::Reader) {}
            fn build<E: ::serde::de::Error>(_: (), extra: $crate::model::Extra) -> Result<Self, E> {
                Ok(Self { extra })
            }
            fn visit(&self, _: &mut impl $crate::model::Visit) {}
        }
        $crate::model::object!($name);
    };
    ($name:ident) => {
        impl $crate::model::Model for $name {
            fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
                $crate::model::unknown_in(self, path, out)
            }
            fn collect_missing(&self, path: &str, out: &mut Vec<String>) {
                $crate::model::missing_in(self, path, out)
            }
        }
        impl $crate::model::Object for $name {
            const NAME: &'static str = stringify!($name);
            fn extra(&self) -> &::serde_json::Map<String, ::serde_json::Value> {
                &self.extra
            }
            fn extra_mut(&mut self) -> &mut ::serde_json::Map<String, ::serde_json::Value> {
                &mut self.extra
            }
        }
        impl $crate::model::Lenient for $name {}
        impl $crate::validate::Constrained for $name {
            fn constrain(
                &self,
                _: &mut $crate::validate::Checker,
                _: &$crate::validate::Constraint,
            ) {
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::model::serialize_object(self, s)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::model::deserialize_object(d)
            }
        }
    };
}
pub(crate) use object;

/// The setters of a generated struct, one line per field in the generated code:
/// `setters!(Sku { quantity: i64, tags: Vec<String>, card: Box<Card> });`. Each
/// takes the value the way a caller has it (text as `impl Into<String>`, a list as
/// any iterator, a nested object by value) and stores it in the field's `Option`.
macro_rules! setters {
    ($name:ident { $($fields:tt)* }) => {
        impl $name {
            $crate::model::setters!(@each $($fields)*);
        }
    };
    (@each) => {};
    (@each $field:ident: Box<$ty:ty>, $($rest:tt)*) => {
        $crate::model::setters!(@one $field, $ty, Box::new($field));
        $crate::model::setters!(@each $($rest)*);
    };
    (@each $field:ident: Vec<String>, $($rest:tt)*) => {
        $crate::model::setters!(
            @one $field,
            impl IntoIterator<Item = impl Into<String>>,
            $field.into_iter().map(Into::into).collect()
        );
        $crate::model::setters!(@each $($rest)*);
    };
    (@each $field:ident: Vec<$ty:ty>, $($rest:tt)*) => {
        $crate::model::setters!(@one $field, impl IntoIterator<Item = $ty>, $field.into_iter().collect());
        $crate::model::setters!(@each $($rest)*);
    };
    (@each $field:ident: String, $($rest:tt)*) => {
        $crate::model::setters!(@one $field, impl Into<String>, $field.into());
        $crate::model::setters!(@each $($rest)*);
    };
    (@each $field:ident: $ty:ty, $($rest:tt)*) => {
        $crate::model::setters!(@one $field, $ty, $field);
        $crate::model::setters!(@each $($rest)*);
    };
    (@one $field:ident, $param:ty, $stored:expr) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
        pub fn $field(mut self, $field: $param) -> Self {
            self.$field = Some($stored);
            self
        }
    };
}
pub(crate) use setters;

/// The impls every generated enum shares, written once; the generated code keeps what
/// differs (the variants, `as_str`/`as_i64`, `From` the wire value). Generated code
/// says `spec_enum!(Name, str);` or `spec_enum!(Name, int);` under the enum.
macro_rules! spec_enum {
    ($name:ident, str) => {
        impl $crate::validate::Constrained for $name {
            fn constrain(
                &self,
                c: &mut $crate::validate::Checker,
                rule: &$crate::validate::Constraint,
            ) {
                if let $crate::validate::Constraint::OneOfStr(allowed) = *rule {
                    c.one_of_str(self.as_str(), allowed);
                }
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::model::deserialize_str_enum(d)
            }
        }
        $crate::model::spec_enum!($name);
    };
    ($name:ident, int) => {
        impl $crate::validate::Constrained for $name {
            fn constrain(
                &self,
                c: &mut $crate::validate::Checker,
                rule: &$crate::validate::Constraint,
            ) {
                if let $crate::validate::Constraint::OneOfInt(allowed) = *rule {
                    c.one_of_int(self.as_i64(), allowed);
                }
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}", self.as_i64())
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.as_i64())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::model::deserialize_int_enum(d)
            }
        }
        $crate::model::spec_enum!($name);
    };
    ($name:ident) => {
        impl $name {
            /// `false` for [`Self::Unknown`].
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }
        impl $crate::validate::SpecEnum for $name {
            const NAME: &'static str = stringify!($name);
            fn is_known(&self) -> bool {
                self.is_known()
            }
            fn wire(&self) -> String {
                self.to_string()
            }
        }
        impl $crate::validate::Validate for $name {
            fn validate(&self, c: &mut $crate::validate::Checker) {
                c.known(self);
            }
        }
        impl $crate::model::Model for $name {
            fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
                if !self.is_known() {
                    out.push(path.to_owned());
                }
            }
        }
        impl $crate::model::Lenient for $name {}
    };
}
pub(crate) use spec_enum;

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

/// How a generated struct is read from a JSON object: each described key's value goes
/// to its slot as it comes, then the struct is built; the loop is
/// [`deserialize_object`], shared by all of them. The slots are the struct itself when
/// every field is an `Option`, a tuple of `Option`s otherwise (its plain fields must
/// then have arrived).
pub trait Fields: Sized {
    type Slots;
    /// Empty slots, before the first key.
    fn slots() -> Self::Slots;
    /// Puts the value of the reader's key into that key's slot (a match on the key:
    /// the compiler turns it into a jump on its length); leaves a key the spec does
    /// not describe to go to `extra`.
    fn read(slots: &mut Self::Slots, reader: &mut impl Reader);
    /// The struct, with the keys the spec does not describe.
    fn build<E: de::Error>(slots: Self::Slots, extra: Map<String, Value>) -> Result<Self, E>;
    /// Shows `visitor` each described field, in spec order.
    fn visit(&self, visitor: &mut impl Visit);
}

/// One key of a JSON object, read by [`Fields::read`] into its slot.
pub trait Reader {
    /// The key.
    fn key(&self) -> &str;
    /// Reads the key's value into `slot` (see [`read_once`]).
    fn fill<T: Lenient>(&mut self, slot: &mut Option<T>);
}

/// A key as read from the object, and what became of it.
struct KeyReader<'k, 'm, 'de, A: de::MapAccess<'de>> {
    key: &'k str,
    map: &'m mut A,
    /// `Some` once a slot took the value: `Ok`, or why it could not.
    filled: Option<Result<(), A::Error>>,
    input: std::marker::PhantomData<&'de ()>,
}

impl<'de, A: de::MapAccess<'de>> Reader for KeyReader<'_, '_, 'de, A> {
    fn key(&self) -> &str {
        self.key
    }

    fn fill<T: Lenient>(&mut self, slot: &mut Option<T>) {
        self.filled = Some(read_once(self.map, slot, self.key));
    }
}

/// A key of an object: borrowed from the input when it can be (no allocation for a
/// described key), owned when it had escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(k) => k,
            Key::Owned(k) => k,
        }
    }

    fn into_string(self) -> String {
        match self {
            Key::Borrowed(k) => k.to_owned(),
            Key::Owned(k) => k,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Reads any [`Fields`] struct from a JSON object, in one pass.
pub fn deserialize_object<'de, D: Deserializer<'de>, T: Fields + Object>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct ObjectVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Fields + Object> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a {} object", T::NAME)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut slots = T::slots();
            let mut extra = Map::new();
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let mut reader = KeyReader {
                    key: key.as_str(),
                    map: &mut map,
                    filled: None,
                    input: std::marker::PhantomData,
                };
                T::read(&mut slots, &mut reader);
                match reader.filled {
                    Some(filled) => filled?,
                    None => {
                        extra.insert(key.into_string(), map.next_value()?);
                    }
                }
            }
            T::build(slots, extra)
        }
    }
    deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
}

/// `""` where a list or an object was documented is WeChat's empty value: absent.
/// Any other text is not the value.
fn blank_is_absent<T, E: de::Error>(s: &str, expected: &dyn de::Expected) -> Result<Option<T>, E> {
    match s.trim().is_empty() {
        true => Ok(None),
        false => Err(E::invalid_type(de::Unexpected::Str(s), expected)),
    }
}

/// Reads a field's value (see [`Lenient`]) into its slot, refusing a second
/// occurrence of its key: which of the two was meant cannot be known.
pub fn read_once<'de, A: de::MapAccess<'de>, T: Lenient>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &str,
) -> Result<(), A::Error> {
    let value = map.next_value::<Read<T>>()?.0;
    if slot.is_some() {
        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
    }
    *slot = value;
    Ok(())
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
