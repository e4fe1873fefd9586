//! What every generated model shares.

use serde::Serialize;
use serde::de;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

mod lenient;
mod macros;
mod object;

pub use lenient::{Lenient, Read, deserialize_int_enum, deserialize_str_enum};
pub(crate) use macros::{object, setters, spec_enum};
pub use object::{deserialize_object, read_once};

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
/// order, then `extra` as it is (a described key must not be in `extra` too: reading
/// puts it in its field, validation refuses it there; sent unchecked, it would go out
/// twice).
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

/// How a generated struct is read from a JSON object: each described key's value goes
/// to its slot as it comes, then the struct is built; the loop is
/// [`deserialize_object`], shared by all of them. The slots are the struct itself when
/// every field is an `Option`, a tuple of `Option`s otherwise (tuples of 12, nested
/// beyond: `slots.1.0` is the 13th field; its plain fields must
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
