//! The one loop that reads every generated struct from a JSON object.

use super::{Fields, Lenient, Object, Read, Reader};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Map;
use std::fmt;

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
