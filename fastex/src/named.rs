//! Enums that users write by name, in settings and attributes: one way to name, print and
//! parse them, and one error text for an unknown name.

/// Implements `ALL`, `name()`, `Display` and a case-insensitive, trimming `FromStr` for a
/// fieldless enum, and defines its parse error, whose text lists the accepted names:
/// ``unknown fallback mode `banana`: expected one of allow, deny, raise``.
///
/// `aliases` are further spellings `FromStr` accepts without listing them.
macro_rules! named_enum {
    (
        $ty:ident, $error:ident, $what:literal,
        { $($variant:ident => $name:literal),+ $(,)? }
        $(aliases { $($alias:literal => $alias_variant:ident),+ $(,)? })?
    ) => {
        impl $ty {
            #[doc = concat!("Every ", $what, ", in declaration order.")]
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The name printed and parsed.
            pub const fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        #[doc = concat!("The error of parsing a [`", stringify!($ty), "`] from an unknown name.")]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $error(pub String);

        impl ::std::fmt::Display for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, concat!("unknown ", $what, " `{}`: expected one of "), self.0)?;
                f.write_str(concat!($($name, ", "),+).trim_end_matches(", "))
            }
        }

        impl ::std::error::Error for $error {}

        impl ::std::str::FromStr for $ty {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let name = s.trim();
                $($(if name.eq_ignore_ascii_case($alias) {
                    return Ok($ty::$alias_variant);
                })+)?
                $ty::ALL
                    .into_iter()
                    .find(|known| known.name().eq_ignore_ascii_case(name))
                    .ok_or_else(|| $error(s.to_owned()))
            }
        }
    };
}

pub(crate) use named_enum;
