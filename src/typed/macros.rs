//! The macros that keep generated enums and error codes compact.

/// Defines a XenAPI enum: the known values with their wire spellings, plus `Unknown(String)`
/// for values a newer server may send. Serializes as its wire string; decoding never fails on a
/// string.
macro_rules! xenapi_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = concat!("`", $wire, "`")] $variant,)*
            /// A value this version of the model does not know, as the server spelled it.
            Unknown(String),
        }

        impl $name {
            /// Every known value, in model order.
            pub const VALUES: &'static [$name] = &[$($name::$variant),*];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($wire => $name::$variant,)*
                    _ => $name::Unknown(s),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                Ok(s.into())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        /// `Unknown("")`: what a record holds when the server left the field out.
        impl Default for $name {
            fn default() -> Self {
                $name::Unknown(String::new())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                d.deserialize_str($crate::typed::macros::EnumVisitor(std::marker::PhantomData))
            }
        }
    };
}

/// Defines `ErrorCode`: every known code with its parameter names, plus `Other(String)`.
macro_rules! error_codes {
    ($($variant:ident = $code:literal [$($param:literal),*],)*) => {
        /// An error code: the first string of a failure's `ErrorDescription`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(#[doc = concat!("`", $code, "`")] $variant,)*
            /// A code this version of the model does not know.
            Other(String),
        }

        impl ErrorCode {
            /// The code as the server spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Other(s) => s,
                }
            }

            /// The code named `code`; `Other` when the model does not know it.
            pub fn from_code(code: &str) -> Self {
                match code {
                    $($code => ErrorCode::$variant,)*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }

            /// Names of the parameters that follow the code, in order (empty for `Other`).
            pub fn param_names(&self) -> &'static [&'static str] {
                match self {
                    $(ErrorCode::$variant => &[$($param),*],)*
                    ErrorCode::Other(_) => &[],
                }
            }
        }

        impl From<&str> for ErrorCode {
            fn from(code: &str) -> Self {
                ErrorCode::from_code(code)
            }
        }

        impl std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

pub(crate) use error_codes;
pub(crate) use xenapi_enum;

/// Decodes any enum from a string without allocating for known values.
pub(crate) struct EnumVisitor<T>(pub(crate) std::marker::PhantomData<T>);

impl<T: for<'a> From<&'a str>> serde::de::Visitor<'_> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an enum value as a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<T, E> {
        Ok(T::from(s))
    }
}
