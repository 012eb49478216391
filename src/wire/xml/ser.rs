//! The XML-RPC serializer: writes `<value>…</value>` exactly as xapi spells it.

use serde::ser::{self, Impossible, Serialize};

use super::escape::escape_into;
use crate::error::Error;
use crate::types::DATETIME_NEWTYPE;
use crate::wire::float::format_g;

/// Writes one `<value>` element per serialized value into `out`.
///
/// Spellings (xapi's): strings and 64-bit integers as bare text, integers of 32 bits or fewer
/// as `<i4>`, `<boolean>1|0</boolean>`, `<double>` in `%.16g`, `<dateTime.iso8601>` for
/// [`crate::DateTime`], `<nil/>` for `None`/[`crate::Value::Nil`], an empty `<value></value>`
/// for `()` (a void result), unit enum variants as their name, bytes as `<base64>`.
pub(crate) struct ValueWriter<'a> {
    pub(crate) out: &'a mut Vec<u8>,
}

impl ValueWriter<'_> {
    fn bare(&mut self, text: &str) -> Result<(), Error> {
        self.out.extend_from_slice(b"<value>");
        escape_into(self.out, text)?;
        self.out.extend_from_slice(b"</value>");
        Ok(())
    }

    fn tagged(&mut self, tag: &str, text: &str) {
        self.out.extend_from_slice(b"<value><");
        self.out.extend_from_slice(tag.as_bytes());
        self.out.push(b'>');
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(tag.as_bytes());
        self.out.extend_from_slice(b"></value>");
    }

    fn open_struct(&mut self) {
        self.out.extend_from_slice(b"<value><struct>");
    }

    fn member_name(&mut self, name: &str) -> Result<(), Error> {
        self.out.extend_from_slice(b"<member><name>");
        escape_into(self.out, name)?;
        self.out.extend_from_slice(b"</name>");
        Ok(())
    }
}

impl<'a, 'b> ser::Serializer for &'b mut ValueWriter<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.tagged("boolean", if v { "1" } else { "0" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i32(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i32(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.tagged("i4", &v.to_string());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.bare(&v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.bare(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_i32(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_i32(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.bare(&v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.bare(&v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.tagged("double", &format_g(v));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.bare(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.bare(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use base64::Engine as _;
        self.tagged(
            "base64",
            &base64::engine::general_purpose::STANDARD.encode(v),
        );
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"<value><nil/></value>");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"<value></value>");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        if name == DATETIME_NEWTYPE {
            let text = v.serialize(KeyCapture)?;
            self.out.extend_from_slice(b"<value><dateTime.iso8601>");
            escape_into(self.out, &text)?;
            self.out.extend_from_slice(b"</dateTime.iso8601></value>");
            Ok(())
        } else {
            v.serialize(self)
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.open_struct();
        self.member_name(variant)?;
        v.serialize(&mut *self)?;
        self.out.extend_from_slice(b"</member></struct></value>");
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.out.extend_from_slice(b"<value><array><data>");
        Ok(Compound {
            w: self,
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.open_struct();
        self.member_name(variant)?;
        self.out.extend_from_slice(b"<value><array><data>");
        Ok(Compound {
            w: self,
            variant: true,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.open_struct();
        Ok(Compound {
            w: self,
            variant: false,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.open_struct();
        self.member_name(variant)?;
        self.open_struct();
        Ok(Compound {
            w: self,
            variant: true,
        })
    }
}

/// An array or struct being written; `variant` marks the extra wrapping struct of an enum variant.
pub(crate) struct Compound<'a, 'b> {
    w: &'b mut ValueWriter<'a>,
    variant: bool,
}

impl Compound<'_, '_> {
    fn end_array(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"</data></array></value>");
        if self.variant {
            self.w.out.extend_from_slice(b"</member></struct></value>");
        }
        Ok(())
    }

    fn end_struct(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"</struct></value>");
        if self.variant {
            self.w.out.extend_from_slice(b"</member></struct></value>");
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), Error> {
        self.w.member_name(key)?;
        v.serialize(&mut *self.w)?;
        self.w.out.extend_from_slice(b"</member>");
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.end_array()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.end_array()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.end_array()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.end_array()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let name = key.serialize(KeyCapture)?;
        self.w.member_name(&name)?;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)?;
        self.w.out.extend_from_slice(b"</member>");
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.end_struct()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key, v)
    }
    fn end(self) -> Result<(), Error> {
        self.end_struct()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key, v)
    }
    fn end(self) -> Result<(), Error> {
        self.end_struct()
    }
}

/// Turns a map key into the member name: strings as they are, numbers, booleans and unit enum
/// variants as their text (XenAPI maps are keyed by strings, ints, enums or refs).
pub(crate) struct KeyCapture;

macro_rules! key_as_text {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<String, Error> {
            Ok(v.to_string())
        }
    )*};
}

macro_rules! key_unsupported {
    ($what:literal) => {
        Err(Error::Encode(
            concat!("a struct member name must be a string, not ", $what).into(),
        ))
    };
}

impl ser::Serializer for KeyCapture {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    key_as_text!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_char: char,
        serialize_str: &str);

    fn serialize_f32(self, v: f32) -> Result<String, Error> {
        Ok(format_g(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<String, Error> {
        Ok(format_g(v))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
        key_unsupported!("bytes")
    }
    fn serialize_none(self) -> Result<String, Error> {
        key_unsupported!("nil")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<String, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, Error> {
        key_unsupported!("unit")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
        key_unsupported!("unit")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        key_unsupported!("an enum with data")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        key_unsupported!("an array")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        key_unsupported!("an array")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        key_unsupported!("an array")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        key_unsupported!("an enum with data")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        key_unsupported!("a struct")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        key_unsupported!("a struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        key_unsupported!("an enum with data")
    }
}
