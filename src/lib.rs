//! chatwoot-redis: generate, check and diagnose the Redis side of a Chatwoot deployment.

pub mod answers;
pub mod app;
pub mod bounded;
pub mod chatwoot;
pub mod cli;
pub mod commands;
pub mod doctor;
pub mod dotenv;
pub mod envfile;
pub mod error;
pub mod git;
pub mod header;
pub mod lock;
pub mod output;
pub mod plan;
pub mod redact;
pub mod render;
pub mod scenario;
pub mod secrets;
pub mod sizing;
pub mod wizard;
pub mod write;
