pub mod access_tokens;
pub mod account;
pub mod profile;
pub mod token;
pub mod two_factor;
