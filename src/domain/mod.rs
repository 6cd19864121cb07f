//! Pure domain rules: no web framework, no database, no clock, no randomness.
//! Callers pass the current time and any random input, so every rule is
//! testable with exact values.

pub mod access;
pub mod account;
pub mod admin;
pub mod delivery;
pub mod error;
pub mod expiry;
pub mod ids;
pub mod instant;
pub mod lifetime;
pub mod lockout;
pub mod network;
pub mod paging;
pub mod project;
pub mod quota;
pub mod registry;
pub mod scope;
pub mod search;
pub mod settings;
pub mod text;
pub mod token;
#[cfg(feature = "ssr")]
pub mod two_factor;

pub use error::{DomainError, FieldError};
