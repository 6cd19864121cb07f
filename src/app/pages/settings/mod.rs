pub mod account;
pub mod profile;
