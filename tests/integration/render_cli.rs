//! CLI behaviour.
