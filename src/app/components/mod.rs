pub mod copy;
pub mod dialog;
pub mod focus;
pub mod form;
pub mod layout;
pub mod table;
pub mod tokens;
