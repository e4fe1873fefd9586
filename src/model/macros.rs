//! The impls every generated struct and enum shares, written once as macros: the
//! generated code says `object!(Name);`, `setters!(Name { .. });` and
//! `spec_enum!(Name, str);` under each type instead of repeating them.

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
