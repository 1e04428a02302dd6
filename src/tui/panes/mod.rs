//! Panes: one module each, with a render function over the app state.
pub mod overview;
