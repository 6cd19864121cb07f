pub mod copy;
pub mod dialog;
pub mod form;
pub mod layout;
pub mod table;
pub mod tokens;
