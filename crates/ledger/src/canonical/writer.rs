//! A serde serializer that writes canonical JSON straight from typed values.
//!
//! An answer hashed into the ledger used to be turned into a `serde_json::Value` first (a tree
//! of maps, one allocation per field) only so that its keys could be sorted. This serializer
//! writes each object's members as they come and, when their keys are out of order, moves the
//! already written members into order once the object ends: the same text as
//! [`super::canonical_json`] gives for the value's `serde_json::Value`, with no tree between.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;
use std::fmt::Display;

use super::key_order;

/// Why a value has no canonical JSON: a map key that is not a string or a number, or a
/// serializer's own error.
#[derive(Debug, thiserror::Error)]
#[error("no canonical JSON: {0}")]
pub struct CanonicalError(String);

impl ser::Error for CanonicalError {
    fn custom<T: Display>(msg: T) -> Self {
        CanonicalError(msg.to_string())
    }
}

/// The token serde_json gives a `RawValue`'s struct and its one field.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

type Result<T> = std::result::Result<T, CanonicalError>;

/// Writes canonical JSON into `out`.
pub(super) struct Writer<'a> {
    pub(super) out: &'a mut Vec<u8>,
    /// The members of every object still open, innermost last (one stack for all, so that an
    /// object costs no allocation of its own).
    pub(super) members: Vec<Member>,
    /// Where an object's members are copied while they are put in order.
    pub(super) scratch: Vec<u8>,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Writer {
            out,
            members: Vec::with_capacity(64),
            scratch: Vec::new(),
        }
    }

    fn string(&mut self, s: &str) {
        serde_json::to_writer(&mut *self.out, s).expect("writing to memory");
    }

    /// `{"variant":`, before a tuple or struct variant's body (the one key needs no sorting).
    fn variant_key(&mut self, variant: &str) {
        self.out.push(b'{');
        self.string(variant);
        self.out.push(b':');
    }

    fn integer(&mut self, n: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
}

/// An object being written: where its members start in the output and in the member stack.
pub(super) struct Object<'w, 'a> {
    w: &'w mut Writer<'a>,
    start: usize,
    base: usize,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<String>,
}

/// One member written: its key and where its text lies in the output.
pub(super) struct Member {
    key: Cow<'static, str>,
    from: usize,
    to: usize,
}

impl<'w, 'a> Object<'w, 'a> {
    fn open(w: &'w mut Writer<'a>) -> Self {
        w.out.push(b'{');
        Object {
            start: w.out.len(),
            base: w.members.len(),
            w,
            key: None,
        }
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: Cow<'static, str>, value: &T) -> Result<()> {
        if self.w.members.len() > self.base {
            self.w.out.push(b',');
        }
        let from = self.w.out.len();
        self.w.string(&key);
        self.w.out.push(b':');
        value.serialize(&mut *self.w)?;
        let to = self.w.out.len();
        self.w.members.push(Member { key, from, to });
        Ok(())
    }

    /// Puts the members in key order (the last of equal keys wins, as in a map) and closes.
    fn close(self) -> Result<()> {
        self.close_into().map(|_| ())
    }

    /// As [`Object::close`], handing the writer back.
    fn close_into(self) -> Result<&'w mut Writer<'a>> {
        let Object { w, start, base, .. } = self;
        let members = &mut w.members[base..];
        let sorted = members
            .windows(2)
            .all(|p| key_order(&p[0].key, &p[1].key).is_lt());
        if !sorted {
            w.scratch.clear();
            w.scratch.extend_from_slice(&w.out[start..]);
            w.out.truncate(start);
            // Stable: of equal keys, the one written last stays last.
            members.sort_by(|a, b| key_order(&a.key, &b.key));
            let mut first = true;
            for (i, member) in members.iter().enumerate() {
                let shadowed = members
                    .get(i + 1)
                    .is_some_and(|next| next.key == member.key);
                if shadowed {
                    continue;
                }
                if !first {
                    w.out.push(b',');
                }
                first = false;
                w.out
                    .extend_from_slice(&w.scratch[member.from - start..member.to - start]);
            }
        }
        w.members.truncate(base);
        w.out.push(b'}');
        Ok(w)
    }
}

/// An array being written.
pub(super) struct Array<'w, 'a> {
    w: &'w mut Writer<'a>,
    first: bool,
}

impl Array<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if !self.first {
            self.w.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.w)
    }
}

/// `{"variant":…}` around a tuple or struct variant's body.
pub(super) struct Variant<C> {
    body: C,
}

/// Serializer methods that widen a small integer to the 64-bit one written.
macro_rules! widened {
    ($($name:ident($t:ty) => $to:ident),* $(,)?) => {
        $(fn $name(self, v: $t) -> Result<()> {
            self.$to(v.into())
        })*
    };
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Array<'w, 'a>;
    type SerializeTuple = Array<'w, 'a>;
    type SerializeTupleStruct = Array<'w, 'a>;
    type SerializeTupleVariant = Variant<Array<'w, 'a>>;
    type SerializeMap = Object<'w, 'a>;
    type SerializeStruct = Object<'w, 'a>;
    type SerializeStructVariant = Variant<Object<'w, 'a>>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    widened! {
        serialize_i8(i8) => serialize_i64,
        serialize_i16(i16) => serialize_i64,
        serialize_i32(i32) => serialize_i64,
        serialize_u8(u8) => serialize_u64,
        serialize_u16(u16) => serialize_u64,
        serialize_u32(u32) => serialize_u64,
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.integer(v);
        Ok(())
    }
    /// Within 64 bits, as `serde_json` holds numbers; beyond, refused as it refuses them.
    fn serialize_i128(self, v: i128) -> Result<()> {
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => match u64::try_from(v) {
                Ok(v) => self.serialize_u64(v),
                Err(_) => Err(CanonicalError(format!(
                    "{v} is out of JSON's integer range"
                ))),
            },
        }
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.integer(v);
        Ok(())
    }
    /// Within 64 bits, as `serde_json` holds numbers; beyond, refused as it refuses them.
    fn serialize_u128(self, v: u128) -> Result<()> {
        u64::try_from(v)
            .map_err(|_| CanonicalError(format!("{v} is out of JSON's integer range")))
            .and_then(|v| self.serialize_u64(v))
    }
    /// As a `serde_json::Value` holds it: widened to f64.
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(v.into())
    }
    /// Integral values below 2^53 without a fraction; others in shortest round-trip form;
    /// NaN and infinities as `null`, as `serde_json` writes them.
    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            self.out.extend_from_slice(b"null");
        } else if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
            self.integer(v as i64);
        } else {
            serde_json::to_writer(&mut *self.out, &v).expect("writing to memory");
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.string(v);
        Ok(())
    }
    /// As `serde_json` does: an array of numbers.
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        use ser::SerializeSeq as _;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        let mut object = Object::open(self);
        object.member(Cow::Borrowed(variant), value)?;
        object.close()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'w, 'a>> {
        self.out.push(b'[');
        Ok(Array {
            w: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'w, 'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Array<'w, 'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Array<'w, 'a>>> {
        self.variant_key(variant);
        Ok(Variant {
            body: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'w, 'a>> {
        Ok(Object::open(self))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Object<'w, 'a>> {
        if name == RAW_VALUE_TOKEN {
            // Raw JSON need not be canonical: its one field is read as text and rewritten.
            return Ok(Object {
                start: self.out.len(),
                base: self.members.len(),
                w: self,
                key: Some(RAW_VALUE_TOKEN.into()),
            });
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Object<'w, 'a>>> {
        self.variant_key(variant);
        Ok(Variant {
            body: self.serialize_map(Some(len))?,
        })
    }
}

impl ser::SerializeSeq for Array<'_, '_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.w.out.push(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Array<'_, '_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Array<'_, '_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Variant<Array<'_, '_>> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.body.element(value)
    }
    fn end(self) -> Result<()> {
        let w = self.body.w;
        w.out.extend_from_slice(b"]}");
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| CanonicalError("a map value without its key".into()))?;
        self.member(Cow::Owned(key), value)
    }
    fn end(self) -> Result<()> {
        self.close()
    }
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        if self.key.as_deref() == Some(RAW_VALUE_TOKEN) && key == RAW_VALUE_TOKEN {
            let raw = value.serialize(KeyText)?;
            let parsed: Value = serde_json::from_str(&raw)
                .map_err(|e| CanonicalError(format!("raw JSON does not parse: {e}")))?;
            return parsed.serialize(&mut *self.w);
        }
        self.member(Cow::Borrowed(key), value)
    }
    fn end(self) -> Result<()> {
        if self.key.as_deref() == Some(RAW_VALUE_TOKEN) {
            return Ok(());
        }
        self.close()
    }
}

impl ser::SerializeStructVariant for Variant<Object<'_, '_>> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.body.member(Cow::Borrowed(key), value)
    }
    fn end(self) -> Result<()> {
        let w = self.body.close_into()?;
        w.out.push(b'}');
        Ok(())
    }
}

/// A map key as text: strings as they are, numbers and booleans as their JSON text, as
/// `serde_json` keys them.
struct KeyText;

fn not_a_key<T>(what: &str) -> Result<T> {
    Err(CanonicalError(format!(
        "a map key must be a string or a number, not {what}"
    )))
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = CanonicalError;
    type SerializeSeq = Impossible<String, CanonicalError>;
    type SerializeTuple = Impossible<String, CanonicalError>;
    type SerializeTupleStruct = Impossible<String, CanonicalError>;
    type SerializeTupleVariant = Impossible<String, CanonicalError>;
    type SerializeMap = Impossible<String, CanonicalError>;
    type SerializeStruct = Impossible<String, CanonicalError>;
    type SerializeStructVariant = Impossible<String, CanonicalError>;

    fn serialize_bool(self, v: bool) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String> {
        not_a_key("a float")
    }
    fn serialize_f64(self, _: f64) -> Result<String> {
        not_a_key("a float")
    }
    fn serialize_char(self, v: char) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String> {
        not_a_key("bytes")
    }
    fn serialize_none(self) -> Result<String> {
        not_a_key("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String> {
        not_a_key("an option")
    }
    fn serialize_unit(self) -> Result<String> {
        not_a_key("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String> {
        not_a_key("null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String> {
        not_a_key("an enum variant with data")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        not_a_key("an array")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        not_a_key("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        not_a_key("a tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        not_a_key("an enum variant with data")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        not_a_key("an object")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        not_a_key("an object")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        not_a_key("an enum variant with data")
    }
}
