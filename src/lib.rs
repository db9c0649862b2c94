//! chatwoot-redis: generate, check and diagnose the Redis side of a Chatwoot deployment.

pub mod chatwoot;
pub mod header;
pub mod output;
pub mod sizing;
