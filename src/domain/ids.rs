//! Typed ids of the stored entities, so that a token's id cannot be passed
//! where a user's is meant. Each is the row's integer id; it serializes as
//! that integer (the API's JSON and the pages' forms are unchanged).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The row's integer id.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

id!(
    /// A user account's id.
    UserId
);
id!(
    /// A token's id (personal access or impersonation token).
    TokenId
);
id!(
    /// A project's id.
    ProjectId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_their_integers() {
        assert_eq!(serde_json::to_string(&UserId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<TokenId>("12").unwrap(), TokenId(12));
        assert_eq!("42".parse::<ProjectId>(), Ok(ProjectId(42)));
        assert!("4x".parse::<ProjectId>().is_err());
        assert_eq!(UserId(3).to_string(), "3");
        assert_eq!(TokenId(9).get(), 9);
    }
}
