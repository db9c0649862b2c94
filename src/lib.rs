//! chatwoot-redis: generate, check and diagnose the Redis side of a Chatwoot deployment.

pub mod app;
pub mod chatwoot;
pub mod cli;
pub mod doctor;
pub mod dotenv;
pub mod error;
pub mod header;
pub mod output;
pub mod redact;
pub mod sizing;
