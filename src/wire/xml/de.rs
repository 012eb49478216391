//! The XML-RPC `serde::Deserializer`: reads values straight off the scanner, no tree.

use std::borrow::Cow;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::escape::excerpt;
use super::scan::{Head, Kind, Scanner};
use crate::error::Error;
use crate::types::DATETIME_NEWTYPE;
use crate::wire::float::parse_f64;

/// Deserializes the `<value>` at the scanner's cursor.
pub(crate) struct XmlDeserializer<'de> {
    pub(crate) sc: Scanner<'de>,
    /// A head read ahead by `deserialize_option`, handed to the next request.
    peeked: Option<Head<'de>>,
}

impl<'de> XmlDeserializer<'de> {
    pub(crate) fn new(body: &'de [u8], max_depth: usize) -> Result<Self, Error> {
        Ok(XmlDeserializer {
            sc: Scanner::new(body, max_depth)?,
            peeked: None,
        })
    }

    fn head(&mut self) -> Result<Head<'de>, Error> {
        match self.peeked.take() {
            Some(h) => Ok(h),
            None => self.sc.head(),
        }
    }

    /// Hands an array or struct head to the visitor (scalars go through [`ScalarDe`]).
    fn compound<V: Visitor<'de>>(
        &mut self,
        head: Head<'de>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match head {
            Head::Scalar { kind, text, at } => ScalarDe { kind, text, at }.deserialize_any(visitor),
            Head::Array { empty } => {
                let mut acc = Elements {
                    de: self,
                    done: empty,
                };
                let v = visitor.visit_seq(&mut acc)?;
                if !acc.done {
                    self.sc.skip_elements()?;
                }
                Ok(v)
            }
            Head::Struct { empty } => {
                let mut acc = Members {
                    de: self,
                    done: empty,
                };
                let v = visitor.visit_map(&mut acc)?;
                if !acc.done {
                    self.sc.skip_members()?;
                }
                Ok(v)
            }
        }
    }
}

/// Scalars go to [`ScalarDe`]'s method of the same name; arrays and structs to their visitor.
macro_rules! scalar_or_compound {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.head()? {
                Head::Scalar { kind, text, at } => {
                    ScalarDe { kind, text, at }.$method(visitor).map_err(|e| e.at_offset(at))
                }
                head => self.compound(head, visitor),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for &mut XmlDeserializer<'de> {
    type Error = Error;

    scalar_or_compound!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_identifier,
        deserialize_seq,
        deserialize_map
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.head()? {
            Head::Scalar {
                kind: Kind::Nil, ..
            } => visitor.visit_none(),
            head => {
                self.peeked = Some(head);
                visitor.visit_some(self)
            }
        }
    }

    /// A void result may be spelled in any way; whatever is there is skipped.
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_ignored_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_ignored_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.head()? {
            Head::Scalar { kind, text, at } => {
                ScalarDe { kind, text, at }.deserialize_newtype_struct(name, visitor)
            }
            head => {
                self.peeked = Some(head);
                visitor.visit_newtype_struct(self)
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    /// A record is a struct on the wire; an array is refused (serde's derived records would
    /// otherwise fill their fields from its elements by position).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.head()? {
            Head::Array { empty } => {
                if !empty {
                    self.sc.skip_elements()?;
                }
                Err(de::Error::invalid_type(de::Unexpected::Seq, &visitor))
            }
            head => {
                self.peeked = Some(head);
                self.deserialize_map(visitor)
            }
        }
    }

    /// Enums travel as strings; an enum with data as a one-member struct.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.head()? {
            Head::Scalar { kind, text, at } => {
                ScalarDe { kind, text, at }.deserialize_enum(name, variants, visitor)
            }
            Head::Struct { empty: false } => {
                let v = visitor.visit_enum(VariantStruct { de: self })?;
                self.sc.close("member")?;
                match self.sc.member_name()? {
                    None => Ok(v),
                    Some(_) => Err(self
                        .sc
                        .error("</struct> after the single member of an enum")),
                }
            }
            head => self.compound(head, visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peeked.take() {
            None => self.sc.skip_value()?,
            Some(Head::Scalar { .. }) => {}
            Some(Head::Array { empty }) => {
                if !empty {
                    self.sc.skip_elements()?;
                }
            }
            Some(Head::Struct { empty }) => {
                if !empty {
                    self.sc.skip_members()?;
                }
            }
        }
        visitor.visit_unit()
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
}

struct Elements<'a, 'de> {
    de: &'a mut XmlDeserializer<'de>,
    done: bool,
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        if !self.de.sc.next_element()? {
            self.done = true;
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

struct Members<'a, 'de> {
    de: &'a mut XmlDeserializer<'de>,
    done: bool,
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        let at = self.de.sc.pos;
        match self.de.sc.member_name()? {
            None => {
                self.done = true;
                Ok(None)
            }
            Some(text) => seed
                .deserialize(ScalarDe {
                    kind: Kind::Bare,
                    text,
                    at,
                })
                .map(Some),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let v = seed.deserialize(&mut *self.de)?;
        self.de.sc.close("member")?;
        Ok(v)
    }
}

/// An enum with data, as the struct `{variant: data}`; positioned inside `<struct>`.
struct VariantStruct<'a, 'de> {
    de: &'a mut XmlDeserializer<'de>,
}

impl<'de, 'a> EnumAccess<'de> for VariantStruct<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let at = self.de.sc.pos;
        let Some(text) = self.de.sc.member_name()? else {
            return Err(Error::decode(
                "a struct member naming the enum variant",
                "</struct>",
                at,
            ));
        };
        let v = seed.deserialize(ScalarDe {
            kind: Kind::Bare,
            text,
            at,
        })?;
        Ok((v, self))
    }
}

impl<'de> VariantAccess<'de> for VariantStruct<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserializer::deserialize_ignored_any(&mut *self.de, de::IgnoredAny).map(|_| ())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.de.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.de.deserialize_map(visitor)
    }
}

/// A scalar already read (or a struct member name): converts its text on request, so a bare
/// `<value>42</value>` serves `deserialize_i64` and a `<boolean>` serves `deserialize_bool`.
pub(crate) struct ScalarDe<'de> {
    pub(crate) kind: Kind,
    pub(crate) text: Cow<'de, str>,
    /// Where the text starts in the body.
    pub(crate) at: usize,
}

impl<'de> ScalarDe<'de> {
    fn mismatch(&self, expected: &str) -> Error {
        let found = match self.kind {
            Kind::Nil => "<nil/>".to_owned(),
            kind => format!("{} {:?}", kind.describe(), excerpt(&self.text)),
        };
        Error::decode(expected, found, self.at)
    }

    fn textual(&self) -> bool {
        matches!(self.kind, Kind::Bare | Kind::Str)
    }

    fn int_text(&self, expected: &str) -> Result<&str, Error> {
        if self.textual() || self.kind == Kind::Int {
            Ok(self.text.trim())
        } else {
            Err(self.mismatch(expected))
        }
    }

    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.text {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    fn base64(&self) -> Result<Vec<u8>, Error> {
        use base64::Engine as _;
        let compact: String = self.text.split_ascii_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| {
                Error::decode(
                    "base64 data",
                    format!("{:?} ({e})", excerpt(&self.text)),
                    self.at,
                )
            })
    }

    fn bool_value(&self) -> Result<bool, Error> {
        if matches!(self.kind, Kind::Bool | Kind::Bare | Kind::Str) {
            let t = self.text.trim();
            if t == "1" || t.eq_ignore_ascii_case("true") {
                return Ok(true);
            }
            if t == "0" || t.eq_ignore_ascii_case("false") {
                return Ok(false);
            }
        }
        Err(self.mismatch("a boolean (1, 0, true or false)"))
    }

    fn i64_value(&self) -> Result<i64, Error> {
        let t = self.int_text("a 64-bit integer")?;
        t.parse().map_err(|_| self.mismatch("a 64-bit integer"))
    }

    fn u64_value(&self) -> Result<u64, Error> {
        let t = self.int_text("an unsigned 64-bit integer")?;
        t.parse()
            .map_err(|_| self.mismatch("an unsigned 64-bit integer"))
    }

    fn f64_value(&self) -> Result<f64, Error> {
        if matches!(self.kind, Kind::Double | Kind::Int | Kind::Bare | Kind::Str) {
            if let Some(v) = parse_f64(&self.text) {
                return Ok(v);
            }
        }
        Err(self.mismatch("a double"))
    }
}

macro_rules! forward_scalar {
    ($($method:ident => $via:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.$via(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for ScalarDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Bare | Kind::Str => self.visit_text(visitor),
            Kind::Int => visitor.visit_i64(self.i64_value()?),
            Kind::Bool => visitor.visit_bool(self.bool_value()?),
            Kind::Double => visitor.visit_f64(self.f64_value()?),
            Kind::DateTime => visitor.visit_newtype_struct(self),
            Kind::Base64 => visitor.visit_byte_buf(self.base64()?),
            Kind::Nil => visitor.visit_unit(),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.bool_value()?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i64(self.i64_value()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u64(self.u64_value()?)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(self.f64_value()?)
    }

    forward_scalar!(
        deserialize_i8 => deserialize_i64, deserialize_i16 => deserialize_i64,
        deserialize_i32 => deserialize_i64, deserialize_i128 => deserialize_i64,
        deserialize_u8 => deserialize_u64, deserialize_u16 => deserialize_u64,
        deserialize_u32 => deserialize_u64, deserialize_u128 => deserialize_u64,
        deserialize_f32 => deserialize_f64, deserialize_char => deserialize_str,
        deserialize_string => deserialize_str, deserialize_identifier => deserialize_str,
        deserialize_byte_buf => deserialize_bytes, deserialize_ignored_any => deserialize_unit
    );

    /// `<nil/>` where a string, an array or a struct is asked for reads as the empty one (xend
    /// and fakes send it for "nothing"), so one odd field does not fail a whole record.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Nil => visitor.visit_borrowed_str(""),
            Kind::Base64 => {
                let bytes = self.base64()?;
                let s =
                    String::from_utf8(bytes).map_err(|_| self.mismatch("base64 of UTF-8 text"))?;
                visitor.visit_string(s)
            }
            _ => self.visit_text(visitor),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match (self.kind, self.text) {
            (Kind::Base64, text) => visitor.visit_byte_buf(
                ScalarDe {
                    kind: Kind::Base64,
                    text,
                    at: self.at,
                }
                .base64()?,
            ),
            (Kind::Nil, text) => Err(ScalarDe {
                kind: Kind::Nil,
                text,
                at: self.at,
            }
            .mismatch("bytes")),
            (_, Cow::Borrowed(s)) => visitor.visit_borrowed_bytes(s.as_bytes()),
            (_, Cow::Owned(s)) => visitor.visit_byte_buf(s.into_bytes()),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Nil => {
                visitor.visit_seq(de::value::SeqDeserializer::new(std::iter::empty::<()>()))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Nil => visitor
                .visit_map(de::value::MapDeserializer::new(
                    std::iter::empty::<((), ())>(),
                )),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Nil => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == DATETIME_NEWTYPE && !matches!(self.kind, Kind::DateTime | Kind::Bare | Kind::Str)
        {
            return Err(self.mismatch("a <dateTime.iso8601>"));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.textual() {
            visitor.visit_enum(self)
        } else {
            Err(self.mismatch("an enum value (a string)"))
        }
    }
}

impl<'de> EnumAccess<'de> for ScalarDe<'de> {
    type Error = Error;
    type Variant = UnitOnly;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, UnitOnly), Error> {
        seed.deserialize(self).map(|v| (v, UnitOnly))
    }
}

/// The variant of an enum spelled as a plain string: it carries no data.
pub(crate) struct UnitOnly;

impl<'de> VariantAccess<'de> for UnitOnly {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"an enum variant with data",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"a tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"a struct variant",
        ))
    }
}
